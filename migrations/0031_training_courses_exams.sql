CREATE TABLE `training_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`exam_id` text NOT NULL,
	`technician_id` text NOT NULL,
	`question_ids` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`deadline_at` integer NOT NULL,
	`submitted_at` integer,
	`score` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`exam_id`) REFERENCES `training_exams`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `training_attempts_exam_tech_idx` ON `training_attempts` (`exam_id`,`technician_id`,`started_at`);--> statement-breakpoint
CREATE TABLE `training_banks` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text,
	`title` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `training_banks_merchant_idx` ON `training_banks` (`merchant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `training_certifications` (
	`id` text PRIMARY KEY NOT NULL,
	`technician_id` text NOT NULL,
	`exam_id` text NOT NULL,
	`attempt_id` text NOT NULL,
	`skill` text,
	`issued_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`lapsed_at` integer,
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`exam_id`) REFERENCES `training_exams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `training_certifications_attempt_uq` ON `training_certifications` (`attempt_id`);--> statement-breakpoint
CREATE INDEX `training_certifications_tech_idx` ON `training_certifications` (`technician_id`,`skill`,`expires_at`);--> statement-breakpoint
CREATE INDEX `training_certifications_lapse_idx` ON `training_certifications` (`lapsed_at`,`expires_at`);--> statement-breakpoint
CREATE TABLE `training_courses` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text,
	`skill` text,
	`title` text NOT NULL,
	`description` text NOT NULL,
	`published` integer DEFAULT false NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`skill`) REFERENCES `skills`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `training_courses_merchant_idx` ON `training_courses` (`merchant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `training_enrollments` (
	`technician_id` text NOT NULL,
	`course_id` text NOT NULL,
	`enrolled_at` integer NOT NULL,
	PRIMARY KEY(`technician_id`, `course_id`),
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`course_id`) REFERENCES `training_courses`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `training_enrollments_course_idx` ON `training_enrollments` (`course_id`);--> statement-breakpoint
CREATE TABLE `training_exams` (
	`id` text PRIMARY KEY NOT NULL,
	`merchant_id` text,
	`bank_id` text NOT NULL,
	`skill` text,
	`title` text NOT NULL,
	`draw_count` integer NOT NULL,
	`pass_percent` integer NOT NULL,
	`time_limit_seconds` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`valid_days` integer NOT NULL,
	`published` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`merchant_id`) REFERENCES `merchants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`bank_id`) REFERENCES `training_banks`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`skill`) REFERENCES `skills`(`code`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `training_exams_merchant_idx` ON `training_exams` (`merchant_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `training_lessons` (
	`id` text PRIMARY KEY NOT NULL,
	`course_id` text NOT NULL,
	`position` integer NOT NULL,
	`title` text NOT NULL,
	`body` text NOT NULL,
	`media_key` text,
	`media_type` text,
	`media_size` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`course_id`) REFERENCES `training_courses`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `training_lessons_course_idx` ON `training_lessons` (`course_id`,`position`);--> statement-breakpoint
CREATE TABLE `training_progress` (
	`technician_id` text NOT NULL,
	`lesson_id` text NOT NULL,
	`course_id` text NOT NULL,
	`completed_at` integer NOT NULL,
	PRIMARY KEY(`technician_id`, `lesson_id`),
	FOREIGN KEY (`technician_id`) REFERENCES `technicians`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`lesson_id`) REFERENCES `training_lessons`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`course_id`) REFERENCES `training_courses`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `training_progress_course_idx` ON `training_progress` (`course_id`,`technician_id`);--> statement-breakpoint
CREATE TABLE `training_questions` (
	`id` text PRIMARY KEY NOT NULL,
	`bank_id` text NOT NULL,
	`kind` text NOT NULL,
	`prompt` text NOT NULL,
	`options` text NOT NULL,
	`correct` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`bank_id`) REFERENCES `training_banks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `training_questions_bank_idx` ON `training_questions` (`bank_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `training_skill_requirements` (
	`skill` text PRIMARY KEY NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`skill`) REFERENCES `skills`(`code`) ON UPDATE no action ON DELETE no action
);
