// Keyset pagination: the cursor is the sort key of the last item, opaque to clients.
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageQuery {
  limit: number;
  cursor?: string;
}

export type CursorKey = [string | number, string];

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Returns null for a cursor that was not made by encodeCursor (the caller answers 400). */
export function decodeCursor(cursor: string | undefined): CursorKey | null | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(key) &&
      key.length === 2 &&
      ['string', 'number'].includes(typeof key[0]) &&
      typeof key[1] === 'string'
    ) {
      return key as CursorKey;
    }
  } catch {
    // fall through: malformed
  }
  return null;
}

/** Fetch limit + 1 rows; this trims the extra one and makes the cursor from the last kept row. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => CursorKey): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  return { items, nextCursor: more ? encodeCursor(keyOf(items[items.length - 1])) : null };
}
