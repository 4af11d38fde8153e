-- Hand-written: revoking or deleting an ingest key (a site's or device's deletion cascades to it)
-- moves the access version, so cached keys and open device connections drop it on every node.
CREATE TRIGGER `ingest_keys_access_update` AFTER UPDATE OF `site_id`, `device_id`, `key_hash`, `revoked_at` ON `ingest_keys` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `ingest_keys_access_delete` AFTER DELETE ON `ingest_keys` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
