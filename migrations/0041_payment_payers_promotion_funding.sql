CREATE TABLE `payment_payers` (
	`payment_id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`provider` text NOT NULL,
	`payer_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `payment_payers_hash_idx` ON `payment_payers` (`payer_hash`,`account_id`);--> statement-breakpoint
CREATE INDEX `payment_payers_account_idx` ON `payment_payers` (`account_id`);--> statement-breakpoint
ALTER TABLE `campaigns` ADD `funded_by` text DEFAULT 'platform' NOT NULL;--> statement-breakpoint
ALTER TABLE `coupons` ADD `funded_by` text DEFAULT 'platform' NOT NULL;