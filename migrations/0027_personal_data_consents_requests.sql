CREATE TABLE `consent_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`account_id` text NOT NULL,
	`purpose` text NOT NULL,
	`granted` integer NOT NULL,
	`policy_version` text NOT NULL,
	`client` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `consent_events_account_idx` ON `consent_events` (`account_id`,`purpose`,`seq`);--> statement-breakpoint
CREATE TABLE `data_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`progress` text NOT NULL,
	`r2_key` text,
	`bytes` integer,
	`expires_at` integer,
	`downloaded_at` integer,
	`due_at` integer,
	`cancelled_by` text,
	`cancel_reason` text,
	`last_error` text,
	`lease_until` integer,
	`client` text NOT NULL,
	`completed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `data_requests_account_idx` ON `data_requests` (`account_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `data_requests_status_idx` ON `data_requests` (`kind`,`status`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `data_requests_one_deletion_uq` ON `data_requests` (`account_id`) WHERE kind = 'deletion' and status = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX `data_requests_one_export_uq` ON `data_requests` (`account_id`) WHERE kind = 'export' and status in ('queued', 'running');--> statement-breakpoint
CREATE INDEX `audit_log_target_idx` ON `audit_log` (`target_type`,`target_id`,`seq`);--> statement-breakpoint
CREATE INDEX `notification_deliveries_sent_idx` ON `notification_deliveries` (`sent_at`);--> statement-breakpoint
CREATE INDEX `order_photos_created_idx` ON `order_photos` (`created_at`);