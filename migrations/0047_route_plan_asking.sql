CREATE TABLE `route_plan_groups` (
	`id` text PRIMARY KEY NOT NULL,
	`plan_id` text NOT NULL,
	`cell` text NOT NULL,
	`date` text NOT NULL,
	`merchant_id` text,
	`technician_id` text NOT NULL,
	`time_zone` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`fingerprint` text NOT NULL,
	`expires_at` integer NOT NULL,
	`move_id` text,
	`asked_by` text NOT NULL,
	`change_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `route_plan_groups_plan_tech_idx` ON `route_plan_groups` (`plan_id`,`technician_id`);--> statement-breakpoint
CREATE INDEX `route_plan_groups_status_expires_idx` ON `route_plan_groups` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `route_plan_groups_status_updated_idx` ON `route_plan_groups` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `route_plan_questions` (
	`id` text PRIMARY KEY NOT NULL,
	`group_id` text NOT NULL,
	`order_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`technician_id` text NOT NULL,
	`current_start` integer NOT NULL,
	`start` integer NOT NULL,
	`end` integer NOT NULL,
	`status` text NOT NULL,
	`decided_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `route_plan_questions_group_idx` ON `route_plan_questions` (`group_id`);--> statement-breakpoint
CREATE INDEX `route_plan_questions_customer_idx` ON `route_plan_questions` (`customer_id`,`id`);