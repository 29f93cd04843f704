CREATE TABLE `reviews` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`technician_id` text NOT NULL,
	`merchant_id` text,
	`service_id` text NOT NULL,
	`ratings` text NOT NULL,
	`overall_x100` integer NOT NULL,
	`text` text,
	`photo_ids` text NOT NULL,
	`hidden_at` integer,
	`hidden_reason` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reviews_order_uq` ON `reviews` (`order_id`);--> statement-breakpoint
CREATE INDEX `reviews_technician_idx` ON `reviews` (`technician_id`,`id`);--> statement-breakpoint
CREATE INDEX `reviews_merchant_idx` ON `reviews` (`merchant_id`,`id`);