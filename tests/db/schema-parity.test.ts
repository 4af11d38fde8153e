// SQLite and PostgreSQL each have a drizzle schema (drizzle has no dialect-neutral table builder):
// this keeps the two declaring the same tables, columns, keys and indexes. No database needed.
import { is } from 'drizzle-orm';
import { getTableConfig as pgConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../../src/db/postgres/schema.js';
import * as sqliteSchema from '../../src/db/schema.js';

type Config = ReturnType<typeof pgConfig> | ReturnType<typeof sqliteConfig>;

const names = (cols: unknown[]) => cols.map((c) => (c as { name?: string }).name ?? String(c));

/** What both dialects must agree on, in a comparable, order-independent shape. */
function shape(c: Config) {
  const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return {
    columns: sorted(
      c.columns.map((col) => ({
        name: col.name,
        notNull: col.notNull,
        primary: col.primary,
        // SQLite's INTEGER PRIMARY KEY is the rowid, which drizzle counts as a default.
        hasDefault: col.primary ? null : col.hasDefault,
      })),
    ),
    primaryKeys: sorted(c.primaryKeys.map((pk) => names(pk.columns))),
    uniques: sorted([
      ...c.columns.filter((col) => col.isUnique).map((col) => [col.name]),
      ...c.uniqueConstraints.map((u) => names(u.columns)),
    ]),
    indexes: sorted(
      c.indexes.map((i) => ({
        name: i.config.name,
        columns: names(i.config.columns),
        unique: i.config.unique ?? false,
        partial: i.config.where !== undefined,
      })),
    ),
    foreignKeys: sorted(
      c.foreignKeys.map((fk) => {
        const ref = fk.reference();
        return {
          columns: names(ref.columns),
          table: (is(ref.foreignTable, PgTable)
            ? pgConfig(ref.foreignTable)
            : sqliteConfig(ref.foreignTable as SQLiteTable)
          ).name,
          foreignColumns: names(ref.foreignColumns),
          onDelete: fk.onDelete ?? 'no action',
        };
      }),
    ),
  };
}

const sqliteTables = new Map(
  (Object.values(sqliteSchema) as unknown[])
    .filter((t): t is SQLiteTable => is(t, SQLiteTable))
    .map((t) => [sqliteConfig(t).name, sqliteConfig(t)]),
);
const pgTables = new Map(
  (Object.values(pgSchema) as unknown[])
    .filter((t): t is PgTable => is(t, PgTable))
    .map((t) => [pgConfig(t).name, pgConfig(t)]),
);

describe('the PostgreSQL schema beside the SQLite one', () => {
  it('When both schemas are read, then they declare the same tables', () => {
    expect([...pgTables.keys()].sort()).toEqual([...sqliteTables.keys()].sort());
  });

  it.each([...sqliteTables.keys()].sort())(
    'When table %s is compared, then its columns, keys, indexes and foreign keys match',
    (name) => {
      const pg = pgTables.get(name);
      expect(pg, `${name} is missing from src/db/postgres/schema.ts`).toBeDefined();
      const sqlite = shape(sqliteTables.get(name)!);
      // On PostgreSQL the readings' reference to metrics is kept by ingestion and a trigger, not a
      // foreign key (src/db/postgres/schema.ts says why); everything else of the table must match.
      if (name === 'readings') sqlite.foreignKeys = sqlite.foreignKeys.filter((fk) => fk.table !== 'metrics');
      expect(shape(pg!)).toEqual(sqlite);
    },
  );
});
