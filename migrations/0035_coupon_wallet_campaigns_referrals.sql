CREATE TABLE `birthdays` (
	`account_id` text PRIMARY KEY NOT NULL,
	`month_day` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `birthdays_month_day_idx` ON `birthdays` (`month_day`);--> statement-breakpoint
CREATE TABLE `campaign_limits` (
	`merchant_id` text PRIMARY KEY NOT NULL,
	`max_budget` integer NOT NULL,
	`max_value` integer NOT NULL,
	`max_percent` integer NOT NULL,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `campaigns` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text,
	`kind` text NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`coupon_kind` text NOT NULL,
	`value` integer NOT NULL,
	`max_discount` integer,
	`min_total` integer DEFAULT 0 NOT NULL,
	`service_ids` text NOT NULL,
	`valid_days` integer NOT NULL,
	`win_back_days` integer,
	`budget` integer NOT NULL,
	`spent` integer DEFAULT 0 NOT NULL,
	`coupon_id` text,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `campaigns_merchant_idx` ON `campaigns` (`merchant_id`,`id`);--> statement-breakpoint
CREATE INDEX `campaigns_kind_idx` ON `campaigns` (`kind`,`active`);--> statement-breakpoint
CREATE TABLE `referral_codes` (
	`account_id` text PRIMARY KEY NOT NULL,
	`code` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `referral_codes_code_uq` ON `referral_codes` (`code`);--> statement-breakpoint
CREATE TABLE `referral_devices` (
	`account_id` text NOT NULL,
	`device_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`account_id`, `device_hash`)
);
--> statement-breakpoint
CREATE INDEX `referral_devices_hash_idx` ON `referral_devices` (`device_hash`);--> statement-breakpoint
CREATE TABLE `referrals` (
	`referee_id` text PRIMARY KEY NOT NULL,
	`referrer_id` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`order_id` text,
	`created_at` integer NOT NULL,
	`decided_at` integer
);
--> statement-breakpoint
CREATE INDEX `referrals_referrer_idx` ON `referrals` (`referrer_id`);--> statement-breakpoint
CREATE INDEX `referrals_status_idx` ON `referrals` (`status`,`created_at`);--> statement-breakpoint
ALTER TABLE `coupons` ADD `account_id` text;--> statement-breakpoint
ALTER TABLE `coupons` ADD `campaign_id` text;--> statement-breakpoint
ALTER TABLE `coupons` ADD `source` text DEFAULT 'code' NOT NULL;--> statement-breakpoint
ALTER TABLE `coupons` ADD `issue_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `coupons_issue_key_uq` ON `coupons` (`issue_key`);--> statement-breakpoint
CREATE INDEX `coupons_account_idx` ON `coupons` (`account_id`,`id`);--> statement-breakpoint
CREATE INDEX `coupons_campaign_idx` ON `coupons` (`campaign_id`,`id`);