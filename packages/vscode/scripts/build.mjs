// Bundles the extension with esbuild into out/ (everything the .vsix needs; `vsce package --no-dependencies`):
//   out/extension.cjs   the extension (cjs, `vscode` external)
//   out/server.cjs      the Study language server (packages/language/src/server/main.ts; Langium is ESM, bundled to cjs)
//   out/fit-worker.cjs  the server's worker (packages/language/src/results/fit-worker.ts): fits, and the checks against
//                       large data files (validation/data-offload.ts); the extension passes its path to the server in
//                       STUDY_FIT_WORKER
//   out/webview.js      the Results panel script (browser iife; draws figures with the engine's renderFigureSvg)
// Usage: node scripts/build.mjs [--watch] [--minify]
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const repo = resolve(pkg, '../..');
const out = resolve(pkg, 'out');
const args = new Set(process.argv.slice(2));
const minify = args.has('--minify');

// Bundle the TypeScript sources of the workspace packages (not their dist/), so `npm run build` here does
// not depend on `tsc -b` having run first.
const alias = {
  '@study/engine': resolve(repo, 'packages/engine/src/index.ts'),
  '@study/language': resolve(repo, 'packages/language/src/index.ts'),
  '@study/language/protocol': resolve(repo, 'packages/language/src/results/protocol.ts'),
};

// ESM code bundled to cjs: `import.meta.url` is empty in cjs. Replace it with the bundle's own file URL.
const importMetaShim = {
  banner: { js: "const __study_import_meta_url = require('url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__study_import_meta_url' },
};

const nodeCommon = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  minify,
  alias,
  logLevel: 'warning',
  // langium/chevrotain ship `import` conditions only; prefer them over `main`
  mainFields: ['module', 'main'],
  // the SQL backends' database clients (DuckDB's is a native addon) are not bundled: loaded from node_modules
  // by a spec whose data are in a database, and said to be missing otherwise (engine backends/duckdb.ts)
  external: ['@duckdb/node-api', 'pg'],
  ...importMetaShim,
};

/** The figure renderer: the engine's figures-svg module (Observable Plot, no Node-only imports), from its sources. */
const figuresSvg = resolve(repo, 'packages/engine/src/report/figures-svg.ts');
const figuresPlugin = {
  name: 'study-figures',
  setup(build) {
    build.onResolve({ filter: /^study:figures-svg$/ }, () => ({ path: figuresSvg }));
  },
};

const fitWorker = resolve(repo, 'packages/language/src/results/fit-worker.ts');

const builds = [
  { ...nodeCommon, entryPoints: [resolve(pkg, 'src/extension.ts')], outfile: resolve(out, 'extension.cjs'), external: ['vscode', '@duckdb/node-api', 'pg'] },
  { ...nodeCommon, entryPoints: [resolve(repo, 'packages/language/src/server/main.ts')], outfile: resolve(out, 'server.cjs') },
  ...(existsSync(fitWorker) ? [{ ...nodeCommon, entryPoints: [fitWorker], outfile: resolve(out, 'fit-worker.cjs') }] : []),
  {
    bundle: true, platform: 'browser', format: 'iife', target: 'es2020', sourcemap: false, minify, alias, logLevel: 'warning',
    entryPoints: [resolve(pkg, 'src/panel/webview.ts')], outfile: resolve(out, 'webview.js'), plugins: [figuresPlugin],
  },
];

if (!args.has('--watch')) rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
if (!existsSync(fitWorker)) console.warn(`note: ${fitWorker} does not exist yet; out/fit-worker.cjs not built`);

const t0 = Date.now();
if (args.has('--watch')) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching…');
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`built ${builds.length} bundles into ${out} in ${Date.now() - t0} ms`);
}
