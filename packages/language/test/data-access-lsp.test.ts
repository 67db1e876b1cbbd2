/**
 * The workspace rule in the built language server over stdio: data files are read from the editor's
 * workspace folders (initialize's workspaceFolders), a spec may read beside its own folder inside them
 * but not outside; `study.allowDataOutsideWorkspace` — in initializationOptions or in the workspace
 * configuration — lifts the rule, also for runs in the fit worker. Syntax errors are the same one-line
 * messages as in `study check`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver-protocol/node.js';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { URI } from 'langium';
import { KETAMINE_CSV, KETAMINE_SPEC, tempFolder } from './helpers.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SERVER = process.env.STUDY_TEST_SERVER ?? here('../dist/server/main.js');

// the workspace: W/ketamine.csv, specs in W/specs; a data file outside it in another temp folder
const workspace = tempFolder();
mkdirSync(path.join(workspace, 'specs'));
const outsideDir = mkdtempSync(path.join(tmpdir(), 'study-outside-'));
const outsideCsv = path.join(outsideDir, 'ketamine.csv');
writeFileSync(outsideCsv, KETAMINE_CSV);
const specWith = (written: string) => KETAMINE_SPEC.replace('data "ketamine.csv"', `data ${JSON.stringify(written)}`);
const beside = { file: path.join(workspace, 'specs', 'beside.study'), text: specWith('../ketamine.csv') };
const outside = { file: path.join(workspace, 'specs', 'outside.study'), text: specWith(outsideCsv) };
const broken = { file: path.join(workspace, 'specs', 'broken.study'), text: specWith('../ketamine.csv').replace('method REML', 'method foo') };
for (const s of [beside, outside, broken]) writeFileSync(s.file, s.text);
const uriOf = (file: string) => URI.file(file).toString();

interface Server {
  conn: ProtocolConnection;
  process: ChildProcess;
  /** the last diagnostics published for a document, once `ready` says they are the ones wanted */
  diagnostics(file: string, ready?: (ds: Diagnostic[]) => boolean): Promise<Diagnostic[]>;
}
const servers: Server[] = [];

async function start(options: { initializationOptions?: object; configuration?: object }): Promise<Server> {
  const child = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published = new Map<string, Diagnostic[]>();
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => void published.set(p.uri, p.diagnostics));
  conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) =>
    p.items.map((item) => (item.section === 'study' ? (options.configuration ?? {}) : null)),
  );
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  conn.onRequest('workspace/inlayHint/refresh', () => null);
  conn.onRequest('workspace/codeLens/refresh', () => null);
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: [{ uri: uriOf(workspace), name: 'workspace' }],
    capabilities: { workspace: { configuration: true, workspaceFolders: true } },
    initializationOptions: { trusted: true, ...(options.initializationOptions ?? {}) },
  });
  await conn.sendNotification('initialized', {});
  for (const s of [beside, outside, broken]) {
    await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: uriOf(s.file), languageId: 'study', version: 1, text: s.text } });
  }
  const server: Server = {
    conn,
    process: child,
    async diagnostics(file, ready = () => true) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ds = published.get(uriOf(file));
        if (ds && ready(ds)) return ds;
        if (Date.now() > deadline) return ds ?? [];
        await new Promise((r) => setTimeout(r, 100));
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
    s.process.kill();
  }
});

const errors = (ds: Diagnostic[]) => ds.filter((d) => d.severity === 1);

describe('the language server reads data from the workspace folders only', () => {
  it('beside its folder inside the workspace: read; outside: an error on the path with the setting to change', async () => {
    const s = await start({});
    expect(errors(await s.diagnostics(beside.file))).toEqual([]);
    const ds = errors(await s.diagnostics(outside.file, (d) => d.length > 0));
    expect(ds).toHaveLength(1);
    expect(ds[0].message).toBe(
      `data file ${outsideCsv} is outside the workspace (${workspace}): Study reads data only from the workspace; set study.allowDataOutsideWorkspace to allow it`,
    );
    expect(ds[0].range.start).toEqual({ line: 2, character: 5 });
    expect(ds[0].code).toBe('data-outside-workspace');
    // the run (in the fit worker) refuses it too
    await expect(s.conn.sendRequest('study/run', { uri: uriOf(outside.file) })).rejects.toThrow(/is outside the workspace/);
  }, 60_000);

  it('shows the same one-line syntax messages as `study check`', async () => {
    const s = servers[0] ?? (await start({}));
    const ds = errors(await s.diagnostics(broken.file, (d) => d.length > 0));
    const line = broken.text.split('\n').findIndex((l) => l.includes('method foo'));
    expect(ds.map((d) => [d.message, d.range.start])).toEqual([["expected REML or ML, found 'foo'", { line, character: 11 }]]);
  }, 60_000);

  it('initializationOptions.allowDataOutsideWorkspace: the outside file is read', async () => {
    const s = await start({ initializationOptions: { allowDataOutsideWorkspace: true } });
    expect(errors(await s.diagnostics(outside.file))).toEqual([]);
  }, 60_000);

  it('the workspace configuration study.allowDataOutsideWorkspace: read, and runs in the worker may read it', async () => {
    const s = await start({ configuration: { allowDataOutsideWorkspace: true } });
    const ds = await s.diagnostics(outside.file, (d) => errors(d).length === 0);
    expect(errors(ds)).toEqual([]);
    const run = (await s.conn.sendRequest('study/run', { uri: uriOf(outside.file) })) as { report: { models: { name: string }[] } };
    expect(run.report.models[0].name).toBe('trajectory');
    expect(readFileSync(outsideCsv, 'utf8')).toBe(KETAMINE_CSV);
  }, 60_000);
});
