CREATE TABLE `technician_payees` (
	`technician_id` text NOT NULL,
	`provider` text NOT NULL,
	`account_enc` text NOT NULL,
	`account_type` text,
	`name_enc` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`technician_id`, `provider`),
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
