// Spectral's OpenAPI ruleset and the OWASP API Security ruleset on the served document.
// Waivers live in .spectral.yaml, each with a one-line reason.
import { describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { lint, loadRuleset } from './spectral.js';

describe('GET /openapi.json, linted', () => {
  it('When Spectral (spectral:oas + OWASP) lints the served document, then there is no error and no warning', async () => {
    const app = await buildTestApp();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).body;
    await app.close();
    const results = await lint(doc, await loadRuleset());
    const findings = results
      .filter((r) => r.severity <= 1) // 0 error, 1 warning; 2 information and 3 hint are not findings
      .map((r) => `${r.severity === 0 ? 'error' : 'warning'} ${r.code} at ${r.path.join('/')}: ${r.message}`);
    expect(findings).toEqual([]);
  });

  it('When the ruleset loads, then the OWASP rules are active (a waiver file cannot silently drop them)', async () => {
    const ruleset = await loadRuleset();
    const names = Object.keys(ruleset.rules);
    expect(names).toEqual(
      expect.arrayContaining([
        'owasp:api1:2023-no-numeric-ids',
        'owasp:api2:2023-write-restricted',
        'sitewatt-input-string-limit',
        'operation-operationId',
      ]),
    );
    for (const rule of [
      'owasp:api2:2023-write-restricted',
      'owasp:api4:2023-rate-limit',
      'owasp:api4:2023-rate-limit-responses-429',
      'owasp:api4:2023-rate-limit-retry-after',
    ])
      expect(ruleset.rules[rule].enabled, rule).toBe(true);
  });
});
