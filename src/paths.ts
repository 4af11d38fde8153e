import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The folder holding package.json (and drizzle/, views/, public/): found by walking up, so it is
 * the same from src/ (tsx, tests) and from dist/src/ (the build, the container).
 */
export function projectRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${import.meta.url}`);
    dir = up;
  }
  return (root = dir);
}
