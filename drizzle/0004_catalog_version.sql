-- Hand-written after `drizzle-kit generate`: the row and the triggers that move it (see schema.ts).
-- Any change to metrics or devices moves it, except a new latest value (UPDATE OF latest_ts,
-- latest_value, latest_received_at), so ingestion keeps the caches.
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
CREATE TRIGGER `devices_catalog_insert` AFTER INSERT ON `devices` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `devices_catalog_update` AFTER UPDATE ON `devices` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `devices_catalog_delete` AFTER DELETE ON `devices` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
