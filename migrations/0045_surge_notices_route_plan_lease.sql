CREATE TABLE `surge_technician_notices` (
	`technician_id` text PRIMARY KEY NOT NULL,
	`cell_id` text NOT NULL,
	`event_id` text NOT NULL,
	`notified_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `route_plans_status_updated_idx` ON `route_plans` (`status`,`updated_at`);