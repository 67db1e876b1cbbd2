/**
 * The built language server over stdio JSON-RPC, as an editor talks to it: initialize, open the
 * ketamine spec, wait for its diagnostics, `study/run`, then hover / inlay hints / code lenses /
 * completion with the results, `study/results`, staleness after an edit, and a broken spec's
 * diagnostics. Needs the build (`npx tsc -b`): it spawns packages/language/dist/server/main.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancellationTokenSource,
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
} from 'vscode-languageserver-protocol/node.js';
import type { CodeLens, CompletionItem, CompletionList, Diagnostic, Hover, InlayHint, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { URI } from 'langium';
import { tempFolder } from './helpers.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
// STUDY_TEST_SERVER: run the same test against another build of the server (e.g. an esbuild bundle)
const SERVER = process.env.STUDY_TEST_SERVER ?? here('../dist/server/main.js');
const KETAMINE = path.join(here('../../../examples/ketamine'), 'ketamine.study');
const reference = here('../../../test/conformance/ketamine-synthetic/expected.json');
const expected = JSON.parse(readFileSync(reference, 'utf8')).expected;

// a copy in a temp folder, so the test can change the data file without touching the example
const dir = tempFolder();
const specPath = path.join(dir, 'ketamine.study');
const uri = URI.file(specPath).toString();
const text = readFileSync(KETAMINE, 'utf8');

let server: ChildProcess;
let conn: ProtocolConnection;
const diagnostics = new Map<string, PublishDiagnosticsParams[]>();
const resultsChanged: { uri: string; stale: boolean }[] = [];
const progress: unknown[] = [];
const logs: string[] = [];
let waiters: (() => void)[] = [];

function notifyWaiters() {
  const w = waiters;
  waiters = [];
  w.forEach((f) => f());
}

async function until<T>(get: () => T | undefined, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, 100);
    });
  }
}

const pos = (needle: string, offset = 0) => {
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes(needle));
  return { line, character: lines[line]!.indexOf(needle) + offset };
};

beforeAll(async () => {
  if (!existsSync(SERVER)) throw new Error(`build first (npx tsc -b): ${SERVER} is missing`);
  server = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  conn = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    diagnostics.set(p.uri, [...(diagnostics.get(p.uri) ?? []), p]);
    notifyWaiters();
  });
  conn.onNotification('study/resultsChanged', (p: { uri: string; stale: boolean }) => {
    resultsChanged.push(p);
    notifyWaiters();
  });
  conn.onNotification('$/progress', (p: unknown) => progress.push(p));
  conn.onNotification('window/logMessage', (p: { message: string }) => logs.push(p.message));
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => null));
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('workspace/inlayHint/refresh', () => null);
  conn.onRequest('workspace/codeLens/refresh', () => null);
  conn.listen();
  const init = await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: URI.file(dir).toString(),
    capabilities: { window: { workDoneProgress: true }, workspace: { configuration: true } },
    workspaceFolders: [{ uri: URI.file(dir).toString(), name: 'ketamine' }],
  });
  expect((init as { capabilities: Record<string, unknown> }).capabilities).toMatchObject({ hoverProvider: true, inlayHintProvider: expect.anything(), codeLensProvider: expect.anything() });
  await conn.sendNotification('initialized', {});
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'study', version: 1, text } });
}, 60_000);

afterAll(async () => {
  try {
    await conn?.sendRequest('shutdown');
    await conn?.sendNotification('exit');
  } catch {
    // already gone
  }
  conn?.dispose();
  server?.kill();
});

const latest = (u: string) => diagnostics.get(u)?.at(-1)?.diagnostics;

describe('language server over stdio', () => {
  it('publishes the (clean) diagnostics of the opened spec', async () => {
    const d = await until(() => latest(uri), 'publishDiagnostics');
    expect(d.filter((x) => x.severity === 1)).toEqual([]);
  });

  it('has no results before a run', async () => {
    expect(await conn.sendRequest('study/results', { uri })).toBeNull();
  });

  let run: { report: { models: { name: string; estimates: { label: string; estimate: number }[]; type3: { effect: string; F: number; p: number }[] }[] }; version: number; stale: boolean; durationMs: number; diagnostics: Diagnostic[] };

  it('study/run fits the spec in a worker and returns the report with progress', async () => {
    run = await conn.sendRequest('study/run', { uri, workDoneToken: 'run-1' });
    expect(run.stale).toBe(false);
    expect(run.version).toBe(1);
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    const m = run.report.models[0]!;
    expect(m.name).toBe('trajectory');
    expect(m.type3.find((r) => r.effect === 'visit*age')!.F).toBeCloseTo(expected.type3[2].F, 3);
    expect(progress.some((p) => (p as { value: { kind: string } }).value.kind === 'begin')).toBe(true);
    expect(progress.some((p) => (p as { value: { kind: string } }).value.kind === 'end')).toBe(true);
    await until(() => (resultsChanged.some((r) => r.uri === uri && !r.stale) ? true : undefined), 'study/resultsChanged');
  });

  it('fits in a worker thread (dist/results/fit-worker.js, or fit-worker.js next to a bundled server)', () => {
    const line = logs.find((l) => l.startsWith('study: fits run'));
    expect(line).toMatch(/in a worker thread \(.*fit-worker\.js\)/);
  });

  it('answers an unchanged re-run from the cache', async () => {
    const again: { cached: boolean; report: unknown } = await conn.sendRequest('study/run', { uri });
    expect(again.cached).toBe(true);
    expect(again.report).toEqual(run.report);
  });

  it('hover on age shows the Type 3 row and the age slope at each visit (= the report)', async () => {
    const hover: Hover = await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: pos('covariate age', 'covariate '.length + 1) });
    const md = (hover.contents as { value: string }).value;
    const m = run.report.models[0]!;
    for (const e of m.estimates) {
      const row = md.split('\n').find((l) => l.includes(e.label));
      expect(row, e.label).toBeDefined();
      expect(Number(row!.split('|')[2]!.trim())).toBeCloseTo(e.estimate, 4);
    }
    expect(md).toMatch(/\| age \| 1 \| 47 \|/);
    expect(md).toMatch(/---\n\n`age` — numeric column of ketamine.csv/); // the usual hover stays below the numbers
  });

  it('inlay hints give the headline of each test and of the selection', async () => {
    const hints: InlayHint[] = await conn.sendRequest('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: text.split('\n').length, character: 0 } },
    });
    const labels = hints.map((h) => String(h.label));
    expect(labels).toContain('F(4,47) = 4.81, p = .0025');
    expect(labels.some((l) => /^UN \(BIC 22\d\d\.\d\)$/.test(l))).toBe(true);
    expect(labels).toContain('t(35) = \u22123.92, p = .0004');
    expect(labels).toContain('r = \u22120.07, p = .70');
  });

  it('code lenses run and show results', async () => {
    const lenses: CodeLens[] = await conn.sendRequest('textDocument/codeLens', { textDocument: { uri } });
    // the model, the analysis, the two describe blocks and the three sensitivity variants
    expect(lenses.map((l) => l.command?.command)).toEqual(Array(7).fill(['study.runModel', 'study.showResults']).flat());
    expect(lenses[0]!.command!.arguments).toEqual([uri, 'trajectory']);
    expect(lenses[0]!.range.start.line).toBe(pos('model trajectory').line);
  });

  it('completes column names', async () => {
    const c: CompletionList | CompletionItem[] = await conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: pos('covariate age', 'covariate '.length) });
    const items = Array.isArray(c) ? c : c.items;
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(['age', 'bmi', 'visit']));
  });

  it('a change of the data file makes the results stale and notifies', async () => {
    const csv = path.join(dir, 'ketamine.csv');
    const original = readFileSync(csv, 'utf8');
    const count = resultsChanged.length;
    writeFileSync(csv, original + original.trim().split('\n').at(-1)!.replace(/^\d+/, '9999') + '\n');
    await conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: URI.file(csv).toString(), type: 2 }] });
    await until(() => (resultsChanged.slice(count).some((r) => r.uri === uri && r.stale) ? true : undefined), 'stale after the data changed');
    expect(((await conn.sendRequest('study/results', { uri })) as { stale: boolean }).stale).toBe(true);
    writeFileSync(csv, original);
    await conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: URI.file(csv).toString(), type: 2 }] });
    await until(() => (resultsChanged.slice(count).some((r) => r.uri === uri && !r.stale) ? true : undefined), 'current again');
  });

  it('study/results returns the last run; an edit makes it stale and notifies', async () => {
    const fresh: { stale: boolean } = await conn.sendRequest('study/results', { uri });
    expect(fresh.stale).toBe(false);
    const edited = text.replace('test visit, age, visit*age', 'test visit, age, visit*age // edited');
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: edited }] });
    await until(() => (resultsChanged.some((r) => r.uri === uri && r.stale) ? true : undefined), 'stale notification');
    const stale: { stale: boolean } = await conn.sendRequest('study/results', { uri });
    expect(stale.stale).toBe(true);
    const hints: InlayHint[] = await conn.sendRequest('textDocument/inlayHint', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 100, character: 0 } },
    });
    expect(hints.every((h) => String(h.label).endsWith('(stale)'))).toBe(true);
  });

  it('a broken spec: diagnostics, and study/run answers with the first error and its line', async () => {
    const broken = text.replace('covariate age', 'covariate agee');
    const before = diagnostics.get(uri)?.length ?? 0;
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: broken }] });
    const d = await until(() => ((diagnostics.get(uri)?.length ?? 0) > before && latest(uri)!.some((x) => x.severity === 1) ? latest(uri) : undefined), 'diagnostics of the broken spec');
    const err = d.find((x) => x.severity === 1)!;
    expect(err.message).toMatch(/agee/);
    expect(err.range.start.line).toBe(pos('covariate age').line);
    await expect(conn.sendRequest('study/run', { uri })).rejects.toThrow(new RegExp(`agee.*line ${pos('covariate age').line + 1}`));
    // the server is still alive and answers
    const hover: Hover | null = await conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: pos('model trajectory', 1) });
    expect(hover).not.toBeNull();
  });

  it('an edit while a fit runs cancels it', async () => {
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: [{ text: text.replace('method REML', 'method ML') }] });
    const pending = conn.sendRequest('study/run', { uri });
    await new Promise((r) => setTimeout(r, 50));
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 5 }, contentChanges: [{ text }] });
    await expect(pending).rejects.toThrow(/cancelled|changed/);
  });

  it('$/cancelRequest stops a run (the worker is terminated) and the server answers RequestCancelled', async () => {
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 6 }, contentChanges: [{ text: text.replace('method REML', 'method ML') }] });
    const source = new CancellationTokenSource();
    const pending = conn.sendRequest('study/run', { uri }, source.token);
    setTimeout(() => source.cancel(), 50);
    await expect(pending).rejects.toThrow(/run cancelled: the request was cancelled/);
    // and a later run of the same text completes
    const done: { stale: boolean; version: number } = await conn.sendRequest('study/run', { uri });
    expect(done).toMatchObject({ stale: false, version: 6 });
  });
});
