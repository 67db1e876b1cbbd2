/**
 * The built language server over stdio with a large data file (issue 9): the file is read and checked in
 * the server's worker (validation/data-offload.ts), not on its main thread. The server answers a hover
 * while the data are still being read, publishes the checks that need no data at once and the checks
 * against the data when the worker has them, the same diagnostics `study check` gives; an edit is checked
 * again. (How fast is `npm run bench`'s business, test/bench/lsp-latency.js: no timing thresholds here.)
 * Needs the build (`npx tsc -b`): it spawns packages/language/dist/server/main.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver-protocol/node.js';
import type { Diagnostic, Hover, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { URI } from 'langium';
import { parseStudyDocument } from '../src/check.js';
import { ketamineWith, tempFolder } from './helpers.js';
// @ts-expect-error: a plain JavaScript module of the benchmark (the seeded generator)
import { simulate, simulatedSpec } from '../../../test/bench/simulate.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SERVER = process.env.STUDY_TEST_SERVER ?? here('../dist/server/main.js');

const dir = tempFolder();
// 20,000 subjects x 6 visits (2.4 MB): over the size from which the worker reads a file
const SUBJECTS = 20000;
(simulate as (n: number, file: string) => void)(SUBJECTS, path.join(dir, 'sim.csv'));
const simSpec = (simulatedSpec as (n: number, o: object) => string)(SUBJECTS, { title: 'simulated', data: 'data "sim.csv"', extra: ['test visit, age, visit*age'] });
const simFile = path.join(dir, 'sim.study');
writeFileSync(simFile, simSpec);
// the ketamine spec with data errors, checked in the worker too when the server is told to offload every file
const badKetamine = ketamineWith('covariate age', 'covariate agee').replace('model trajectory {', 'where visit != "x"\nmodel trajectory {');
const ketFile = path.join(dir, 'bad.study');
writeFileSync(ketFile, badKetamine);
const uriOf = (f: string) => URI.file(f).toString();

interface Server {
  conn: ProtocolConnection;
  child: ChildProcess;
  published: Map<string, { at: number; diagnostics: Diagnostic[] }[]>;
  logs: string[];
  until<T>(get: () => T | undefined, what: string): Promise<T>;
}
const servers: Server[] = [];

async function start(env: Record<string, string> = {}): Promise<Server> {
  if (!existsSync(SERVER)) throw new Error(`build first (npx tsc -b): ${SERVER} is missing`);
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published = new Map<string, { at: number; diagnostics: Diagnostic[] }[]>();
  const logs: string[] = [];
  let order = 0;
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.set(p.uri, [...(published.get(p.uri) ?? []), { at: ++order, diagnostics: p.diagnostics }]);
  });
  conn.onNotification('window/logMessage', (p: { message: string }) => logs.push(p.message));
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => null));
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onRequest('workspace/inlayHint/refresh', () => null);
  conn.onRequest('workspace/codeLens/refresh', () => null);
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: uriOf(dir),
    workspaceFolders: [{ uri: uriOf(dir), name: 'w' }],
    capabilities: { workspace: { configuration: true } },
    initializationOptions: { trusted: true },
  });
  await conn.sendNotification('initialized', {});
  const server: Server = {
    conn,
    child,
    published,
    logs,
    async until(get, what) {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const v = get();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; logs: ${logs.join(' | ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
  servers.push(server);
  return server;
}

afterAll(async () => {
  for (const s of servers) {
    try {
      await s.conn.sendRequest('shutdown');
      await s.conn.sendNotification('exit');
    } catch {
      // gone
    }
    s.conn.dispose();
    s.child.kill();
  }
});

/** What a client shows of a diagnostic, for comparing the worker's with `study check`'s. */
const shown = (ds: { severity?: number; message: string; range: Diagnostic['range']; code?: unknown }[]) =>
  ds.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1} ${d.severity} ${String(d.code)} ${d.message}`).sort();

async function headless(text: string, file: string) {
  const r = await parseStudyDocument(text, file);
  return shown(r.document.diagnostics ?? []);
}

const hoverText = (h: Hover | null) => (h && typeof h.contents === 'object' && 'value' in h.contents ? h.contents.value : '');
const testedAtZero = (ds: Diagnostic[]) => ds.some((d) => /visit is tested at age = 0/.test(d.message));

describe('the language server reads large data files in its worker', () => {
  it('answers a hover while the data are read, then publishes the checks against them', async () => {
    const s = await start();
    const uri = uriOf(simFile);
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'study', version: 1, text: simSpec } });
    const line = simSpec.split('\n').findIndex((l) => l.includes('covariate age'));
    const onAge = { textDocument: { uri }, position: { line, character: 15 } };
    const early = (await s.conn.sendRequest('textDocument/hover', onAge)) as Hover | null;
    const answeredAt = s.published.get(uri)?.at(-1)?.at ?? 0;
    expect(hoverText(early)).toBe('`age` — sim.csv is being read and checked');
    // the diagnostics of the data checks come later, from the worker
    const full = await s.until(() => s.published.get(uri)?.find((p) => testedAtZero(p.diagnostics)), 'the data diagnostics');
    expect(full.at).toBeGreaterThan(answeredAt);
    expect(s.logs.some((l) => l.includes(`checked ${uri}`) && l.includes(`(${SUBJECTS * 6} rows) off the main thread`))).toBe(true);
    expect(shown(full.diagnostics)).toEqual(await headless(simSpec, simFile));
    // now the hover has the column's summary (from the worker: the file is not read on the main thread)
    const later = (await s.conn.sendRequest('textDocument/hover', onAge)) as Hover | null;
    expect(hoverText(later)).toBe('`age` — numeric column of sim.csv: 51 distinct values; 0 missing');
    const completion = (await s.conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line, character: 14 } })) as { items: { label: string; detail?: string }[] };
    expect(completion.items.find((i) => i.label === 'subject')?.detail).toMatch(/^text column, \d+ distinct values$/);
    expect(completion.items.find((i) => i.label === 'visit')?.detail).toBe('numeric column: 1, 2, 3, 4, 5, 6');

    // an edit: checked again in the worker (the rows are read once), the diagnostics follow the new text
    const edited = simSpec.replace('covariate age', 'covariate agee');
    await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: edited }] });
    const after = await s.until(() => s.published.get(uri)?.at(-1)?.diagnostics.find((d) => d.message.includes("did you mean 'age'?")), 'the diagnostics of the edit');
    expect(after.range).toEqual({ start: { line, character: 14 }, end: { line, character: 18 } });
    expect(shown(s.published.get(uri)!.at(-1)!.diagnostics)).toEqual(await headless(edited, simFile));
    expect(s.logs.filter((l) => l.includes(`checked ${uri}`)).length).toBeGreaterThanOrEqual(2);

    // the data file changes on disk: the worker reads it again (its stamp changed) and the new defect is reported
    appendFileSync(path.join(dir, 'sim.csv'), 'S1,7,40,fifty\n');
    await s.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(path.join(dir, 'sim.csv')), type: 2 }] });
    const defect = await s.until(() => s.published.get(uri)?.at(-1)?.diagnostics.find((d) => d.message.includes("'fifty'")), 'the diagnostics of the changed data');
    expect(defect.message).toBe(`sim.csv:${SUBJECTS * 6 + 2}:9: y is 'fifty' on line ${SUBJECTS * 6 + 2}: not a number`);
  }, 120_000);

  it('gives the worker every data file (STUDY_DATA_OFFLOAD_BYTES=0): the same diagnostics as `study check`, data places included', async () => {
    const s = await start({ STUDY_DATA_OFFLOAD_BYTES: '0' });
    const uri = uriOf(ketFile);
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'study', version: 1, text: badKetamine } });
    const ds = await s.until(() => s.published.get(uri)?.find((p) => p.diagnostics.some((d) => d.message.includes("did you mean 'age'?")))?.diagnostics, 'the data diagnostics');
    expect(s.logs.some((l) => l.includes(`checked ${uri}`))).toBe(true);
    const expected = await parseStudyDocument(badKetamine, ketFile);
    expect(shown(ds)).toEqual(shown(expected.document.diagnostics ?? []));
    // codes, data (quick fixes read them) and related information survive the trip
    const strip = (d: Diagnostic) => ({ range: d.range, message: d.message, code: d.code, data: d.data, relatedInformation: d.relatedInformation });
    const byText = (xs: Diagnostic[]) => xs.map(strip).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(byText(ds)).toEqual(byText(expected.document.diagnostics ?? []));
  }, 120_000);
});
