import type { Repositories } from '../db/repositories/index.js';
import { DAY_MS } from '../time.js';

/**
 * Raw readings older than the retention are deleted; hourly roll-ups stay, so charts of an hour
 * or longer keep working for old windows (shorter intervals show gaps there).
 */
export function retentionService(repos: Repositories, retentionDays: number) {
  return {
    async apply(now = Date.now()): Promise<number> {
      if (retentionDays <= 0) return 0;
      return repos.readings.deleteBefore(now - retentionDays * DAY_MS);
    },
  };
}
