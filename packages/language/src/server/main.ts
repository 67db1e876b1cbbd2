/**
 * The Study language server. Started by the VS Code extension over IPC (or `--stdio`):
 * `node packages/language/dist/server/main.js --stdio`.
 *
 * Besides the standard features (Langium), it runs specs on request (`study/run`, `study/results`,
 * notification `study/resultsChanged`; docs/lsp-protocol.md). Fits, and the checks against large data
 * files, run in a worker thread (results/fit-worker.js; `STUDY_FIT_WORKER` overrides where it is).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DocumentState, URI } from 'langium';
import { ResponseError } from 'vscode-languageserver';
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node.js';
import { createStudyServices, StudyDocumentUpdateHandler } from '../study-module.js';
import { StudyRequests, type RunParams } from '../results/results-service.js';
import { allowDataAccess, dataAccessAllowed } from '../data-cache.js';
import { ALLOW_HINTS, configureDataAccess, dataAccessOptions } from '../validation/data-access.js';

const connection = createConnection(ProposedFeatures.all);
const { shared, Study } = createStudyServices({ connection, ...NodeFileSystem });
// The parsers are built now, while the client waits for `initialize`, not on the first document or the
// first completion (each takes ~0.1 s, which would hold up the requests of that moment).
void Study.parser.LangiumParser;
void Study.parser.CompletionParser;

process.on('uncaughtException', (e) => connection.console.error(`study language server: ${e?.stack ?? e}`));
process.on('unhandledRejection', (e) => connection.console.error(`study language server: ${(e as Error)?.stack ?? e}`));

const results = Study.results.StudyResults;
results.configure({ workerPath: process.env.STUDY_FIT_WORKER });

/** Validates a document again (its text unchanged): new fit notes or the worker's data checks are published with the rest. */
function revalidate(uri: string): void {
  const lock = shared.workspace.WorkspaceLock;
  void lock.write((token) => shared.workspace.DocumentBuilder.update([URI.parse(uri)], [], token)).catch(() => undefined);
}

results.attach(connection, {
  openDocument(uri) {
    const doc = shared.workspace.TextDocuments.get(uri);
    return doc ? { text: doc.getText(), version: doc.version } : undefined;
  },
  revalidate,
});

// Large data files are read and checked in the worker, not here (validation/data-offload.ts): the server
// answers hover, completion and every other request while they are read.
if (results.workerPath) {
  Study.validation.DataOffload.enable({ workerPath: results.workerPath, onChecked: revalidate, log: (m) => connection.console.log(m) });
}

// STUDY_EVENT_LOOP_STATS=1 (the benchmark, test/bench/lsp-latency.js): the main thread's event-loop delay,
// answered by `study/eventLoopStats` (and reset then).
if (process.env.STUDY_EVENT_LOOP_STATS === '1') {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  connection.onRequest('study/eventLoopStats', () => {
    const ms = (ns: number) => Math.round(ns / 1e5) / 10;
    const stats = { maxMs: ms(delay.max), p99Ms: ms(delay.percentile(99)), meanMs: ms(delay.mean), samples: delay.count };
    delay.reset();
    return stats;
  });
}

// Workspace trust: the client says `initializationOptions: { trusted: false }` in Restricted Mode. Then the
// server edits and checks syntax, but reads no data file and runs nothing.
shared.lsp.LanguageServer.onInitialize((params) => {
  const options = params.initializationOptions as { trusted?: unknown; allowDataOutsideWorkspace?: unknown } | undefined;
  allowDataAccess(options?.trusted !== false);
  // Data files are read from the workspace folders only (validation/data-access.ts); without folders,
  // from each spec's own folder tree. `study.allowDataOutsideWorkspace` (here or in the configuration) lifts it.
  const folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
  const roots = folders.map((u) => URI.parse(u)).filter((u) => u.scheme === 'file').map((u) => u.fsPath);
  configureDataAccess({ roots, allowOutside: options?.allowDataOutsideWorkspace === true, allowHint: ALLOW_HINTS.server });
});

/** `study.allowDataOutsideWorkspace` from the client's configuration: when it changes the policy, every document is checked again. */
function applyAllowSetting(value: unknown): void {
  if (typeof value !== 'boolean' || value === dataAccessOptions().allowOutside) return;
  configureDataAccess({ allowOutside: value });
  const uris = shared.workspace.LangiumDocuments.all.map((d) => d.uri).toArray();
  const lock = shared.workspace.WorkspaceLock;
  void lock.write((token) => shared.workspace.DocumentBuilder.update(uris, [], token)).catch(() => undefined);
}
shared.workspace.ConfigurationProvider.onConfigurationSectionUpdate((update) => {
  if (update.section !== 'study' || !update.configuration || typeof update.configuration !== 'object') return;
  applyAllowSetting((update.configuration as { allowDataOutsideWorkspace?: unknown }).allowDataOutsideWorkspace);
});

const UNTRUSTED = 'the workspace is not trusted: Study runs nothing and reads no data in Restricted Mode';

connection.onRequest(StudyRequests.run, (params: RunParams, token) => {
  if (!dataAccessAllowed()) return new ResponseError(-32803, UNTRUSTED);
  return results.run(params, token);
});
connection.onRequest(StudyRequests.results, (params: { uri?: string } | undefined) => {
  try {
    return typeof params?.uri === 'string' ? results.results(params.uri) : null;
  } catch {
    return null;
  }
});

/** `study.runOnSave` for the document's folder (default false), asked of the client. */
async function runOnSave(uri: string): Promise<boolean> {
  try {
    const value = await connection.workspace.getConfiguration({ scopeUri: uri, section: 'study.runOnSave' });
    return value === true;
  } catch {
    return false;
  }
}

const updates = shared.lsp.DocumentUpdateHandler;
if (updates instanceof StudyDocumentUpdateHandler) {
  updates.onDidChangeDocument((uri) => {
    try {
      results.documentChanged(uri);
    } catch {
      // never let a results problem break editing
    }
  });
  updates.onDidSaveDocument((uri) => {
    if (!dataAccessAllowed()) return;
    void runOnSave(uri).then((yes) => (yes ? results.run({ uri }) : undefined)).catch(() => undefined);
  });
}

// the data file (or the spec) changed and the document was re-validated: are its results stale now?
shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.Validated, (docs) => {
  for (const doc of docs) {
    try {
      results.checkStale(doc.uri.toString());
    } catch {
      // ignore
    }
  }
});

shared.lsp.LanguageServer.onInitialized(() => {
  void shared.workspace.ConfigurationProvider.getConfiguration('study', 'allowDataOutsideWorkspace').then(applyAllowSetting, () => undefined);
  const worker = results.runnerMode === 'worker' ? ` (${Study.results.StudyResults.workerPath})` : '';
  connection.console.log(`study: fits run ${results.runnerMode === 'worker' ? 'in a worker thread' : 'in the server thread'}${worker}`);
  connection.console.log(`study: large data files are ${Study.validation.DataOffload.enabled ? 'read and checked in a worker thread' : 'read in the server thread'}`);
});

startLanguageServer(shared);
