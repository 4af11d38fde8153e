-- Request counts of the rate limits and open-stream leases are written on every counted request and
-- every stream renewal, and are worth nothing after a crash (a window's counts and a dead node's
-- leases expire within a minute anyway): unlogged, they cost no WAL and no flush at commit.
ALTER TABLE "rate_limit_counts" SET UNLOGGED;--> statement-breakpoint
ALTER TABLE "stream_leases" SET UNLOGGED;
