CREATE TABLE `technician_credit_events` (
	`id` text PRIMARY KEY NOT NULL,
	`technician_id` text NOT NULL,
	`kind` text NOT NULL,
	`points` integer NOT NULL,
	`source_type` text NOT NULL,
	`source_id` text NOT NULL,
	`reason_code` text NOT NULL,
	`score_after` integer NOT NULL,
	`actor_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `technician_credit_events_technician_idx` ON `technician_credit_events` (`technician_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `technician_credit_events_source_uq` ON `technician_credit_events` (`source_type`,`source_id`,`kind`);--> statement-breakpoint
ALTER TABLE `technicians` ADD `credit_score` integer DEFAULT 600 NOT NULL;--> statement-breakpoint
ALTER TABLE `technicians` ADD `level` text DEFAULT 'trainee' NOT NULL;