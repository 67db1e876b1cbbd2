/**
 * Workspace trust, through the built server over stdio: started with `initializationOptions.trusted =
 * false` (VS Code's Restricted Mode), it still parses and checks syntax, but reads no data file
 * (no column errors, one information on the data line saying why) and refuses to run anything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver-protocol/node.js';
import type { PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { URI } from 'langium';
import { tempFolder } from './helpers.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const SERVER = process.env.STUDY_TEST_SERVER ?? here('../dist/server/main.js');
const EXAMPLE = here('../../../examples/ketamine');

const dir = tempFolder();
copyFileSync(path.join(EXAMPLE, 'ketamine.csv'), path.join(dir, 'ketamine.csv'));
const csv = path.join(dir, 'ketamine.csv');
const uri = URI.file(path.join(dir, 'ketamine.study')).toString();
// a misspelt column: with data access it is an error; untrusted, the data are not read, so it is not
const text = readFileSync(path.join(EXAMPLE, 'ketamine.study'), 'utf8').replace('covariate age', 'covariate agee');

let server: ChildProcess;
let conn: ProtocolConnection;
const published: PublishDiagnosticsParams[] = [];

beforeAll(async () => {
  server = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
  conn = createProtocolConnection(new StreamMessageReader(server.stdout!), new StreamMessageWriter(server.stdin!));
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => published.push(p));
  conn.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => true));
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: URI.file(dir).toString(),
    capabilities: { workspace: { configuration: true } },
    initializationOptions: { trusted: false },
  });
  await conn.sendNotification('initialized', {});
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'study', version: 1, text } });
  const deadline = Date.now() + 30_000;
  while (!published.some((p) => p.uri === uri) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
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

describe('an untrusted workspace', () => {
  it('checks the spec without reading its data', () => {
    const last = published.filter((p) => p.uri === uri).at(-1)!;
    expect(last.diagnostics.map((d) => [d.severity, d.message])).toEqual([
      [3, 'Restricted Mode: ketamine.csv is not read in an untrusted workspace, so the checks against the data are off (trust the workspace to turn them on)'],
    ]);
    expect(last.diagnostics[0].range.start).toEqual({ line: 2, character: 5 });
  });

  it('refuses to run, and the data file is not opened', async () => {
    const before = statSync(csv).atimeMs;
    await expect(conn.sendRequest('study/run', { uri })).rejects.toThrow('the workspace is not trusted: Study runs nothing and reads no data in Restricted Mode');
    // a save with study.runOnSave = true (the configuration handler above says true) runs nothing either
    await conn.sendNotification('textDocument/didSave', { textDocument: { uri } });
    await new Promise((r) => setTimeout(r, 500));
    expect(await conn.sendRequest('study/results', { uri })).toBeNull();
    expect(statSync(csv).atimeMs).toBe(before);
  });
});
