// A device's change history as its page shows it: when, what, who, and which fields changed.
import type { NamedAuditRecord } from '../db/repositories/audit.js';
import { iso } from './views.js';

/** Fields worth naming in the audit trail when they changed. */
function changes(before: unknown, after: unknown): string[] {
  if (!before || !after || typeof before !== 'object' || typeof after !== 'object') return [];
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return Object.keys(a)
    .filter((k) => !['updatedAt', 'version'].includes(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) =>
      shown(b[k]) === shown(a[k]) ? `${k}: units, kinds or intervals changed` : `${k}: ${shown(b[k])} → ${shown(a[k])}`,
    );
}

/** A metric list (an edit that changed metrics records them on the device) reads as its names and keys. */
function shown(value: unknown): string {
  if (!Array.isArray(value)) return String(value ?? '–');
  return value.map((m: { name?: unknown; key?: unknown }) => `${String(m.name)} (${String(m.key)})`).join(', ') || '–';
}

export const historyEntry = (r: NamedAuditRecord) => ({
  at: iso(r.at),
  action: r.action,
  who: r.actorId === null ? 'the system' : (r.actorName ?? 'a removed user'),
  changes: changes(r.before, r.after),
});
