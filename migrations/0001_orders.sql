CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`topic` text NOT NULL,
	`payload` text NOT NULL,
	`error` text NOT NULL,
	`attempts` integer NOT NULL,
	`created_at` integer NOT NULL,
	`replayed_at` integer
);
--> statement-breakpoint
CREATE TABLE `dispatch_decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`round` integer NOT NULL,
	`mode` text NOT NULL,
	`chosen_technician_id` text,
	`reason` text NOT NULL,
	`candidates` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dispatch_decisions_order_idx` ON `dispatch_decisions` (`order_id`,`round`);--> statement-breakpoint
CREATE TABLE `favourites` (
	`account_id` text NOT NULL,
	`technician_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `technician_id`)
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`account_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`state` text NOT NULL,
	`status_code` integer,
	`body` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `notifications` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`data` text NOT NULL,
	`source_id` text NOT NULL,
	`read_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notifications_account_idx` ON `notifications` (`account_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_source_uq` ON `notifications` (`source_id`,`account_id`);--> statement-breakpoint
CREATE TABLE `order_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`kind` text NOT NULL,
	`requested_by` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`decided_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_changes_order_idx` ON `order_changes` (`order_id`,`status`);--> statement-breakpoint
CREATE TABLE `order_events` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`at` integer NOT NULL,
	`actor_type` text NOT NULL,
	`actor_id` text,
	`from_status` text,
	`to_status` text NOT NULL,
	`reason` text NOT NULL,
	`data` text NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_events_order_idx` ON `order_events` (`order_id`,`at`);--> statement-breakpoint
CREATE TABLE `order_photos` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`kind` text NOT NULL,
	`r2_key` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_photos_order_idx` ON `order_photos` (`order_id`);--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`service_id` text NOT NULL,
	`merchant_id` text,
	`city_id` text NOT NULL,
	`cell` text NOT NULL,
	`address_id` text NOT NULL,
	`address_enc` text NOT NULL,
	`lat` real NOT NULL,
	`lng` real NOT NULL,
	`start_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`units` integer NOT NULL,
	`extras` text NOT NULL,
	`lines` text NOT NULL,
	`total` integer NOT NULL,
	`currency` text NOT NULL,
	`payment_plan` text NOT NULL,
	`status` text NOT NULL,
	`dispatch_mode` text NOT NULL,
	`technician_id` text,
	`hold_key` text,
	`tried_technicians` text DEFAULT '[]' NOT NULL,
	`dispatch_round` integer DEFAULT 0 NOT NULL,
	`exception` text,
	`hold_expires_at` integer,
	`accept_by` integer,
	`start_code_enc` text NOT NULL,
	`notes` text,
	`cancel_reason` text,
	`refund_decision` text,
	`version` integer DEFAULT 1 NOT NULL,
	`last_event_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`city_id`) REFERENCES `cities`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`address_id`) REFERENCES `addresses`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `orders_customer_idx` ON `orders` (`customer_id`,`id`);--> statement-breakpoint
CREATE INDEX `orders_technician_idx` ON `orders` (`technician_id`,`start_at`);--> statement-breakpoint
CREATE INDEX `orders_merchant_idx` ON `orders` (`merchant_id`,`id`);--> statement-breakpoint
CREATE INDEX `orders_status_idx` ON `orders` (`status`,`start_at`);--> statement-breakpoint
CREATE INDEX `orders_exception_idx` ON `orders` (`exception`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`topic` text NOT NULL,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`sent_at` integer
);
--> statement-breakpoint
CREATE INDEX `outbox_unsent_idx` ON `outbox` (`sent_at`,`created_at`);--> statement-breakpoint
ALTER TABLE `services` ADD `surcharges` text DEFAULT '{}' NOT NULL;