CREATE TABLE `demand_forecasts` (
	`city_id` text NOT NULL,
	`cell_id` text NOT NULL,
	`hour_start` integer NOT NULL,
	`forecast_x100` integer NOT NULL,
	`known` integer NOT NULL,
	`computed_at` integer NOT NULL,
	PRIMARY KEY(`cell_id`, `hour_start`)
);
--> statement-breakpoint
CREATE INDEX `demand_forecasts_city_hour_idx` ON `demand_forecasts` (`city_id`,`hour_start`);--> statement-breakpoint
CREATE TABLE `surge_changes` (
	`id` text PRIMARY KEY NOT NULL,
	`cell_id` text NOT NULL,
	`city_id` text,
	`from_state` text NOT NULL,
	`to_state` text NOT NULL,
	`at` integer NOT NULL,
	`demand` integer NOT NULL,
	`supply` integer NOT NULL,
	`ratio` real NOT NULL
);
--> statement-breakpoint
CREATE INDEX `surge_changes_city_at_idx` ON `surge_changes` (`city_id`,`at`);--> statement-breakpoint
CREATE TABLE `surge_states` (
	`cell_id` text PRIMARY KEY NOT NULL,
	`city_id` text,
	`state` text NOT NULL,
	`since` integer NOT NULL,
	`demand` integer NOT NULL,
	`supply` integer NOT NULL,
	`ratio` real NOT NULL
);
--> statement-breakpoint
CREATE INDEX `surge_states_city_idx` ON `surge_states` (`city_id`);