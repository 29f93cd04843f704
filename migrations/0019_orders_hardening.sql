ALTER TABLE `merchants` ADD `platform_technicians` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `booked_start_at` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `refund_cap_percent` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `start_code_failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `orders` ADD `start_code_locked_at` integer;--> statement-breakpoint
CREATE INDEX `orders_customer_status_idx` ON `orders` (`customer_id`,`status`,`payment_plan`);--> statement-breakpoint
UPDATE `orders` SET `booked_start_at` = `start_at`;
