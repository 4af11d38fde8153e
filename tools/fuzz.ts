// `npm run fuzz -- [--runs 1000] [--seed N]`: the nightly-sized run of the OpenAPI fuzzer
// (tests/security/fuzz.test.ts): every operation of /openapi.json gets `--runs` generated requests
// (30 on every `npm test`). Prints a table of the statuses each operation answered.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/paths.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1000' }, seed: { type: 'string' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error('--runs must be a positive integer');
  process.exit(2);
}
const root = projectRoot();
// The test reads its size from its own environment; this process passes only that (and reads none).
const env: Record<string, string> = { FUZZ_RUNS: String(runs), FUZZ_REPORT: '1' };
if (values.seed !== undefined) env.FUZZ_SEED = values.seed;
const child = spawn(
  process.execPath,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'tests/security/fuzz.test.ts'],
  { cwd: root, env, stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
