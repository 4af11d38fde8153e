import { randomBytes } from 'node:crypto';

/** Opaque, URL-safe ids with a type prefix that makes logs readable: `site_3kq…`. */
export const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;
