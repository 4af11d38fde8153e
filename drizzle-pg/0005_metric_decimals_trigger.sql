-- Hand-written: a metric's display precision is part of the catalogue the site caches hold, so a
-- change to it alone moves catalog_version like any other column but the latest value (the
-- PostgreSQL twin of drizzle/0017).
DROP TRIGGER "metrics_catalog" ON "metrics";
--> statement-breakpoint
CREATE TRIGGER "metrics_catalog" AFTER INSERT OR DELETE OR UPDATE OF "pk", "id", "device_id", "site_id", "key", "name", "unit", "kind", "interval_seconds", "energy_role", "decimals", "created_at", "updated_at" ON "metrics" FOR EACH STATEMENT EXECUTE FUNCTION "bump_catalog_version"();
