CREATE TABLE `statement_mismatches` (
	`id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`day` text NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`ref` text NOT NULL,
	`order_id` text,
	`our_amount` integer,
	`our_status` text,
	`their_amount` integer,
	`their_status` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `statement_mismatches_key_idx` ON `statement_mismatches` (`provider`,`day`,`subject`,`ref`,`kind`);--> statement-breakpoint
CREATE INDEX `statement_mismatches_ref_idx` ON `statement_mismatches` (`provider`,`kind`,`subject`,`ref`);--> statement-breakpoint
CREATE TABLE `statement_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`provider` text NOT NULL,
	`day` text NOT NULL,
	`source` text NOT NULL,
	`status` text NOT NULL,
	`payments` integer DEFAULT 0 NOT NULL,
	`refunds` integer DEFAULT 0 NOT NULL,
	`paid_total` integer DEFAULT 0 NOT NULL,
	`refunded_total` integer DEFAULT 0 NOT NULL,
	`empty` integer DEFAULT false NOT NULL,
	`error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`attempted_at` integer NOT NULL,
	`completed_at` integer,
	`triggered_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `statement_runs_provider_day_idx` ON `statement_runs` (`provider`,`day`);--> statement-breakpoint
CREATE INDEX `statement_runs_day_idx` ON `statement_runs` (`day`);