CREATE TABLE `skill_required_documents` (
	`skill_code` text NOT NULL,
	`kind` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`skill_code`, `kind`)
);
--> statement-breakpoint
CREATE TABLE `technician_change_requests` (
	`id` text PRIMARY KEY NOT NULL,
	`technician_id` text NOT NULL,
	`changes` text NOT NULL,
	`home_enc` text,
	`status` text NOT NULL,
	`reason` text,
	`decided_by` text,
	`decided_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `technician_change_requests_status_idx` ON `technician_change_requests` (`status`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `technician_change_requests_pending_uq` ON `technician_change_requests` (`technician_id`) WHERE "technician_change_requests"."status" = 'pending';--> statement-breakpoint
ALTER TABLE `technician_documents` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `technician_documents` ADD `reminded30_at` integer;--> statement-breakpoint
ALTER TABLE `technician_documents` ADD `reminded7_at` integer;--> statement-breakpoint
ALTER TABLE `technician_documents` ADD `expired_at` integer;--> statement-breakpoint
CREATE INDEX `technician_documents_expiry_idx` ON `technician_documents` (`expires_at`) WHERE "technician_documents"."expires_at" IS NOT NULL AND "technician_documents"."expired_at" IS NULL;--> statement-breakpoint
ALTER TABLE `technicians` ADD `real_name_enc` text;--> statement-breakpoint
ALTER TABLE `technicians` ADD `status_reason` text;--> statement-breakpoint
ALTER TABLE `technicians` ADD `suspended_until` integer;--> statement-breakpoint
ALTER TABLE `technicians` ADD `lapsed_skills` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `technicians_suspended_idx` ON `technicians` (`suspended_until`) WHERE "technicians"."suspended_until" IS NOT NULL;