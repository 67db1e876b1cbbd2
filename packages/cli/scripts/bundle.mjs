// Bundles the `study` command with esbuild (run by `npm run build` after `tsc -b`; bin/study.js loads it):
//   dist/bundle/study.mjs        the CLI (arguments, printing), small: `study --help` loads nothing else
//   dist/bundle/core.cjs         the language and the engine (from their dist/, tree-shaken, minified), one CommonJS
//                                file that scripts/core-loader.mjs compiles with V8's code cache, core.cjs.cache
//                                (made by scripts/code-cache.mjs from a run of the example; not for the figure code)
//   dist/bundle/chunk-*.mjs      code split off by esbuild: the HTML report and the figures' SVG (Observable Plot,
//                                linkedom) in a chunk loaded only by `study run --out report.html`
// The figure renderer (report/figures-svg, report/svg-document, report/html-report) is taken out of the engine's index
// for the core; main.ts imports the HTML report on demand from `@study/engine/html`.
// Usage: node scripts/bundle.mjs [--metafile] [--no-minify] [--no-code-cache]
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const out = resolve(pkg, 'dist/bundle');
const engineIndex = resolve(pkg, '../engine/dist/index.js');
const LAZY = /^export \* from '\.\/report\/(figures-svg|svg-document|html-report)\.js';$/gm;

/** The engine's index without the figure renderer: what a text or JSON run needs. */
const engineCore = {
  name: 'study-engine-core',
  setup(build) {
    build.onLoad({ filter: /[\\/]engine[\\/]dist[\\/]index\.js$/ }, (args) => {
      if (resolve(args.path) !== engineIndex) return undefined;
      return { contents: readFileSync(args.path, 'utf8').replace(LAZY, ''), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/**
 * The commit the bundle is built from, for the provenance of its reports (a run then starts no git): only
 * from a clean checkout, where the commit is the code bundled. From a tree with changes (or without git)
 * nothing is recorded and a run asks git, as the unbundled CLI does.
 */
function buildCommit() {
  try {
    const git = (...args) => execFileSync('git', ['-C', resolve(pkg, '../..'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', 'HEAD');
    return /^[0-9a-f]{40}$/.test(head) && git('status', '--porcelain', '--untracked-files=no') === '' ? head : undefined;
  } catch {
    return undefined;
  }
}
const commit = buildCommit();

/** vscode-languageserver-protocol, as Langium's core document builder imports it: two names (lsp-protocol-shim.mjs). */
const protocolShim = {
  name: 'study-lsp-protocol-shim',
  setup(build) {
    build.onResolve({ filter: /^vscode-languageserver-protocol$/ }, (args) =>
      /[\\/]langium[\\/]lib[\\/]workspace[\\/]document-builder\.js$/.test(args.importer) ? { path: resolve(here, 'lsp-protocol-shim.mjs') } : undefined,
    );
  },
};

/**
 * Chevrotain computes, when it builds a parser, the follow sets of every production for its error recovery
 * (re-synchronising after a syntax error): ~10 ms of each `study` start, and needed only by a spec with a syntax
 * error. In the bundle they are computed on first use, by the same function from the same productions (the
 * recording of the grammar is finished by then). bundle.test.ts checks that the messages for a spec with syntax
 * errors are those of the unbundled CLI. The build fails if Chevrotain's code no longer reads as expected.
 */
const lazyFollows = {
  name: 'study-chevrotain-lazy-follows',
  setup(build) {
    build.onLoad({ filter: /[\\/]chevrotain[\\/]lib[\\/]src[\\/]parse[\\/]parser[\\/]parser\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const eager = /const allFollows = computeAllProdsFollows\(values\(this\.gastProductionsCache\)\);\s*this\.resyncFollows = allFollows;/;
      if (!eager.test(source)) throw new Error(`${args.path}: Chevrotain's follow sets are not computed as scripts/bundle.mjs expects; update its lazyFollows plugin`);
      const lazy =
        'let allFollows; const productions = this.gastProductionsCache; ' +
        'Object.defineProperty(this, "resyncFollows", { configurable: true, enumerable: true, ' +
        'get: () => (allFollows ??= computeAllProdsFollows(values(productions))), set: (v) => { allFollows = v; } });';
      return { contents: source.replace(eager, lazy), loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

/** src/core-modules.ts (the language and the engine, imported on demand) as scripts/core-loader.mjs: from core.cjs. */
const coreLoader = {
  name: 'study-core-loader',
  setup(build) {
    build.onResolve({ filter: /[\\/]core-modules\.js$/ }, (args) =>
      /[\\/]cli[\\/]dist$/.test(args.resolveDir) ? { path: resolve(here, 'core-loader.mjs') } : undefined,
    );
  },
};

const minify = !process.argv.includes('--no-minify');

/** what both builds share */
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minify,
  sourcemap: 'linked',
  // langium/chevrotain ship `import` conditions only; prefer ESM over `main`
  mainFields: ['module', 'main'],
  // the database clients of the SQL backends stay outside the bundle, loaded from node_modules only by a
  // spec whose data are in a database (DuckDB's client is a native addon and cannot be bundled)
  external: ['@duckdb/node-api', 'pg'],
  metafile: true,
  logLevel: 'warning',
};
const commitDefine = { __STUDY_BUILD_COMMIT__: JSON.stringify(commit ?? '') };

rmSync(out, { recursive: true, force: true });
const t0 = Date.now();
// the language and the engine: one CommonJS file (a code cache can be given to a script, not to an ES module)
const coreResult = await esbuild.build({
  ...common,
  stdin: {
    contents: "export * as language from '@study/language/core';\nexport * as engine from '@study/engine';\n",
    resolveDir: pkg,
    sourcefile: 'study-core.js',
    loader: 'js',
  },
  outfile: resolve(out, 'core.cjs'),
  format: 'cjs',
  // import() of the database clients as require(): core.cjs runs as a vm.Script, which has no module loader of its own
  supported: { 'dynamic-import': false },
  // import.meta.url of every module inlined: core.cjs's URL (the files they look for are found upwards from it)
  define: { ...commitDefine, 'import.meta.url': '__study_import_meta_url' },
  banner: { js: "var __study_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  plugins: [engineCore, protocolShim, lazyFollows],
});
// the CLI, and the HTML report in a chunk of its own
const result = await esbuild.build({
  ...common,
  entryPoints: { study: resolve(pkg, 'dist/main.js') },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  splitting: true,
  format: 'esm',
  // CommonJS dependencies bundled into ESM call require() for Node's built-ins
  banner: { js: "import { createRequire as __study_createRequire } from 'node:module'; const require = __study_createRequire(import.meta.url);" },
  plugins: [coreLoader],
  define: commitDefine,
});
if (process.argv.includes('--metafile')) writeFileSync(resolve(out, 'meta.json'), JSON.stringify({ inputs: { ...result.metafile.inputs, ...coreResult.metafile.inputs }, outputs: { ...result.metafile.outputs, ...coreResult.metafile.outputs } }));
// which file holds what (packages/cli/test/bundle.test.ts checks that each is loaded only when needed)
const outputs = [...Object.entries(result.metafile.outputs), ...Object.entries(coreResult.metafile.outputs)].filter(([f]) => /\.[mc]js$/.test(f));
const holding = (suffix) => {
  const hit = outputs.find(([, o]) => Object.keys(o.inputs).some((i) => i.replace(/\\/g, '/').endsWith(suffix)));
  return hit ? hit[0].replace(/.*\//, '') : undefined;
};
const manifest = {
  entry: 'study.mjs',
  language: holding('language/dist/core.js'),
  // the language server's services and LSP providers: not in the CLI (null)
  lsp:
    holding('language/dist/study-module.js') ??
    holding('language/dist/lsp/completion.js') ??
    holding('langium/lib/lsp/language-server.js') ??
    holding('vscode-languageserver/lib/common/server.js') ??
    holding('vscode-languageserver-protocol/lib/common/protocol.js') ??
    null,
  commit: commit ?? null,
  engine: holding('engine/dist/fit/index.js'),
  html: holding('engine/dist/report/html-report.js'),
  plot: holding('@observablehq/plot/src/plot.js'),
  dom: holding('linkedom/esm/index.js'),
};
writeFileSync(resolve(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
const sizes = outputs.map(([f, o]) => `${f.replace(/.*\//, '')} ${(o.bytes / 1024).toFixed(0)} KiB`);
console.log(`study CLI bundled in ${Date.now() - t0} ms: ${sizes.join(', ')}`);
if (!process.argv.includes('--no-code-cache')) {
  // the cache is a start-up optimisation: without it the CLI works the same (bundle.test.ts fails on its absence)
  try {
    execFileSync(process.execPath, [resolve(here, 'code-cache.mjs')], { stdio: 'inherit' });
  } catch (e) {
    console.warn(`warning: no code cache for dist/bundle/core.cjs (scripts/code-cache.mjs failed: ${e.message.split('\n')[0]})`);
  }
}
