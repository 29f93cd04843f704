CREATE TABLE `technician_credit_appeals` (
	`id` text PRIMARY KEY NOT NULL,
	`decision_id` text NOT NULL,
	`technician_id` text NOT NULL,
	`reason` text NOT NULL,
	`status` text NOT NULL,
	`change_id` text,
	`decided_by` text,
	`decision_note` text,
	`decided_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`decision_id`) REFERENCES `technician_credit_decisions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `technician_credit_appeals_open_uq` ON `technician_credit_appeals` (`decision_id`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `technician_credit_appeals_status_idx` ON `technician_credit_appeals` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `technician_credit_decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`technician_id` text NOT NULL,
	`kind` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`points` integer NOT NULL,
	`reason_code` text NOT NULL,
	`note` text,
	`status` text NOT NULL,
	`decided_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `technician_credit_decisions_technician_idx` ON `technician_credit_decisions` (`technician_id`,`created_at`);