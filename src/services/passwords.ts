import argon2 from 'argon2';
import { errors } from '../errors.js';

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1 is the minimum.
// https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => argon2.hash(password, ARGON2_OPTIONS);

let dummy: Promise<string> | undefined;

// argon2 takes 19 MiB and a core for ~50 ms. Unbounded, a storm of sign-ins fills libuv's
// threadpool and starves every other request on a 2-core machine; so verifications run one at
// a time, a short queue waits, and past it the caller is told to retry (429).
const MAX_WAITING = 16;
let running = false;
const waiting: (() => void)[] = [];

async function oneAtATime<T>(fn: () => Promise<T>): Promise<T> {
  if (running) {
    if (waiting.length >= MAX_WAITING) throw Object.assign(new errors.RATE_LIMITED(), { retryAfter: 1 });
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
  running = true;
  try {
    return await fn();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else running = false;
  }
}

/**
 * Verifies a password. With no hash (unknown email) it still verifies against a dummy hash,
 * so an unknown email costs the same time as a wrong password and timing reveals nothing.
 */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  dummy ??= hashPassword('dummy password for timing equality');
  const target = hash ?? (await dummy);
  return oneAtATime(async () => {
    try {
      const ok = await argon2.verify(target, password);
      return ok && hash !== null;
    } catch {
      return false;
    }
  });
}
