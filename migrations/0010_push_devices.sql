CREATE TABLE `push_devices` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`platform` text NOT NULL,
	`provider` text NOT NULL,
	`token` text NOT NULL,
	`app_version` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `push_devices_account_idx` ON `push_devices` (`account_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `push_devices_token_uq` ON `push_devices` (`provider`,`token`);