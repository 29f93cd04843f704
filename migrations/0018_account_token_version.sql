ALTER TABLE `accounts` ADD `token_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `accounts` ADD `disabled_reason` text;--> statement-breakpoint
ALTER TABLE `accounts` ADD `disabled_note` text;--> statement-breakpoint
ALTER TABLE `accounts` ADD `disabled_at` integer;--> statement-breakpoint
CREATE INDEX `accounts_status_idx` ON `accounts` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_account_idx` ON `refresh_tokens` (`account_id`);