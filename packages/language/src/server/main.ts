/**
 * The Study language server. Started by the VS Code extension over IPC (or `--stdio`):
 * `node packages/language/dist/server/main.js --stdio`.
 *
 * Besides the standard features (Langium), it runs specs on request (`study/run`, `study/results`,
 * notification `study/resultsChanged`; docs/lsp-protocol.md). Fits run in a worker thread
 * (results/fit-worker.js; `STUDY_FIT_WORKER` overrides where it is).
 */
import { DocumentState, URI } from 'langium';
import { ResponseError } from 'vscode-languageserver';
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node.js';
import { createStudyServices, StudyDocumentUpdateHandler } from '../study-module.js';
import { StudyRequests, type RunParams } from '../results/results-service.js';
import { allowDataAccess, dataAccessAllowed } from '../data-cache.js';

const connection = createConnection(ProposedFeatures.all);
const { shared, Study } = createStudyServices({ connection, ...NodeFileSystem });

process.on('uncaughtException', (e) => connection.console.error(`study language server: ${e?.stack ?? e}`));
process.on('unhandledRejection', (e) => connection.console.error(`study language server: ${(e as Error)?.stack ?? e}`));

const results = Study.results.StudyResults;
results.configure({ workerPath: process.env.STUDY_FIT_WORKER });
results.attach(connection, {
  openDocument(uri) {
    const doc = shared.workspace.TextDocuments.get(uri);
    return doc ? { text: doc.getText(), version: doc.version } : undefined;
  },
  revalidate(uri) {
    // re-validate so the fit notes of the new results are published with the other diagnostics
    const lock = shared.workspace.WorkspaceLock;
    void lock.write((token) => shared.workspace.DocumentBuilder.update([URI.parse(uri)], [], token)).catch(() => undefined);
  },
});

// Workspace trust: the client says `initializationOptions: { trusted: false }` in Restricted Mode. Then the
// server edits and checks syntax, but reads no data file and runs nothing.
shared.lsp.LanguageServer.onInitialize((params) => {
  const options = params.initializationOptions as { trusted?: unknown } | undefined;
  allowDataAccess(options?.trusted !== false);
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
  const worker = results.runnerMode === 'worker' ? ` (${Study.results.StudyResults.workerPath})` : '';
  connection.console.log(`study: fits run ${results.runnerMode === 'worker' ? 'in a worker thread' : 'in the server thread'}${worker}`);
});

startLanguageServer(shared);
