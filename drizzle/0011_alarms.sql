CREATE TABLE `alarm_rules` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`metric_pk` integer,
	`device_type` text,
	`metric_key` text,
	`condition` text NOT NULL,
	`threshold` real,
	`low` real,
	`high` real,
	`clear_threshold` real,
	`for_seconds` integer DEFAULT 0 NOT NULL,
	`no_data_minutes` integer,
	`severity` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`metric_pk`) REFERENCES `metrics`(`pk`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alarm_rules_metric_idx` ON `alarm_rules` (`metric_pk`);--> statement-breakpoint
CREATE INDEX `alarm_rules_site_key_idx` ON `alarm_rules` (`site_id`,`device_type`,`metric_key`);--> statement-breakpoint
CREATE TABLE `alarm_states` (
	`rule_id` text NOT NULL,
	`metric_pk` integer NOT NULL,
	`firing` integer DEFAULT false NOT NULL,
	`pending_since` integer,
	`restarted_at` integer,
	PRIMARY KEY(`rule_id`, `metric_pk`),
	FOREIGN KEY (`rule_id`) REFERENCES `alarm_rules`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`metric_pk`) REFERENCES `metrics`(`pk`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `alarm_states_metric_idx` ON `alarm_states` (`metric_pk`);--> statement-breakpoint
CREATE TABLE `alarms` (
	`id` text PRIMARY KEY NOT NULL,
	`rule_id` text,
	`site_id` text NOT NULL,
	`device_id` text NOT NULL,
	`metric_pk` integer NOT NULL,
	`severity` text NOT NULL,
	`summary` text NOT NULL,
	`raised_at` integer NOT NULL,
	`last_seen` integer NOT NULL,
	`peak_value` real,
	`acknowledged_by` text,
	`acknowledged_at` integer,
	`ack_comment` text,
	`cleared_at` integer,
	`cleared_by` text,
	`clear_reason` text,
	FOREIGN KEY (`rule_id`) REFERENCES `alarm_rules`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`device_id`) REFERENCES `devices`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`metric_pk`) REFERENCES `metrics`(`pk`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`acknowledged_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`cleared_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alarms_open_idx` ON `alarms` (`rule_id`,`metric_pk`) WHERE cleared_at IS NULL;--> statement-breakpoint
CREATE INDEX `alarms_site_idx` ON `alarms` (`site_id`,`raised_at`);--> statement-breakpoint
CREATE INDEX `alarms_device_idx` ON `alarms` (`device_id`,`raised_at`);--> statement-breakpoint
CREATE INDEX `alarms_raised_idx` ON `alarms` (`raised_at`);