CREATE TABLE `alerts` (
	`key` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`city_id` text,
	`details` text NOT NULL,
	`occurrences` integer DEFAULT 1 NOT NULL,
	`suppressed` integer DEFAULT 0 NOT NULL,
	`first_at` integer NOT NULL,
	`last_at` integer NOT NULL,
	`sent_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alerts_last_idx` ON `alerts` (`last_at`);--> statement-breakpoint
CREATE TABLE `metrics_hourly` (
	`hour` integer NOT NULL,
	`city_id` text DEFAULT '' NOT NULL,
	`name` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`total` real DEFAULT 0 NOT NULL,
	`max` real DEFAULT 0 NOT NULL,
	PRIMARY KEY(`hour`, `city_id`, `name`)
);
--> statement-breakpoint
CREATE INDEX `metrics_hourly_name_idx` ON `metrics_hourly` (`name`,`hour`);--> statement-breakpoint
CREATE INDEX `dispatch_decisions_created_idx` ON `dispatch_decisions` (`created_at`);--> statement-breakpoint
CREATE INDEX `orders_city_created_idx` ON `orders` (`city_id`,`created_at`);