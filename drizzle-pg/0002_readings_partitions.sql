-- Hand-written: readings partitioned by month of `ts` (epoch milliseconds, UTC months), so
-- retention drops whole partitions instead of deleting rows (src/db/postgres/repositories/readings.ts).
-- The table is empty here (created by 0000_init); it is made again as a partitioned table with
-- the same columns, key and foreign key. Partitions are made by create_readings_partitions: ahead
-- of time by the retention job and on demand by ingestion, for any month a batch touches.
DROP TABLE "readings";
--> statement-breakpoint
CREATE TABLE "readings" (
	"metric_pk" integer NOT NULL,
	"ts" bigint NOT NULL,
	"value" double precision NOT NULL,
	CONSTRAINT "readings_metric_pk_ts_pk" PRIMARY KEY("metric_pk","ts"),
	CONSTRAINT "readings_metric_pk_metrics_pk_fk" FOREIGN KEY ("metric_pk") REFERENCES "metrics"("pk") ON DELETE cascade
) PARTITION BY RANGE ("ts");
--> statement-breakpoint
-- Makes the monthly partitions covering [from_ms, to_ms) that do not exist yet; returns how many it
-- made. Serialized by an advisory lock so that nodes making the same month do not collide.
CREATE FUNCTION "create_readings_partitions"(from_ms bigint, to_ms bigint) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  m timestamp := date_trunc('month', to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC');
  lo bigint;
  hi bigint;
  part text;
  made integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('sitewatt.readings_partitions'));
  WHILE (extract(epoch FROM m) * 1000)::bigint < to_ms LOOP
    lo := (extract(epoch FROM m) * 1000)::bigint;
    hi := (extract(epoch FROM m + interval '1 month') * 1000)::bigint;
    part := 'readings_p' || to_char(m, 'YYYYMM');
    IF to_regclass(quote_ident(part)) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF "readings" FOR VALUES FROM (%s) TO (%s)', part, lo, hi);
      made := made + 1;
    END IF;
    m := m + interval '1 month';
  END LOOP;
  RETURN made;
END $$;
