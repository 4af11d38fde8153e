// ESLint: TypeScript's recommended rules plus the rules that keep the layers apart
// (docs/architecture.md, "Layers"). Formatting is Prettier's job, not ESLint's.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** A pattern group for no-restricted-imports: any relative path reaching into one of `folders`. */
const into = (folders, message) => ({
  group: folders.flatMap((f) => [`**/${f}`, `**/${f}/**`]),
  message,
});

const layer = (files, patterns, paths = []) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns, paths }] },
});

const fastifyPackages = [{ name: 'fastify', message: 'Services never import fastify: they take plain input.' }];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'drizzle/', 'bench/results/', 'test-results/', 'public/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js'] } } },
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      'import-x/no-cycle': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  layer(
    ['src/services/**'],
    [
      into(['routes', 'plugins', 'seed'], 'Services sit below routes and plugins and do not depend on the demo seed.'),
      { group: ['@fastify/*'], message: 'Services never import fastify.' },
    ],
    fastifyPackages,
  ),
  layer(
    ['src/schemas/**'],
    [into(['services', 'routes', 'plugins', 'db'], 'Schemas describe data; they import no layer.')],
  ),
  layer(
    ['src/routes/**'],
    [
      into(['db'], 'Routes call services; only repositories touch the database.'),
      {
        group: ['**/services/policy', '**/services/policy.js'],
        message: 'Services decide authorization; a route asks them (a page gets `canEdit` from one).',
      },
    ],
  ),
  layer(['src/db/**'], [into(['services', 'routes', 'plugins'], 'The database layer sits below everything else.')]),
  layer(
    ['src/domain/**'],
    [
      into(
        ['services', 'routes', 'plugins', 'db', 'seed', 'schemas', 'simulator'],
        'The domain catalogue is plain data that every layer reads; it imports none of them.',
      ),
    ],
  ),
  layer(
    ['src/alarms/**'],
    [
      into(
        ['services', 'routes', 'plugins', 'db', 'seed', 'schemas', 'simulator'],
        'Alarm evaluation is pure: rules and readings in, transitions out; no storage, no app.',
      ),
    ],
  ),
  layer(
    ['src/simulator/**'],
    [into(['services', 'routes', 'plugins', 'db', 'seed'], 'The simulator is pure physics: no storage, no app.')],
  ),
);
