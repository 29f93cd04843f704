ALTER TABLE `payment_dues` ADD `waived_at` integer;--> statement-breakpoint
ALTER TABLE `payment_dues` ADD `waived_by` text;--> statement-breakpoint
ALTER TABLE `payment_dues` ADD `waive_reason` text;--> statement-breakpoint
ALTER TABLE `payment_dues` ADD `waived_amount` integer;