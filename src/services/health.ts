import type { Repositories } from '../db/repositories/index.js';

/** Readiness, for /readyz: public and cheap, so it decides nothing about the caller. */
export function healthService(repos: Repositories) {
  return {
    /** The database answers and every migration shipped with this build is applied. */
    migrationsApplied: (): Promise<boolean> => repos.health.migrationsApplied(),
  };
}

export type HealthService = ReturnType<typeof healthService>;
