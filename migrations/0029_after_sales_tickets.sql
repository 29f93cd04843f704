CREATE TABLE `ticket_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`ticket_id` text NOT NULL,
	`author_type` text NOT NULL,
	`author_id` text,
	`kind` text NOT NULL,
	`body` text,
	`r2_key` text,
	`content_type` text,
	`size` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ticket_entries_ticket_idx` ON `ticket_entries` (`ticket_id`,`id`);--> statement-breakpoint
CREATE TABLE `tickets` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`technician_id` text,
	`merchant_id` text,
	`city_id` text NOT NULL,
	`category` text NOT NULL,
	`status` text NOT NULL,
	`opened_by` text NOT NULL,
	`opened_by_role` text NOT NULL,
	`description` text NOT NULL,
	`conversation_id` text,
	`first_response_due_at` integer NOT NULL,
	`resolution_due_at` integer NOT NULL,
	`first_responded_at` integer,
	`claim_id` text,
	`claim_until` integer,
	`decision_id` text,
	`decided_by` text,
	`decided_at` integer,
	`resolution` text,
	`rework_order_id` text,
	`reopen_count` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tickets_order_idx` ON `tickets` (`order_id`);--> statement-breakpoint
CREATE INDEX `tickets_status_due_idx` ON `tickets` (`status`,`resolution_due_at`);--> statement-breakpoint
CREATE INDEX `tickets_technician_idx` ON `tickets` (`technician_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `tickets_open_per_category_uq` ON `tickets` (`order_id`,`category`) WHERE status in ('open', 'in_review');