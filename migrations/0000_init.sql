CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`phone_enc` text NOT NULL,
	`phone_hash` text NOT NULL,
	`name` text,
	`roles` text NOT NULL,
	`merchant_id` text,
	`status` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `accounts_phone_hash_uq` ON `accounts` (`phone_hash`);--> statement-breakpoint
CREATE TABLE `addresses` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`label` text NOT NULL,
	`text_enc` text NOT NULL,
	`lat` real NOT NULL,
	`lng` real NOT NULL,
	`cell` text NOT NULL,
	`contact_name_enc` text NOT NULL,
	`contact_phone_enc` text NOT NULL,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `addresses_account_idx` ON `addresses` (`account_id`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`seq` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`actor_id` text,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`data` text NOT NULL,
	`prev_hash` text NOT NULL,
	`hash` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `categories` (
	`id` text PRIMARY KEY NOT NULL,
	`parent_id` text,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`sort` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `categories_parent_idx` ON `categories` (`parent_id`);--> statement-breakpoint
CREATE TABLE `cities` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`time_zone` text NOT NULL,
	`center_lat` real NOT NULL,
	`center_lng` real NOT NULL,
	`radius_km` real NOT NULL,
	`resolution` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `city_cells` (
	`cell_id` text PRIMARY KEY NOT NULL,
	`city_id` text NOT NULL,
	FOREIGN KEY (`city_id`) REFERENCES `cities`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `city_cells_city_idx` ON `city_cells` (`city_id`);--> statement-breakpoint
CREATE TABLE `merchants` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`default_shifts` text,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `otp_codes` (
	`phone_hash` text PRIMARY KEY NOT NULL,
	`code_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`family_id` text NOT NULL,
	`account_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_hash_uq` ON `refresh_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_family_idx` ON `refresh_tokens` (`family_id`);--> statement-breakpoint
CREATE TABLE `service_cities` (
	`service_id` text NOT NULL,
	`city_id` text NOT NULL,
	PRIMARY KEY(`service_id`, `city_id`),
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`city_id`) REFERENCES `cities`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `service_cities_city_idx` ON `service_cities` (`city_id`);--> statement-breakpoint
CREATE TABLE `services` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text,
	`category_id` text NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`description_zh` text NOT NULL,
	`description_en` text NOT NULL,
	`currency` text DEFAULT 'CNY' NOT NULL,
	`base_price` integer NOT NULL,
	`unit_price` integer NOT NULL,
	`unit` text NOT NULL,
	`min_units` integer NOT NULL,
	`duration_minutes` integer NOT NULL,
	`per_unit_minutes` integer DEFAULT 0 NOT NULL,
	`required_skills` text NOT NULL,
	`extras` text NOT NULL,
	`cancellation_policy` text NOT NULL,
	`dispatch_mode` text NOT NULL,
	`payment_options` text NOT NULL,
	`rush_fee` integer DEFAULT 0 NOT NULL,
	`lead_time_minutes` integer DEFAULT 120 NOT NULL,
	`horizon_days` integer DEFAULT 14 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`deleted_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`category_id`) REFERENCES `categories`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `services_category_idx` ON `services` (`category_id`);--> statement-breakpoint
CREATE INDEX `services_merchant_idx` ON `services` (`merchant_id`);--> statement-breakpoint
CREATE TABLE `skills` (
	`code` text PRIMARY KEY NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `technicians` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`merchant_id` text,
	`name` text NOT NULL,
	`skills` text NOT NULL,
	`home_lat` real NOT NULL,
	`home_lng` real NOT NULL,
	`home_cell` text NOT NULL,
	`city_id` text NOT NULL,
	`service_radius_km` real NOT NULL,
	`status` text NOT NULL,
	`rating_x100` integer DEFAULT 500 NOT NULL,
	`rating_count` integer DEFAULT 0 NOT NULL,
	`transfer_id` text,
	`transfer_from` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`city_id`) REFERENCES `cities`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `technicians_account_uq` ON `technicians` (`account_id`);--> statement-breakpoint
CREATE INDEX `technicians_merchant_idx` ON `technicians` (`merchant_id`);--> statement-breakpoint
CREATE INDEX `technicians_cell_idx` ON `technicians` (`home_cell`);--> statement-breakpoint
CREATE INDEX `technicians_city_idx` ON `technicians` (`city_id`,`status`);