-- Hand-written: the access and catalogue version rows and the triggers that move them, the
-- PostgreSQL equivalent of drizzle/0003, 0004, 0008, 0012 and 0014 (see src/db/schema.ts).
-- Statement-level triggers: a statement that deletes a site and cascades to its devices, metrics
-- and memberships moves each version once per statement rather than once per row; only the
-- movement matters to the caches, never the number. UPDATE OF names the columns whose change
-- matters, so ingestion (metrics' latest values) and token or key use (last_used_at) move nothing.
INSERT INTO "access_version" ("id", "version") VALUES (1, 0);
--> statement-breakpoint
INSERT INTO "catalog_version" ("id", "version") VALUES (1, 0);
--> statement-breakpoint
CREATE FUNCTION "bump_access_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "access_version" SET "version" = "version" + 1 WHERE "id" = 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION "bump_catalog_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "catalog_version" SET "version" = "version" + 1 WHERE "id" = 1;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "users_access" AFTER UPDATE OR DELETE ON "users" FOR EACH STATEMENT EXECUTE FUNCTION "bump_access_version"();
--> statement-breakpoint
CREATE TRIGGER "site_members_access" AFTER INSERT OR UPDATE OR DELETE ON "site_members" FOR EACH STATEMENT EXECUTE FUNCTION "bump_access_version"();
--> statement-breakpoint
CREATE TRIGGER "sites_access" AFTER DELETE ON "sites" FOR EACH STATEMENT EXECUTE FUNCTION "bump_access_version"();
--> statement-breakpoint
CREATE TRIGGER "api_tokens_access" AFTER UPDATE OF "user_id", "token_hash", "expires_at" OR DELETE ON "api_tokens" FOR EACH STATEMENT EXECUTE FUNCTION "bump_access_version"();
--> statement-breakpoint
CREATE TRIGGER "ingest_keys_access" AFTER UPDATE OF "site_id", "device_id", "key_hash", "revoked_at" OR DELETE ON "ingest_keys" FOR EACH STATEMENT EXECUTE FUNCTION "bump_access_version"();
--> statement-breakpoint
CREATE TRIGGER "metrics_catalog" AFTER INSERT OR DELETE OR UPDATE OF "pk", "id", "device_id", "site_id", "key", "name", "unit", "kind", "interval_seconds", "energy_role", "created_at", "updated_at" ON "metrics" FOR EACH STATEMENT EXECUTE FUNCTION "bump_catalog_version"();
--> statement-breakpoint
CREATE TRIGGER "devices_catalog" AFTER INSERT OR UPDATE OR DELETE ON "devices" FOR EACH STATEMENT EXECUTE FUNCTION "bump_catalog_version"();
--> statement-breakpoint
CREATE TRIGGER "alarm_rules_catalog" AFTER INSERT OR UPDATE OR DELETE ON "alarm_rules" FOR EACH STATEMENT EXECUTE FUNCTION "bump_catalog_version"();
