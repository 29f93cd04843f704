CREATE TABLE `cash_collections` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`technician_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`recorded_by` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `cash_collections_order_idx` ON `cash_collections` (`order_id`);--> statement-breakpoint
CREATE TABLE `payment_dues` (
	`order_id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`merchant_id` text,
	`created_at` integer NOT NULL,
	`reminded_at` integer,
	`escalated_at` integer,
	`settled_at` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `payment_dues_customer_idx` ON `payment_dues` (`customer_id`,`settled_at`);--> statement-breakpoint
CREATE INDEX `payment_dues_open_idx` ON `payment_dues` (`settled_at`,`created_at`);