CREATE TABLE `route_plans` (
	`id` text PRIMARY KEY NOT NULL,
	`cell` text NOT NULL,
	`date` text NOT NULL,
	`merchant_id` text,
	`status` text NOT NULL,
	`requested_by` text,
	`fingerprint` text,
	`moves` text DEFAULT '[]' NOT NULL,
	`technicians` text DEFAULT '[]' NOT NULL,
	`before` text,
	`after` text,
	`failure` text,
	`move_id` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `route_plans_cell_date_idx` ON `route_plans` (`cell`,`date`,`id`);