-- Hand-written after `drizzle-kit generate`: the row and the triggers that move it (see schema.ts).
-- A new latest value (UPDATE OF latest_ts, latest_value, latest_received_at) does not move it, so
-- ingestion keeps the cache; a device's deletion moves it through its metrics' cascade.
CREATE TABLE `catalog_version` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `catalog_version` (`id`, `version`) VALUES (1, 0);
--> statement-breakpoint
CREATE TRIGGER `metrics_catalog_insert` AFTER INSERT ON `metrics` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `metrics_catalog_update` AFTER UPDATE OF `pk`, `id`, `device_id`, `site_id`, `key`, `name`, `unit`, `kind`, `interval_seconds`, `created_at`, `updated_at` ON `metrics` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `metrics_catalog_delete` AFTER DELETE ON `metrics` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `devices_catalog_update` AFTER UPDATE OF `id`, `site_id`, `name` ON `devices` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
