PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_audit_log` (
	`seq` integer PRIMARY KEY NOT NULL,
	`at` integer NOT NULL,
	`actor_id` text,
	`action` text NOT NULL,
	`target_type` text NOT NULL,
	`target_id` text NOT NULL,
	`data` text NOT NULL,
	`prev_hash` text,
	`hash` text
);
--> statement-breakpoint
INSERT INTO `__new_audit_log`("seq", "at", "actor_id", "action", "target_type", "target_id", "data", "prev_hash", "hash") SELECT "seq", "at", "actor_id", "action", "target_type", "target_id", "data", "prev_hash", "hash" FROM `audit_log`;--> statement-breakpoint
DROP TABLE `audit_log`;--> statement-breakpoint
ALTER TABLE `__new_audit_log` RENAME TO `audit_log`;--> statement-breakpoint
PRAGMA foreign_keys=ON;