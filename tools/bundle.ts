// Part of `npm run build`: bundles the server into dist/server.js, the file `npm start` and the
// container run. Only our own modules and TypeBox go into the bundle; every other package is
// imported from node_modules as usual (native addons, packages that read their own files).
//
// Why: Node 20 resolves and links ESM files one by one, and TypeBox 1.x alone is ~700 of them.
// Unbundled, importing modules is most of a restart, TypeBox the largest part of it; bundled, the
// server answers /healthz much sooner (docs/performance.md, P9). The unbundled build
// in dist/src/ stays for the scripts (migrate, seed, backup).
import { build, type Plugin } from 'esbuild';
import { join } from 'node:path';
import { projectRoot } from '../src/paths.js';

const bundled = (path: string) => path === 'typebox' || path.startsWith('typebox/');

const packagesStayExternal: Plugin = {
  name: 'packages-stay-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (bundled(args.path) ? undefined : { path: args.path, external: true }));
  },
};

const root = projectRoot();
await build({
  entryPoints: [join(root, 'src/server.ts')],
  outfile: join(root, 'dist/server.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [packagesStayExternal],
  // dist/server.js.map: stack traces point into src/ with NODE_OPTIONS=--enable-source-maps.
  sourcemap: true,
  logLevel: 'warning',
});
