ALTER TABLE `route_plans` ADD `proposals` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `route_plans` ADD `with_proposals` text;--> statement-breakpoint
ALTER TABLE `route_plans` ADD `proposals_applied` integer DEFAULT false NOT NULL;