CREATE TABLE `customer_packages` (
	`id` text PRIMARY KEY NOT NULL,
	`plan_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`merchant_id` text,
	`service_id` text NOT NULL,
	`kind` text NOT NULL,
	`units_total` integer NOT NULL,
	`units_left` integer NOT NULL,
	`price` integer NOT NULL,
	`currency` text NOT NULL,
	`deferred_left` integer DEFAULT 0 NOT NULL,
	`refund_percent` integer NOT NULL,
	`status` text NOT NULL,
	`valid_until` integer,
	`valid_days` integer NOT NULL,
	`paid_at` integer,
	`payment_ref` text,
	`refunded_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`plan_id`) REFERENCES `package_plans`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "customer_packages_units_left_ck" CHECK("customer_packages"."units_left" >= 0),
	CONSTRAINT "customer_packages_deferred_left_ck" CHECK("customer_packages"."deferred_left" >= 0)
);
--> statement-breakpoint
CREATE INDEX `customer_packages_customer_idx` ON `customer_packages` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `member_levels` (
	`account_id` text PRIMARY KEY NOT NULL,
	`level` text NOT NULL,
	`spend` integer NOT NULL,
	`points` integer NOT NULL,
	`computed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `membership_settings` (
	`scope` text PRIMARY KEY NOT NULL,
	`settings` text NOT NULL,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `package_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`package_id` text NOT NULL,
	`kind` text NOT NULL,
	`order_id` text,
	`units` integer NOT NULL,
	`amount` integer NOT NULL,
	`released_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`package_id`) REFERENCES `customer_packages`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `package_entries_package_idx` ON `package_entries` (`package_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `package_entries_order_uq` ON `package_entries` (`order_id`);--> statement-breakpoint
CREATE TABLE `package_plans` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text,
	`service_id` text NOT NULL,
	`kind` text NOT NULL,
	`units` integer NOT NULL,
	`price` integer NOT NULL,
	`currency` text NOT NULL,
	`valid_days` integer NOT NULL,
	`refund_percent` integer DEFAULT 100 NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `package_plans_service_idx` ON `package_plans` (`service_id`,`active`);--> statement-breakpoint
CREATE TABLE `points_accounts` (
	`account_id` text PRIMARY KEY NOT NULL,
	`balance` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "points_accounts_balance_ck" CHECK("points_accounts"."balance" >= 0)
);
--> statement-breakpoint
CREATE TABLE `points_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`delta` integer NOT NULL,
	`order_id` text,
	`ref` text NOT NULL,
	`released_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `points_entries_account_idx` ON `points_entries` (`account_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `points_entries_ref_uq` ON `points_entries` (`ref`);