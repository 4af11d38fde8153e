-- Hand-written after `drizzle-kit generate`: the row and the triggers that move it (see schema.ts).
CREATE TABLE `access_version` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `access_version` (`id`, `version`) VALUES (1, 0);
--> statement-breakpoint
CREATE TRIGGER `users_access_update` AFTER UPDATE ON `users` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `users_access_delete` AFTER DELETE ON `users` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `site_members_access_insert` AFTER INSERT ON `site_members` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `site_members_access_update` AFTER UPDATE ON `site_members` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `site_members_access_delete` AFTER DELETE ON `site_members` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `sites_access_delete` AFTER DELETE ON `sites` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `api_tokens_access_update` AFTER UPDATE OF `user_id`, `token_hash`, `expires_at` ON `api_tokens` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
--> statement-breakpoint
CREATE TRIGGER `api_tokens_access_delete` AFTER DELETE ON `api_tokens` BEGIN UPDATE `access_version` SET `version` = `version` + 1 WHERE `id` = 1; END;
