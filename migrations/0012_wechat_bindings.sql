CREATE TABLE `wechat_bindings` (
	`appid` text NOT NULL,
	`openid` text NOT NULL,
	`account_id` text NOT NULL,
	`unionid` text,
	`lang` text DEFAULT 'zh' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`appid`, `openid`),
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `wechat_bindings_account_app_uq` ON `wechat_bindings` (`account_id`,`appid`);--> statement-breakpoint
CREATE INDEX `wechat_bindings_unionid_idx` ON `wechat_bindings` (`unionid`);