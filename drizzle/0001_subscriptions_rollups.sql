CREATE TABLE `rollups_1h` (
	`metric_pk` integer NOT NULL,
	`start` integer NOT NULL,
	`count` integer NOT NULL,
	`sum` real NOT NULL,
	`min` real NOT NULL,
	`max` real NOT NULL,
	`first` real NOT NULL,
	`last` real NOT NULL,
	`first_ts` integer NOT NULL,
	`last_ts` integer NOT NULL,
	`delta_in` real NOT NULL,
	PRIMARY KEY(`metric_pk`, `start`),
	FOREIGN KEY (`metric_pk`) REFERENCES `metrics`(`pk`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `subscription_metrics` (
	`subscription_id` text NOT NULL,
	`metric_pk` integer NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`subscription_id`, `metric_pk`),
	FOREIGN KEY (`subscription_id`) REFERENCES `subscriptions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`metric_pk`) REFERENCES `metrics`(`pk`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `subscription_metrics_metric_idx` ON `subscription_metrics` (`metric_pk`);--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `subscriptions_owner_idx` ON `subscriptions` (`owner_id`,`name`);