-- Hand-written: a metric's display precision is part of the catalogue the site caches hold, so a
-- change to it alone (even by SQL) moves catalog_version like any other column but the latest value.
DROP TRIGGER `metrics_catalog_update`;
--> statement-breakpoint
CREATE TRIGGER `metrics_catalog_update` AFTER UPDATE OF `pk`, `id`, `device_id`, `site_id`, `key`, `name`, `unit`, `kind`, `interval_seconds`, `energy_role`, `decimals`, `created_at`, `updated_at` ON `metrics` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
