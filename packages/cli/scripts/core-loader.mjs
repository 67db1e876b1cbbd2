// In the CLI bundle (scripts/bundle.mjs), this module stands for src/core-modules.ts: the language and the engine
// come from dist/bundle/core.cjs, one CommonJS file compiled with V8's code cache.
//
// Why: a run of the ketamine example spent ~35 ms compiling the bundle's source and more compiling each function on
// its first call (V8 compiles lazily). `npm run build` runs the example once with this loader and saves the code V8
// compiled (scripts/code-cache.mjs: core.cjs.cache); later runs deserialize it instead of compiling. Only a
// CommonJS script can be given a code cache in Node 20 (vm.Script's cachedData; ES modules have no such API).
//
// The cache is used only when its record (core.cjs.cache.json) names this core.cjs and this cache (their SHA-256,
// ~2 ms together) and this Node (its version and architecture). V8 checks its own version and flags and rejects a
// cache that does not fit, but it checks the source by length only and (in a release build) the cache's bytes not
// at all: a damaged cache would crash the process, hence the record. Without a usable cache the file is compiled as any script,
// with the same behaviour. Nothing is written here at run time but the trace packages/cli/test/bundle.test.ts asks
// for (STUDY_TRACE_LOADS: whether the cache was used).
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const file = fileURLToPath(new URL('./core.cjs', import.meta.url));
const cacheFile = `${file}.cache`;

let core;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The code cache for core.cjs (its bytes given), if its record fits the file and this process. */
function cachedData(bytes) {
  if (process.env.STUDY_CODE_CACHE === '0' || process.env.STUDY_CODE_CACHE_WARMUP) return undefined;
  try {
    const record = JSON.parse(readFileSync(`${cacheFile}.json`, 'utf8'));
    if (record.node !== process.version || record.arch !== process.arch) return undefined;
    if (record.sha256 !== sha256(bytes)) return undefined;
    const cache = readFileSync(cacheFile);
    return record.cacheSha256 === sha256(cache) ? cache : undefined;
  } catch {
    return undefined;
  }
}

function load() {
  if (core) return core;
  const bytes = readFileSync(file);
  const cache = cachedData(bytes);
  // the CommonJS wrapper on a line of its own (lineOffset -1), so that positions in core.cjs and its source map hold
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {\n${bytes.toString('utf8')}\n})`, {
    filename: file,
    lineOffset: -1,
    cachedData: cache,
  });
  if (process.env.STUDY_TRACE_LOADS) appendFileSync(process.env.STUDY_TRACE_LOADS, `code-cache: ${!cache ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
  // scripts/code-cache.mjs saves the code compiled by its run of the example
  if (process.env.STUDY_CODE_CACHE_WARMUP) globalThis[Symbol.for('study.coreScript')] = script;
  core = module.exports;
  return core;
}

export const language = async () => load().language;
export const engine = async () => load().engine;
