-- Edited after `drizzle-kit generate`: WITHOUT ROWID, like rollups_1h. Existing sites get
-- daily_tz NULL, so their daily roll-ups are built at the next start (src/db/repositories/dailies.ts).
CREATE TABLE `rollups_1d` (
	`metric_pk` integer NOT NULL,
	`start` integer NOT NULL,
	`count` integer NOT NULL,
	`sum` real NOT NULL,
	`min` real NOT NULL,
	`max` real NOT NULL,
	`first` real NOT NULL,
	`last` real NOT NULL,
	`delta` real NOT NULL,
	PRIMARY KEY(`metric_pk`, `start`),
	FOREIGN KEY (`metric_pk`) REFERENCES `metrics`(`pk`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `rollups_1d_pending` (
	`metric_pk` integer NOT NULL,
	`start` integer NOT NULL,
	`end` integer NOT NULL,
	PRIMARY KEY(`metric_pk`, `start`),
	FOREIGN KEY (`metric_pk`) REFERENCES `metrics`(`pk`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
ALTER TABLE `sites` ADD `daily_tz` text;