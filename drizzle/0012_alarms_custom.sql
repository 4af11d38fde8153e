-- Hand-written: any change to an alarm rule moves the catalogue version, so every process drops the
-- rules it cached per metric for evaluation (db/repositories/alarms.ts). Devices and metrics move it
-- already (0004), which is what a site-wide rule's reach depends on.
CREATE TRIGGER `alarm_rules_catalog_insert` AFTER INSERT ON `alarm_rules` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `alarm_rules_catalog_update` AFTER UPDATE ON `alarm_rules` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `alarm_rules_catalog_delete` AFTER DELETE ON `alarm_rules` BEGIN UPDATE `catalog_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
