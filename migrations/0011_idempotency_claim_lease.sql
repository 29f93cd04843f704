ALTER TABLE `idempotency_keys` ADD `claim_id` text;--> statement-breakpoint
ALTER TABLE `idempotency_keys` ADD `lease_until` integer;