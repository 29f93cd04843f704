CREATE TABLE `canned_answers` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`updated_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `conversation_flags` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`message_id` text NOT NULL,
	`words` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `conversation_flags_conversation_idx` ON `conversation_flags` (`conversation_id`);--> statement-breakpoint
CREATE INDEX `conversation_flags_created_idx` ON `conversation_flags` (`id`);--> statement-breakpoint
CREATE TABLE `conversation_messages` (
	`id` text PRIMARY KEY NOT NULL,
	`conversation_id` text NOT NULL,
	`sender_id` text NOT NULL,
	`kind` text NOT NULL,
	`text` text,
	`r2_key` text,
	`content_type` text,
	`order_ref` text,
	`masked` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `conversation_messages_conversation_idx` ON `conversation_messages` (`conversation_id`,`id`);--> statement-breakpoint
CREATE INDEX `conversation_messages_created_idx` ON `conversation_messages` (`created_at`);--> statement-breakpoint
CREATE TABLE `conversation_participants` (
	`conversation_id` text NOT NULL,
	`account_id` text NOT NULL,
	`role` text NOT NULL,
	`last_read_message_id` text,
	`last_read_at` integer,
	`joined_at` integer NOT NULL,
	PRIMARY KEY(`conversation_id`, `account_id`),
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `conversation_participants_account_idx` ON `conversation_participants` (`account_id`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`order_id` text,
	`ticket_id` text,
	`requester_id` text,
	`assignee_id` text,
	`cell` text NOT NULL,
	`waiting_since` integer,
	`last_message_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_order_uq` ON `conversations` (`order_id`) WHERE kind = 'order';--> statement-breakpoint
CREATE INDEX `conversations_support_idx` ON `conversations` (`kind`,`assignee_id`,`last_message_at`);--> statement-breakpoint
CREATE INDEX `conversations_requester_idx` ON `conversations` (`requester_id`);--> statement-breakpoint
CREATE INDEX `conversations_last_idx` ON `conversations` (`last_message_at`);