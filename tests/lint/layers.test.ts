// The layer rules in eslint.config.js must bite: a fabricated file in each layer that reaches where
// it may not gets the error, and the same file without that import gets none. (That the real tree
// has no errors is `npm run lint`, which `npm test` runs first.)
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The rule ids ESLint reports for `code` as if it were the file at `path` (relative to the project). */
async function problems(path: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result.messages.map((m) => ({ rule: m.ruleId, severity: m.severity, message: m.message }));
}

const layerError = (from: string) =>
  expect.objectContaining({ rule: 'no-restricted-imports', severity: 2, message: expect.stringContaining(from) });

/** A module whose one import is `target`. */
const importing = (target: string) => `import * as imported from '${target}';\nexport default imported;\n`;

describe('ESLint layer rules', () => {
  it.each([
    ['src/services/fabricated.ts', '../routes/api/index.js'],
    ['src/services/fabricated.ts', '../plugins/app/auth.js'],
    ['src/services/fabricated.ts', '../seed/demo.js'],
    ['src/services/fabricated.ts', 'fastify'],
    ['src/routes/fabricated.ts', '../db/client.js'],
    ['src/routes/api/fabricated.ts', '../../db/repositories/index.js'],
    ['src/schemas/fabricated.ts', '../services/devices.js'],
    ['src/db/fabricated.ts', '../services/index.js'],
    ['src/domain/fabricated.ts', '../schemas/metrics.js'],
    ['src/simulator/fabricated.ts', '../db/client.js'],
  ])('When %s imports %s, then ESLint reports the layer rule', async (path, target) => {
    expect(await problems(path, importing(target))).toContainEqual(layerError(`'${target}'`));
  });

  it.each([
    ['src/services/fabricated.ts', '../errors.js'],
    ['src/routes/fabricated.ts', '../schemas/devices.js'],
    ['src/schemas/fabricated.ts', '../domain/device-types.js'],
    ['src/simulator/fabricated.ts', '../timeseries/zone.js'],
  ])('When %s imports %s, which its layer may, then ESLint reports nothing', async (path, target) => {
    expect(await problems(path, importing(target))).toEqual([]);
  });
});
