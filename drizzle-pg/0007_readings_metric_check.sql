-- Hand-written after drizzle-kit's first statement. The readings' foreign key to metrics is checked
-- by PostgreSQL once per inserted row, which doubled the cost of storing a batch; what it
-- guaranteed is kept per batch instead. Ingestion locks its metrics' rows FOR KEY SHARE (as the key
-- check does) and refuses a batch naming a missing metric (src/db/postgres/repositories/readings.ts);
-- this trigger deletes a deleted metric's readings, as ON DELETE CASCADE did, devices' and sites'
-- cascades included. A deletion waits for ingestions holding the row and sees their readings.
ALTER TABLE "readings" DROP CONSTRAINT "readings_metric_pk_metrics_pk_fk";--> statement-breakpoint
CREATE FUNCTION "delete_metric_readings"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "readings" WHERE "metric_pk" = OLD."pk";
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "metrics_readings" AFTER DELETE ON "metrics" FOR EACH ROW EXECUTE FUNCTION "delete_metric_readings"();
