CREATE INDEX `audit_log_unsealed_idx` ON `audit_log` (`seq`) WHERE "audit_log"."hash" is null;--> statement-breakpoint
CREATE INDEX `order_events_actor_idx` ON `order_events` (`actor_id`,`at`);--> statement-breakpoint
CREATE INDEX `orders_hold_key_idx` ON `orders` (`hold_key`);--> statement-breakpoint
CREATE INDEX `orders_technician_status_idx` ON `orders` (`technician_id`,`status`,`updated_at`);--> statement-breakpoint
CREATE INDEX `orders_city_start_idx` ON `orders` (`city_id`,`start_at`);