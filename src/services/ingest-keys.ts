import { randomBytes } from 'node:crypto';
import type { IngestKeyRow } from '../db/repositories/ingest-keys.js';
import type { Repositories } from '../db/repositories/index.js';
import { errors, invalid } from '../errors.js';
import { hashToken, INGEST_KEY_PREFIX } from './auth.js';
import { requireManageIngestKeys, requireSite, type Actor } from './policy.js';
import { iso } from './views.js';

const siteNotFound = () => new errors.SITE_NOT_FOUND();
const keyNotFound = () => new errors.INGEST_KEY_NOT_FOUND();

/**
 * Ingest keys of a site: made, listed and revoked by its technicians and admins. The secret is
 * random and shown once; only its SHA-256 is stored, like a personal token's.
 */
export function ingestKeysService(repos: Repositories) {
  return {
    async create(actor: Actor, siteId: string, input: { name: string; deviceId?: string }) {
      await requireSite(actor, siteId, repos.sites.exists, siteNotFound);
      requireManageIngestKeys(actor, siteId, siteNotFound);
      if (input.deviceId !== undefined) {
        const device = await repos.devices.findById(input.deviceId);
        if (device?.siteId !== siteId) throw invalid([{ path: '/deviceId', message: 'No such device on this site' }]);
      }
      const raw = INGEST_KEY_PREFIX + randomBytes(32).toString('base64url');
      const key = await repos.ingestKeys.create({
        siteId,
        deviceId: input.deviceId ?? null,
        name: input.name.trim(),
        keyHash: hashToken(raw),
        prefix: raw.slice(0, 10),
        createdBy: actor.id,
      });
      return { ...ingestKeyView(key), key: raw };
    },

    /**
     * Makes sure `raw` is an active key of the site, made by Sitewatt itself (the demo simulator's,
     * derived from a secret so that a restart finds it again). false when such a key was revoked:
     * a revocation is respected, not undone.
     */
    async ensureSystemKey(siteId: string, raw: string, name: string): Promise<boolean> {
      const keyHash = hashToken(raw);
      if (await repos.ingestKeys.findActiveByHash(keyHash)) return true;
      try {
        await repos.ingestKeys.create({
          siteId,
          deviceId: null,
          name,
          keyHash,
          prefix: raw.slice(0, 10),
          createdBy: null,
        });
        return true;
      } catch {
        return false; // the hash is taken: that key exists and is revoked
      }
    },

    async list(actor: Actor, siteId: string) {
      await requireSite(actor, siteId, repos.sites.exists, siteNotFound);
      requireManageIngestKeys(actor, siteId, siteNotFound);
      return (await repos.ingestKeys.listForSite(siteId)).map(ingestKeyView);
    },

    /** Revoking a revoked key changes nothing and succeeds. `siteId`: the key must be that site's (a page's URL). */
    async revoke(actor: Actor, keyId: string, siteId?: string) {
      const key = await repos.ingestKeys.findById(keyId);
      const site = siteId === undefined || key?.siteId === siteId ? key?.siteId : undefined;
      requireManageIngestKeys(actor, site, keyNotFound);
      await repos.ingestKeys.revoke(keyId, actor.id);
    },
  };
}

export const ingestKeyView = (k: IngestKeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scope: k.deviceId === null ? ('site' as const) : ('device' as const),
  siteId: k.siteId,
  deviceId: k.deviceId,
  deviceName: k.deviceName,
  createdBy: k.createdBy === null ? null : { id: k.createdBy, name: k.createdByName },
  createdAt: iso(k.createdAt),
  lastUsedAt: k.lastUsedAt === null ? null : iso(k.lastUsedAt),
  revokedAt: k.revokedAt === null ? null : iso(k.revokedAt),
});

export type IngestKeysService = ReturnType<typeof ingestKeysService>;
