#!/usr/bin/env node
// `study`: loads the bundled CLI, dist/bundle/study.mjs (built by `npm run build`: scripts/bundle.mjs), which loads
// the language and the engine (dist/bundle/core.cjs, with V8's code cache: scripts/core-loader.mjs) only for a
// command that needs them and the HTML report's figure code only for `--out`. When the bundle is missing, or older
// than the TypeScript build of a package it inlines (`tsc -b` ran after it), the unbundled dist/main.js runs
// instead: slower to start, the same behaviour. STUDY_CLI_BUNDLE=0 forces dist/main.js.
import { statSync } from 'node:fs';

const pkg = new URL('../', import.meta.url);
const mtime = (rel) => {
  try {
    return statSync(new URL(rel, pkg)).mtimeMs;
  } catch {
    return undefined;
  }
};
const bundled = mtime('dist/bundle/study.mjs');
const fresh =
  bundled !== undefined &&
  process.env.STUDY_CLI_BUNDLE !== '0' &&
  ['tsconfig.tsbuildinfo', '../language/tsconfig.tsbuildinfo', '../engine/tsconfig.tsbuildinfo'].every((f) => !(mtime(f) > bundled));
const { main } = await import(fresh ? '../dist/bundle/study.mjs' : '../dist/main.js');

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
