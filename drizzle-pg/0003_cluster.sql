-- Hand-written: what several nodes on one database share beyond the data (docs/decisions/017-stateless-nodes.md).
-- These tables exist on PostgreSQL only: one SQLite process keeps the same state in memory.
-- Request counts per policy, key (a principal or an address) and fixed window (epoch ms of its start).
CREATE TABLE "rate_limit_counts" (
	"policy" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"window_start" bigint NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "rate_limit_counts_pk" PRIMARY KEY("policy","key","window_start")
);
--> statement-breakpoint
CREATE INDEX "rate_limit_counts_window_idx" ON "rate_limit_counts" ("window_start");
--> statement-breakpoint
-- One row per failed sign-in (epoch ms), so the throttle's window slides as it does in memory.
CREATE TABLE "login_failures" (
	"key" text COLLATE "C" NOT NULL,
	"at" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "login_failures_key_idx" ON "login_failures" ("key","at");
--> statement-breakpoint
CREATE INDEX "login_failures_at_idx" ON "login_failures" ("at");
--> statement-breakpoint
-- Singleton jobs: the node named by `holder` runs `name` until `expires_at` (the database's clock,
-- so nodes' clocks need not agree); it renews well before, another node takes an expired lease.
CREATE TABLE "job_leases" (
	"name" text COLLATE "C" PRIMARY KEY NOT NULL,
	"holder" text COLLATE "C" NOT NULL,
	"expires_at" timestamptz NOT NULL
);
--> statement-breakpoint
-- Open live streams, one row each, renewed by the node serving it: a user's open streams counted
-- across nodes; a dead node's rows expire.
CREATE TABLE "stream_leases" (
	"id" text COLLATE "C" PRIMARY KEY NOT NULL,
	"user_id" text COLLATE "C" NOT NULL,
	"expires_at" timestamptz NOT NULL
);
--> statement-breakpoint
CREATE INDEX "stream_leases_user_idx" ON "stream_leases" ("user_id","expires_at");
--> statement-breakpoint
-- Committed ingestion batches for live streams, in commit order (writers serialize on an advisory
-- lock), kept for a few minutes: every node feeds its streams from here and replays a Last-Event-ID.
-- `payload` is the batch as compact JSON: [[metricPk, metricId, ts, value], ...].
CREATE TABLE "live_batches" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"payload" text NOT NULL,
	"created_at" timestamptz DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- The prefix of live event ids on this database, the same on every node; another database (a
-- restore, a fresh install) has another, so an id from elsewhere gets a reset, never a wrong replay.
CREATE TABLE "live_epoch" (
	"epoch" text NOT NULL
);
--> statement-breakpoint
INSERT INTO "live_epoch" ("epoch") VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 8));
--> statement-breakpoint
-- Access moved (access_version's row changed): every node's open streams check their credential
-- and visible metrics at once. The payload names the schema, as channels are per database.
CREATE FUNCTION "notify_access_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('sitewatt', TG_TABLE_SCHEMA || ' access');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER "access_version_notify" AFTER UPDATE ON "access_version" FOR EACH STATEMENT EXECUTE FUNCTION "notify_access_changed"();
--> statement-breakpoint
-- A subscription's metrics changed: streams of that subscription resolve them again, on every node.
CREATE FUNCTION "notify_subscription_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('sitewatt', TG_TABLE_SCHEMA || ' subscription ' || OLD."subscription_id");
    RETURN OLD;
  END IF;
  PERFORM pg_notify('sitewatt', TG_TABLE_SCHEMA || ' subscription ' || NEW."subscription_id");
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER "subscription_metrics_notify" AFTER INSERT OR DELETE ON "subscription_metrics" FOR EACH ROW EXECUTE FUNCTION "notify_subscription_changed"();
