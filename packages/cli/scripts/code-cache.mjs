// Makes dist/bundle/core.cjs.cache, the V8 code cache of the bundle's core (scripts/core-loader.mjs says why): runs
// `study run` on the ketamine example through the bundle, its output discarded, and saves the code V8 compiled for
// core.cjs on the way (the top level and every function the run called), with the record the loader checks before
// it uses the cache. A package built without the example gets no cache. Run by scripts/bundle.mjs in a process of
// its own, started without V8 flags as `study` is (V8 rejects a cache made under other flags).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, '../dist/bundle');
const core = resolve(out, 'core.cjs');
const example = resolve(here, '../../../examples/ketamine/ketamine.study');

if (!existsSync(example)) {
  // a package built without the repository's examples: no cache, the core is compiled at each start
  console.log(`no code cache: ${example} is not here`);
  process.exit(0);
}
process.env.STUDY_CODE_CACHE_WARMUP = '1';
const { main } = await import(resolve(out, 'study.mjs'));
const write = process.stdout.write;
process.stdout.write = () => true;
let code;
try {
  code = await main(['run', example]);
} finally {
  process.stdout.write = write;
}
if (code !== 0) throw new Error(`the warm-up run of ${example} exited with ${code}`);
const script = globalThis[Symbol.for('study.coreScript')];
if (!script) throw new Error('the bundle did not load dist/bundle/core.cjs through scripts/core-loader.mjs');
const data = script.createCachedData();
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const record = { sha256: sha256(readFileSync(core)), cacheSha256: sha256(data), node: process.version, arch: process.arch, v8: process.versions.v8 };
writeFileSync(`${core}.cache.tmp`, data);
renameSync(`${core}.cache.tmp`, `${core}.cache`);
writeFileSync(`${core}.cache.json`, JSON.stringify(record) + '\n');
console.log(`code cache of core.cjs: ${(data.length / 1024).toFixed(0)} KiB`);
