CREATE TABLE `number_bindings` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`technician_id` text NOT NULL,
	`status` text NOT NULL,
	`provider` text NOT NULL,
	`pool_key` text NOT NULL,
	`subs_id` text,
	`secret_no` text,
	`expires_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`lease_until` integer,
	`last_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`bound_at` integer,
	`unbound_at` integer,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `number_bindings_order_idx` ON `number_bindings` (`order_id`,`status`);--> statement-breakpoint
CREATE INDEX `number_bindings_due_idx` ON `number_bindings` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `number_bindings_live_uq` ON `number_bindings` (`order_id`,`technician_id`) WHERE status in ('pending', 'active');