CREATE TABLE `cell_moves` (
	`id` text PRIMARY KEY NOT NULL,
	`cell` text NOT NULL,
	`actor_id` text,
	`moves` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `cell_moves_cell_idx` ON `cell_moves` (`cell`,`created_at`);