ALTER TABLE `orders` ADD `window_start_at` integer;--> statement-breakpoint
ALTER TABLE `orders` ADD `window_end_at` integer;