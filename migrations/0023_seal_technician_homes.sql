ALTER TABLE `technicians` ADD `home_enc` text;--> statement-breakpoint
ALTER TABLE `technicians` ADD `home_area_lat` real;--> statement-breakpoint
ALTER TABLE `technicians` ADD `home_area_lng` real;--> statement-breakpoint
CREATE INDEX `technicians_home_pending_idx` ON `technicians` (`id`) WHERE home_enc IS NULL OR home_area_lat IS NULL OR home_area_lng IS NULL OR home_lat <> home_area_lat OR home_lng <> home_area_lng;