// Part of `npm run build`: bundles the server into dist/server.js, the file `npm start` and the
// container run. Only our own modules and TypeBox go into the bundle; every other package is
// imported from node_modules as usual (native addons, packages that read their own files).
//
// Why: Node 20 resolves and links ESM files one by one, and TypeBox 1.x alone is ~700 of them.
// A restart spent ~1.2 s importing modules, ~0.5 s of it TypeBox and ~0.1 s our own ~110 files;
// bundled, the server answers /healthz about a second sooner (issue #6, P9). The unbundled build
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
