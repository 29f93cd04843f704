ALTER TABLE `addresses` ADD `coords_enc` text;--> statement-breakpoint
ALTER TABLE `addresses` ADD `area_lat` real;--> statement-breakpoint
ALTER TABLE `addresses` ADD `area_lng` real;--> statement-breakpoint
CREATE INDEX `addresses_coords_pending_idx` ON `addresses` (`id`) WHERE coords_enc IS NULL OR area_lat IS NULL OR area_lng IS NULL OR lat <> area_lat OR lng <> area_lng;--> statement-breakpoint
ALTER TABLE `orders` ADD `coords_enc` text;--> statement-breakpoint
ALTER TABLE `orders` ADD `area_lat` real;--> statement-breakpoint
ALTER TABLE `orders` ADD `area_lng` real;--> statement-breakpoint
CREATE INDEX `orders_coords_pending_idx` ON `orders` (`id`) WHERE coords_enc IS NULL OR area_lat IS NULL OR area_lng IS NULL OR lat <> area_lat OR lng <> area_lng;