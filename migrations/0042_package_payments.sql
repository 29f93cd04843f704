PRAGMA defer_foreign_keys=ON;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_payments` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text,
	`package_id` text,
	`customer_id` text NOT NULL,
	`merchant_id` text,
	`provider` text NOT NULL,
	`channel` text NOT NULL,
	`stage` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`provider_ref` text,
	`provider_txn_id` text,
	`client_params` text NOT NULL,
	`success_event_id` text,
	`succeeded_at` integer,
	`disposition` text,
	`disposition_ref` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "payments_subject_ck" CHECK((`order_id` IS NULL) <> (`package_id` IS NULL))
);
--> statement-breakpoint
INSERT INTO `__new_payments`("id", "order_id", "package_id", "customer_id", "merchant_id", "provider", "channel", "stage", "amount", "currency", "status", "provider_ref", "provider_txn_id", "client_params", "success_event_id", "succeeded_at", "disposition", "disposition_ref", "created_at", "updated_at") SELECT "id", "order_id", NULL, "customer_id", "merchant_id", "provider", "channel", "stage", "amount", "currency", "status", "provider_ref", "provider_txn_id", "client_params", "success_event_id", "succeeded_at", "disposition", "disposition_ref", "created_at", "updated_at" FROM `payments`;--> statement-breakpoint
DROP TABLE `payments`;--> statement-breakpoint
ALTER TABLE `__new_payments` RENAME TO `payments`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `payments_order_idx` ON `payments` (`order_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `payments_status_idx` ON `payments` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `payments_disposition_idx` ON `payments` (`status`,`disposition`);--> statement-breakpoint
CREATE INDEX `payments_package_idx` ON `payments` (`package_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `__new_refunds` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text,
	`package_id` text,
	`payment_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`merchant_id` text,
	`provider` text NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`reason` text NOT NULL,
	`requested_by` text,
	`decided_by` text,
	`decided_at` integer,
	`provider_refund_id` text,
	`after_split` integer DEFAULT false NOT NULL,
	`change_id` text,
	`succeeded_at` integer,
	`failure_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_id`) REFERENCES `payments`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "refunds_subject_ck" CHECK((`order_id` IS NULL) <> (`package_id` IS NULL))
);
--> statement-breakpoint
INSERT INTO `__new_refunds`("id", "order_id", "package_id", "payment_id", "customer_id", "merchant_id", "provider", "kind", "amount", "currency", "status", "reason", "requested_by", "decided_by", "decided_at", "provider_refund_id", "after_split", "change_id", "succeeded_at", "failure_reason", "created_at", "updated_at") SELECT "id", "order_id", NULL, "payment_id", "customer_id", "merchant_id", "provider", "kind", "amount", "currency", "status", "reason", "requested_by", "decided_by", "decided_at", "provider_refund_id", "after_split", "change_id", "succeeded_at", "failure_reason", "created_at", "updated_at" FROM `refunds`;--> statement-breakpoint
DROP TABLE `refunds`;--> statement-breakpoint
ALTER TABLE `__new_refunds` RENAME TO `refunds`;--> statement-breakpoint
CREATE INDEX `refunds_order_idx` ON `refunds` (`order_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `refunds_status_idx` ON `refunds` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `refunds_merchant_idx` ON `refunds` (`merchant_id`,`id`);--> statement-breakpoint
CREATE INDEX `refunds_package_idx` ON `refunds` (`package_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `series` ADD `package_id` text;