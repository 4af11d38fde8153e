// Spectral run in-process the way its CLI runs it (migrate the YAML ruleset, bundle, load), but with
// a fetch that refuses: the OWASP ruleset must come from node_modules, never from the network.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Document, Ruleset, Spectral, type ISpectralDiagnostic } from '@stoplight/spectral-core';
import * as Parsers from '@stoplight/spectral-parsers';
import { bundleRuleset } from '@stoplight/spectral-ruleset-bundler';
import { builtins } from '@stoplight/spectral-ruleset-bundler/plugins/builtins';
import { commonjs } from '@stoplight/spectral-ruleset-bundler/plugins/commonjs';
import { stdin } from '@stoplight/spectral-ruleset-bundler/plugins/stdin';
import { node } from '@stoplight/spectral-ruleset-bundler/presets/node';
import { migrateRuleset } from '@stoplight/spectral-ruleset-migrator';

export const ROOT = join(dirname(new URL(import.meta.url).pathname), '..', '..');
export const RULESET = join(ROOT, '.spectral.yaml');

const offline = (async (url: string) => {
  throw new Error(`Spectral tried to fetch ${url}; rulesets must load from node_modules`);
}) as unknown as typeof globalThis.fetch;

export async function loadRuleset(file = RULESET): Promise<Ruleset> {
  const migrated = await migrateRuleset(file, { format: 'esm', fs: fs as never });
  const entry = join(dirname(file), '.spectral.js');
  const code = await bundleRuleset(entry, {
    target: 'node',
    format: 'commonjs',
    plugins: [stdin(migrated, entry), builtins(), commonjs(), ...node({ fs: fs as never, fetch: offline as never })],
  });
  const req = createRequire(entry);
  const m: { exports?: unknown } = {};
  Function('module, require', code)(m, (id: string) => req(req.resolve(id, { paths: [dirname(entry)] })));
  return new Ruleset(m.exports as never, { severity: 'recommended', source: file });
}

/** Lints a document as if it were the file `openapi.json` beside the ruleset (overrides name that file). */
export async function lint(document: string, ruleset: Ruleset): Promise<ISpectralDiagnostic[]> {
  const spectral = new Spectral();
  spectral.setRuleset(ruleset);
  return spectral.run(new Document(document, Parsers.Json, join(ROOT, 'openapi.json')));
}
