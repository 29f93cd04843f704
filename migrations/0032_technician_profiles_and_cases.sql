CREATE TABLE `technician_cases` (
	`id` text PRIMARY KEY NOT NULL,
	`technician_id` text NOT NULL,
	`order_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`service_id` text NOT NULL,
	`before_photo_id` text NOT NULL,
	`after_photo_id` text NOT NULL,
	`caption` text,
	`consent` text DEFAULT 'pending' NOT NULL,
	`consent_at` integer,
	`hidden_at` integer,
	`hidden_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `technician_cases_order_uq` ON `technician_cases` (`order_id`);--> statement-breakpoint
CREATE INDEX `technician_cases_technician_idx` ON `technician_cases` (`technician_id`,`id`);--> statement-breakpoint
CREATE TABLE `technician_profile_photos` (
	`technician_id` text PRIMARY KEY NOT NULL,
	`photo_id` text NOT NULL,
	`r2_key` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
