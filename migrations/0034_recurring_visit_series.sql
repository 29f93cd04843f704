CREATE TABLE `series` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`service_id` text NOT NULL,
	`merchant_id` text,
	`address_id` text NOT NULL,
	`city_id` text NOT NULL,
	`time_of_day` integer NOT NULL,
	`rule` text NOT NULL,
	`start_date` text NOT NULL,
	`until_date` text,
	`count` integer,
	`units` integer NOT NULL,
	`preferred_technician_id` text,
	`contact_account_id` text,
	`contact_name` text,
	`notes` text,
	`status` text NOT NULL,
	`previous_series_id` text,
	`next_run_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `series_customer_idx` ON `series` (`customer_id`,`id`);--> statement-breakpoint
CREATE INDEX `series_due_idx` ON `series` (`status`,`next_run_at`);--> statement-breakpoint
CREATE INDEX `series_merchant_idx` ON `series` (`merchant_id`,`id`);--> statement-breakpoint
CREATE TABLE `series_occurrences` (
	`id` text PRIMARY KEY NOT NULL,
	`series_id` text NOT NULL,
	`date` text NOT NULL,
	`n` integer NOT NULL,
	`start_at` integer NOT NULL,
	`status` text NOT NULL,
	`order_id` text,
	`technician_id` text,
	`moved_from` integer,
	`problem` text,
	`alternatives` text,
	`claimed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`series_id`) REFERENCES `series`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `series_occurrences_date_uq` ON `series_occurrences` (`series_id`,`date`);--> statement-breakpoint
CREATE INDEX `series_occurrences_status_idx` ON `series_occurrences` (`status`,`start_at`);