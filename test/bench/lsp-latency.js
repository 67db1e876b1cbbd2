// The language server's latency on a large data file, as an editor sees it (part of `npm run bench`; not a test).
// Usage: node test/bench/lsp-latency.js [--subjects N] [--server FILE] [--keep]
//   N subjects x 6 visits from the seeded generator (simulate.js; default 200000, ~24 MB, 1.2M rows) in a temp
//   folder; the server (default: the bundled packages/vscode/out/server.cjs, else packages/language/dist/server/main.js)
//   over stdio, the temp folder as the workspace. It opens a spec on the file and records:
//     firstDiagnosticsMs   didOpen -> the first publishDiagnostics (syntax and spec checks)
//     dataDiagnosticsMs    didOpen -> the diagnostics of the checks against the data (the spec's `test visit` gives
//                          the info "visit is tested at age = 0 (the mean age is …)", computed over the model's rows)
//     hover                latency of a hover on a keyword and on a column while the data are read and checked,
//                          and once they are (median and max of 20)
//     stallMs              the longest time the server's main thread did not answer: hovers on a keyword are sent
//                          every 20 ms from didOpen until the data diagnostics of an edit are in, and the slowest
//                          answer is the stall; with STUDY_EVENT_LOOP_STATS=1 the server also reports its own
//                          event-loop delay (perf_hooks.monitorEventLoopDelay, request `study/eventLoopStats`)
//     editDataDiagnosticsMs  an edit (a comment line) -> the data diagnostics of the new text
// Prints one JSON line (the last line of stdout).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-languageserver-protocol/node.js';
import { simulatedSpec } from './simulate.js';
import { generate } from './generate.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const subjects = Number(arg('--subjects', process.env.BENCH_LSP_SUBJECTS ?? 200000));
const bundled = join(root, 'packages/vscode/out/server.cjs');
const server = arg('--server', existsSync(bundled) ? bundled : join(root, 'packages/language/dist/server/main.js'));
const fitWorker = join(dirname(server), 'fit-worker.cjs');
const TIMEOUT = Number(process.env.BENCH_LSP_TIMEOUT ?? 300) * 1000;

const dir = mkdtempSync(join(tmpdir(), 'study-bench-lsp-'));
const csv = join(dir, `sim-${subjects}.csv`);
generate('simulate', subjects, csv);
const specFile = join(dir, 'sim.study');
const text = simulatedSpec(subjects, { extra: ['test visit, age, visit*age'] });
writeFileSync(specFile, text);
const uri = pathToFileURL(specFile).toString();
const at = (needle, line = text.split('\n').findIndex((l) => l.includes(needle))) => ({ line, character: text.split('\n')[line].indexOf(needle) + 1 });
const keyword = at('covariate'); // keyword documentation: no data needed
const column = { ...at('covariate'), character: at('covariate').character + 'covariate '.length }; // `age`: a column summary

// BENCH_LSP_NODE_ARGS: options for the server's node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
const nodeArgs = (process.env.BENCH_LSP_NODE_ARGS ?? '').split(' ').filter(Boolean);
const child = spawn(process.execPath, [...nodeArgs, server, '--stdio'], {
  stdio: ['pipe', 'pipe', 'inherit'],
  env: { ...process.env, STUDY_EVENT_LOOP_STATS: '1', ...(existsSync(fitWorker) ? { STUDY_FIT_WORKER: fitWorker } : {}) },
});
const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
const published = [];
let waiters = [];
conn.onNotification('textDocument/publishDiagnostics', (p) => {
  if (p.uri !== uri) return;
  published.push({ t: performance.now(), version: p.version, diagnostics: p.diagnostics });
  const w = waiters;
  waiters = [];
  w.forEach((f) => f());
});
const logs = [];
conn.onNotification('window/logMessage', (p) => logs.push(p.message));
conn.onRequest('workspace/configuration', (p) => p.items.map(() => null));
conn.onRequest('client/registerCapability', () => null);
conn.onRequest('window/workDoneProgress/create', () => null);
conn.onRequest('workspace/inlayHint/refresh', () => null);
conn.onRequest('workspace/codeLens/refresh', () => null);
conn.listen();

const hasDataDiagnostic = (p) => p.diagnostics.some((d) => /is tested at age = 0/.test(d.message));
async function until(pred, what) {
  const deadline = performance.now() + TIMEOUT;
  for (;;) {
    const hit = published.find(pred);
    if (hit) return hit;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, 50);
    });
  }
}

async function hover(position) {
  const t = performance.now();
  const r = await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position });
  const contents = r?.contents;
  return { ms: performance.now() - t, text: typeof contents === 'string' ? contents : (contents?.value ?? '') };
}

/** Hovers on a keyword every 20 ms until stop(): the slowest answer is the longest stall of the main thread. */
function probe() {
  const samples = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      samples.push((await hover(keyword)).ms);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return async () => {
    on = false;
    await loop;
    return samples;
  };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: Math.round(s[Math.floor(s.length / 2)] ?? NaN), max: Math.round(s.at(-1) ?? NaN), n: s.length };
};

const result = { subjects, rows: subjects * 6, csvMB: Number((statSync(csv).size / 1e6).toFixed(1)), server: server.replace(root + '/', '') };
try {
  const t0 = performance.now();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).toString(),
    workspaceFolders: [{ uri: pathToFileURL(dir).toString(), name: 'bench' }],
    capabilities: { workspace: { configuration: true }, window: { workDoneProgress: true } },
    initializationOptions: { trusted: true },
  });
  await conn.sendNotification('initialized', {});
  result.initializeMs = Math.round(performance.now() - t0);

  // the event-loop delay from here on (not the server's start-up)
  const eventLoopStats = () => Promise.race([conn.sendRequest('study/eventLoopStats').catch(() => undefined), new Promise((r) => setTimeout(() => r(undefined), 5000))]);
  const startup = await eventLoopStats();
  if (startup) result.eventLoopStartup = startup;
  const stopProbe = probe();
  const tOpen = performance.now();
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'study', version: 1, text } });
  // hovers while the data are being read and checked
  const during = await Promise.all([hover(keyword), hover(column)]);
  result.hoverWhileLoadingMs = { keyword: Math.round(during[0].ms), column: Math.round(during[1].ms), columnText: during[1].text.slice(0, 100) };
  const first = await until(() => true, 'the first diagnostics');
  result.firstDiagnosticsMs = Math.round(first.t - tOpen);
  const full = await until(hasDataDiagnostic, 'the data diagnostics');
  result.dataDiagnosticsMs = Math.round(full.t - tOpen);
  // hovers once the data are checked
  const kw = [];
  const col = [];
  for (let i = 0; i < 20; i++) {
    kw.push((await hover(keyword)).ms);
    const c = await hover(column);
    col.push(c.ms);
    result.columnHover = c.text.slice(0, 100);
  }
  result.hoverMs = { keyword: stats(kw), column: stats(col) };
  // an edit: the data are read already, the checks run again on the new text
  const before = published.length;
  const tEdit = performance.now();
  await conn.sendNotification('textDocument/didChange', {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '// an edit\n' }],
  });
  const edited = await until((p) => published.indexOf(p) >= before && hasDataDiagnostic(p), 'the data diagnostics after an edit');
  result.editDataDiagnosticsMs = Math.round(edited.t - tEdit);
  const samples = await stopProbe();
  // every request's answer time counts: the probes', and the hovers above
  result.stallMs = Math.round(Math.max(...samples, ...during.map((h) => h.ms), ...kw, ...col));
  result.probes = samples.length;
  const loop = await eventLoopStats();
  if (loop) result.eventLoop = loop;
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e?.message ?? e);
} finally {
  try {
    await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
    await conn.sendNotification('exit');
  } catch {
    // gone
  }
  await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
  conn.dispose();
  child.kill();
  if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
}
if (process.env.BENCH_LSP_LOGS) console.error(logs.join('\n'));
console.log(JSON.stringify(result));
