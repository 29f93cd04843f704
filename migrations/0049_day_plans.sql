CREATE TABLE `day_plans` (
	`technician_id` text NOT NULL,
	`date` text NOT NULL,
	`status` text NOT NULL,
	`basis` text NOT NULL,
	`moves` text DEFAULT '[]' NOT NULL,
	`applied_basis` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`technician_id`, `date`)
);
--> statement-breakpoint
CREATE INDEX `day_plans_status_updated_idx` ON `day_plans` (`status`,`updated_at`);