CREATE TABLE `cell_move_intents` (
	`id` text PRIMARY KEY NOT NULL,
	`cell` text NOT NULL,
	`cells` text NOT NULL,
	`orders` text NOT NULL,
	`lease_token` text NOT NULL,
	`lease_until` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `cell_move_intents_lease_idx` ON `cell_move_intents` (`lease_until`);