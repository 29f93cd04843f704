ALTER TABLE `campaigns` ADD `funded_by` text DEFAULT 'platform' NOT NULL;--> statement-breakpoint
ALTER TABLE `coupons` ADD `funded_by` text DEFAULT 'platform' NOT NULL;