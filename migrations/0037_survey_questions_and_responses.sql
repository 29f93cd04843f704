CREATE TABLE `survey_questions` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`prompt_zh` text NOT NULL,
	`prompt_en` text NOT NULL,
	`options` text NOT NULL,
	`required` integer DEFAULT false NOT NULL,
	`position` integer DEFAULT 0 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `survey_questions_active_idx` ON `survey_questions` (`active`,`position`);--> statement-breakpoint
CREATE TABLE `survey_responses` (
	`id` text PRIMARY KEY NOT NULL,
	`order_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`city_id` text NOT NULL,
	`merchant_id` text,
	`service_id` text NOT NULL,
	`technician_id` text,
	`start_at` integer NOT NULL,
	`nps` integer NOT NULL,
	`answers` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `survey_responses_order_uq` ON `survey_responses` (`order_id`);--> statement-breakpoint
CREATE INDEX `survey_responses_city_start_idx` ON `survey_responses` (`city_id`,`start_at`);--> statement-breakpoint
CREATE INDEX `survey_responses_merchant_start_idx` ON `survey_responses` (`merchant_id`,`start_at`);