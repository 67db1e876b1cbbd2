/**
 * The Study VS Code extension: starts the bundled language server (out/server.cjs, IPC), and adds the run,
 * results, export and check-all commands and the Results panel. In an untrusted workspace it starts the server
 * with `initializationOptions.trusted = false` (syntax checks only) and refuses every command that reads data
 * or runs a fit, on its own, whatever the server does with that option.
 */
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, WorkDoneProgress, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { htmlReport, markdownReport } from '@study/engine';
import {
  RESULTS_CHANGED_NOTIFICATION, RESULTS_REQUEST, RUN_REQUEST,
  type ResultsChangedParams, type RunParams, type RunResult, type StudyInitializationOptions,
} from './protocol.js';
import { basename, ResultsPanel, type PanelHost } from './panel/results-panel.js';
import { modelAtOffset, modelNames } from './spec-text.js';

let client: LanguageClient | undefined;
let context: vscode.ExtensionContext;
let output: vscode.OutputChannel;
let dataWatcher: vscode.FileSystemWatcher;
/** the last result per spec uri, received by this client (the server keeps its own; see `study/results`) */
const lastResults = new Map<string, RunResult>();
const running = new Set<string>();

const isTrusted = () => vscode.workspace.isTrusted;
/** one spelling per document URI (the server normalizes with vscode-uri, the same algorithm) */
const keyOf = (u: vscode.Uri | string) => (typeof u === 'string' ? vscode.Uri.parse(u) : u).toString();

/** globalState key: the names of the environment variables whose values (connection strings) are in secret storage */
const DATABASE_VARIABLES = 'study.databaseVariables';
const secretKey = (name: string) => `study.env.${name}`;

/**
 * The database connections kept in the editor's secret storage (`Study: Set Database Connection…`), as the
 * environment variables a spec names (`data postgres env STUDY_PG table adlb`): given to the language
 * server's environment, never to a request; none in Restricted Mode.
 */
async function databaseEnvironment(): Promise<Record<string, string>> {
  if (!isTrusted()) return {};
  const out: Record<string, string> = {};
  for (const name of context.globalState.get<string[]>(DATABASE_VARIABLES, [])) {
    const value = await context.secrets.get(secretKey(name));
    if (value) out[name] = value;
  }
  return out;
}

async function setDatabaseConnection(): Promise<void> {
  if (refuseUntrusted('Setting a database connection')) return;
  const name = await vscode.window.showInputBox({
    title: 'Study: database connection',
    prompt: 'The environment variable a spec names: data postgres env NAME table …',
    value: 'STUDY_PG',
    validateInput: (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : 'a variable name: letters, digits and _'),
  });
  if (!name) return;
  const value = await vscode.window.showInputBox({
    title: `Study: ${name}`,
    prompt: "The PostgreSQL connection string (postgresql://user:password@host:5432/database), kept in the editor's secret storage; leave empty to forget it",
    password: true,
    ignoreFocusOut: true,
  });
  if (value === undefined) return;
  const names = new Set(context.globalState.get<string[]>(DATABASE_VARIABLES, []));
  if (value === '') {
    await context.secrets.delete(secretKey(name));
    names.delete(name);
  } else {
    await context.secrets.store(secretKey(name), value);
    names.add(name);
  }
  await context.globalState.update(DATABASE_VARIABLES, [...names]);
  // the server reads connections from its environment: restart it with the new one
  await client?.stop();
  await startClient();
  void vscode.window.showInformationMessage(value === '' ? `Study: ${name} forgotten.` : `Study: ${name} is set for this editor (secret storage); specs with data postgres env ${name} use it.`);
}

function createClient(databaseEnv: Record<string, string> = {}): LanguageClient {
  const module = context.asAbsolutePath('out/server.cjs');
  // The server looks for its fit worker next to its own script; say where it is explicitly as well.
  const env = { ...process.env, ...databaseEnv, STUDY_FIT_WORKER: context.asAbsolutePath('out/fit-worker.cjs') };
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { env } },
    debug: { module, transport: TransportKind.ipc, options: { env, execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  // data outside the workspace folders: only when the user allows it, and never in Restricted Mode
  const allowOutside = isTrusted() && vscode.workspace.getConfiguration('study').get<boolean>('allowDataOutsideWorkspace', false) === true;
  const initializationOptions: StudyInitializationOptions = { trusted: isTrusted(), allowDataOutsideWorkspace: allowOutside };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: 'study', scheme: 'file' }, { language: 'study', scheme: 'untitled' }],
    // data files change the diagnostics (columns, levels) and make results stale: tell the server
    synchronize: { fileEvents: dataWatcher },
    initializationOptions,
    outputChannel: output,
    middleware: {
      // `study.runOnSave` is read by the server (workspace/configuration) when a spec is saved, and
      // `study.allowDataOutsideWorkspace` when it starts and when the setting changes; in Restricted Mode
      // answer false for both whatever the user settings say, so the server never runs on save nor reads outside there.
      workspace: {
        configuration: async (params, token, next) => {
          const values = await next(params, token);
          if (isTrusted() || !Array.isArray(values)) return values;
          return params.items.map((item, i) => {
            if (item.section === 'study.runOnSave' || item.section === 'study.allowDataOutsideWorkspace') return false;
            if (item.section === 'study' && values[i] && typeof values[i] === 'object') return { ...values[i], runOnSave: false, allowDataOutsideWorkspace: false };
            return values[i];
          });
        },
      },
      // Restricted Mode: hide the server's Run / Results lenses (the commands refuse anyway)
      provideCodeLenses: async (document, token, next) => {
        const lenses = await next(document, token);
        if (isTrusted() || !lenses) return lenses;
        return lenses.filter((l) => !/^study\.(runModel|runAnalysis|showResults)$/.test(l.command?.command ?? ''));
      },
    },
  };
  const c = new LanguageClient('study', 'Study Language Server', serverOptions, clientOptions);
  c.onNotification(RESULTS_CHANGED_NOTIFICATION, (p: ResultsChangedParams) => void onResultsChanged(p));
  return c;
}

async function startClient(): Promise<void> {
  client = createClient(await databaseEnvironment());
  await client.start();
}

export async function activate(ctx: vscode.ExtensionContext): Promise<void> {
  context = ctx;
  output = vscode.window.createOutputChannel('Study');
  dataWatcher = vscode.workspace.createFileSystemWatcher('**/*.{csv,tsv,txt,xpt,xport,sas7bdat,json,ndjson,parquet,parq}');
  ctx.subscriptions.push(output, dataWatcher);
  const host: PanelHost = { run: async (uri) => { await runStudy(uri, undefined, host); }, exportReport: (uri) => exportReport(uri), isTrusted };
  const reg = (id: string, fn: (...args: any[]) => unknown) => ctx.subscriptions.push(vscode.commands.registerCommand(id, fn));

  reg('study.runAnalysis', (uri?: vscode.Uri | string) => withSpec(uri, (u) => runStudy(u, undefined, host)));
  reg('study.runModel', (uri?: vscode.Uri | string, model?: string) => withSpec(uri, (u) => runStudy(u, model, host)));
  reg('study.runModelAtCursor', () => runModelAtCursor(host));
  reg('study.showResults', (uri?: vscode.Uri | string) => withSpec(uri, (u) => showResults(u, host)));
  reg('study.exportReport', (uri?: vscode.Uri | string) => withSpec(uri, (u) => exportReport(u)));
  reg('study.checkAll', () => checkAll());
  reg('study.setDatabaseConnection', () => setDatabaseConnection());

  // study.runOnSave: the server runs the spec when it is saved (it asks for the setting with workspace/configuration,
  // docs/lsp-protocol.md) and then sends study/resultsChanged, which refreshes the panel (onResultsChanged).
  // The client does not start a second run.
  ctx.subscriptions.push(vscode.workspace.onDidSaveTextDocument((doc) => {
    if (doc.languageId !== 'study' || !isTrusted()) return;
    if (!vscode.workspace.getConfiguration('study', doc.uri).get<boolean>('runOnSave', false)) return;
    if (!ResultsPanel.active) void showResultsWhenReady(doc.uri, host);
  }));
  // Trust granted: restart the server so it may read data and run (it was started with trusted: false).
  ctx.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(async () => {
    output.appendLine('workspace trusted: restarting the Study language server with trusted = true');
    await client?.stop();
    await startClient();
  }));
  ctx.subscriptions.push({ dispose: () => void client?.stop() });
  await startClient();
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}

// ---------------------------------------------------------------------------------------------------------

function toUri(u: vscode.Uri | string | undefined): vscode.Uri | undefined {
  if (u instanceof vscode.Uri) return u;
  if (typeof u === 'string') return vscode.Uri.parse(u);
  // commands invoked from a menu get a Uri; from the palette: the active Study editor, or the panel's spec
  const ed = vscode.window.activeTextEditor;
  if (ed?.document.languageId === 'study') return ed.document.uri;
  return ResultsPanel.active?.uri;
}

async function withSpec(u: vscode.Uri | string | undefined, fn: (uri: vscode.Uri) => Promise<unknown>): Promise<unknown> {
  const uri = toUri(u);
  if (!uri) {
    void vscode.window.showWarningMessage('Study: open a .study file first.');
    return undefined;
  }
  return fn(uri);
}

function refuseUntrusted(what: string): boolean {
  if (isTrusted()) return false;
  void vscode.window.showWarningMessage(`Study: ${what} is disabled in Restricted Mode. Trust this workspace to read data and run analyses.`, 'Manage Workspace Trust')
    .then((a) => a && vscode.commands.executeCommand('workbench.trust.manage'));
  return true;
}

async function runStudy(uri: vscode.Uri, model?: string, host?: PanelHost, opts: { quiet?: boolean } = {}): Promise<RunResult | undefined> {
  if (refuseUntrusted('running an analysis')) return undefined;
  if (!client) return undefined;
  const key = keyOf(uri);
  if (running.has(key)) {
    if (!opts.quiet) void vscode.window.showInformationMessage(`Study: ${basename(uri)} is already running.`);
    return undefined;
  }
  // make sure the server knows the document (a command may name a spec that is not open)
  await vscode.workspace.openTextDocument(uri);
  running.add(key);
  const panel = ResultsPanel.active && keyOf(ResultsPanel.active.uri) === key ? ResultsPanel.active : undefined;
  panel?.setRunning(true);
  const title = model ? `Study: fitting model ${model} of ${basename(uri)}` : `Study: running ${basename(uri)}`;
  try {
    const result = await vscode.window.withProgress(
      { location: opts.quiet ? vscode.ProgressLocation.Window : vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, token) => {
        const c = client!;
        const workDoneToken = `study-run-${Date.now()}-${Math.random().toString(36).slice(2)}`;
        let last = 0;
        const sub = c.onProgress(WorkDoneProgress.type, workDoneToken, (v) => {
          if (v.kind === 'end') return;
          const pct = typeof v.percentage === 'number' ? v.percentage : undefined;
          progress.report({ message: v.message, increment: pct !== undefined ? Math.max(0, pct - last) : undefined });
          if (pct !== undefined) last = pct;
        });
        try {
          const params: RunParams = { uri: key, ...(model ? { model } : {}), workDoneToken };
          return await c.sendRequest<RunResult | null>(RUN_REQUEST, params, token);
        } finally {
          sub.dispose();
        }
      });
    if (!result) {
      if (!opts.quiet) void vscode.window.showWarningMessage(`Study: ${basename(uri)} could not be run (see the Problems view).`);
      return undefined;
    }
    lastResults.set(key, result);
    const errors = (result.diagnostics ?? []).filter((d) => d.severity === 'error').length;
    output.appendLine(`${new Date().toISOString()} ran ${basename(uri)}${model ? ` (model ${model})` : ''}: ${result.report.models.length} model(s), ${result.durationMs} ms${errors ? `, ${errors} error(s)` : ''}`);
    if (host) ResultsPanel.show(context, host, uri, result, { preserveFocus: opts.quiet });
    return result;
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    if (/cancel/i.test(msg)) {
      if (!opts.quiet) void vscode.window.showInformationMessage(`Study: run of ${basename(uri)} cancelled.`);
    } else if (/Unhandled method|MethodNotFound/i.test(msg)) {
      void vscode.window.showErrorMessage('Study: this language server does not support running analyses (study/run).');
    } else {
      output.appendLine(`run failed: ${msg}`);
      void vscode.window.showErrorMessage(`Study: ${basename(uri)} could not be run: ${msg}`, 'Open Problems')
        .then((a) => a && vscode.commands.executeCommand('workbench.actions.view.problems'));
    }
    return undefined;
  } finally {
    running.delete(key);
    ResultsPanel.active?.setRunning(false);
  }
}

async function runModelAtCursor(host: PanelHost): Promise<unknown> {
  const ed = vscode.window.activeTextEditor;
  if (!ed || ed.document.languageId !== 'study') {
    void vscode.window.showWarningMessage('Study: open a .study file and place the cursor in a model block.');
    return undefined;
  }
  const text = ed.document.getText();
  let model = modelAtOffset(text, ed.document.offsetAt(ed.selection.active));
  if (!model) {
    const names = modelNames(text);
    if (names.length === 0) {
      void vscode.window.showWarningMessage('Study: this spec has no model block.');
      return undefined;
    }
    model = names.length === 1 ? names[0] : await vscode.window.showQuickPick(names, { placeHolder: 'The cursor is not inside a model: pick the model to run' });
    if (!model) return undefined;
  }
  return runStudy(ed.document.uri, model, host);
}

async function fetchResults(uri: vscode.Uri): Promise<RunResult | null> {
  try {
    const r = await client?.sendRequest<RunResult | null>(RESULTS_REQUEST, { uri: keyOf(uri) });
    if (r) lastResults.set(keyOf(uri), r);
    return r ?? lastResults.get(keyOf(uri)) ?? null;
  } catch {
    return lastResults.get(keyOf(uri)) ?? null;
  }
}

async function showResults(uri: vscode.Uri, host: PanelHost): Promise<void> {
  const result = isTrusted() ? await fetchResults(uri) : null;
  ResultsPanel.show(context, host, uri, result);
}

const resultsWaiters = new Map<string, (() => void)[]>();

/** Resolves at the next study/resultsChanged { stale: false } for `key`, or after `ms`. */
function waitForResults(key: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    resultsWaiters.set(key, [...(resultsWaiters.get(key) ?? []), () => { clearTimeout(timer); resolve(); }]);
  });
}

/** Run on save with no panel open: open it (beside, without focus) once the server's run has finished. */
async function showResultsWhenReady(uri: vscode.Uri, host: PanelHost): Promise<void> {
  await waitForResults(keyOf(uri), 120_000);
  const r = await fetchResults(uri);
  if (r && !r.stale) ResultsPanel.show(context, host, uri, r, { preserveFocus: true });
}

async function onResultsChanged(p: ResultsChangedParams): Promise<void> {
  if (!p.stale) {
    const waiters = resultsWaiters.get(keyOf(p.uri)) ?? [];
    resultsWaiters.delete(keyOf(p.uri));
    for (const w of waiters) w();
  }
  const panel = ResultsPanel.active;
  const key = keyOf(p.uri);
  const cached = lastResults.get(key);
  if (cached) lastResults.set(key, { ...cached, stale: p.stale });
  if (!panel || keyOf(panel.uri) !== key) return;
  if (p.stale) panel.setStale(true);
  else if (!running.has(key)) {
    // new results computed elsewhere (e.g. a run started by the server): refresh the panel
    const r = await fetchResults(vscode.Uri.parse(p.uri));
    if (r) panel.update(vscode.Uri.parse(p.uri), r);
  }
}

type ExportKind = 'html' | 'md' | 'json';

async function exportReport(uri: vscode.Uri): Promise<void> {
  if (refuseUntrusted('exporting a report')) return;
  let result = await fetchResults(uri);
  if (!result || result.stale) {
    const choice = await vscode.window.showInformationMessage(
      result ? `Study: the results of ${basename(uri)} are out of date.` : `Study: ${basename(uri)} has not been run yet.`,
      { modal: false }, 'Run and Export', ...(result ? ['Export Anyway'] : []));
    if (choice === 'Run and Export') result = (await runStudy(uri, undefined, undefined)) ?? null;
    else if (choice !== 'Export Anyway') return;
  }
  if (!result) return;
  const pick = await vscode.window.showQuickPick<vscode.QuickPickItem & { kind2: ExportKind }>([
    { label: 'HTML', description: 'self-contained page: tables and figures (SVG)', kind2: 'html' },
    { label: 'Markdown', description: 'tables as GitHub Markdown', kind2: 'md' },
    { label: 'JSON', description: 'the full report (docs/report-json.md)', kind2: 'json' },
  ], { placeHolder: `Export the report of ${basename(uri)} as…` });
  if (!pick) return;
  const ext = pick.kind2;
  const base = basename(uri).replace(/\.study$/, '');
  const defaultUri = vscode.Uri.joinPath(uri, '..', `${base}-report.${ext}`);
  const target = await vscode.window.showSaveDialog({
    defaultUri, saveLabel: 'Export', title: 'Export Study report',
    filters: ext === 'html' ? { HTML: ['html', 'htm'] } : ext === 'md' ? { Markdown: ['md'] } : { JSON: ['json'] },
  });
  if (!target) return;
  const text = ext === 'html' ? htmlReport(result.report) : ext === 'md' ? markdownReport(result.report) : JSON.stringify(result.report, null, 2) + '\n';
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  const open = await vscode.window.showInformationMessage(`Study: report written to ${vscode.workspace.asRelativePath(target)}`, 'Open');
  if (open) await vscode.commands.executeCommand('vscode.open', target);
}

async function checkAll(): Promise<void> {
  const files = await vscode.workspace.findFiles('**/*.study', '**/{node_modules,.git}/**');
  if (files.length === 0) {
    void vscode.window.showInformationMessage('Study: no .study files in this workspace.');
    return;
  }
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Study: checking ${files.length} spec${files.length === 1 ? '' : 's'}`, cancellable: true }, async (progress, token) => {
    // documents already open have been validated: wait only for the ones this command opens
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    const pending = new Set(files.map((f) => f.toString()).filter((u) => !open.has(u)));
    const seen = vscode.languages.onDidChangeDiagnostics((e) => { for (const u of e.uris) pending.delete(u.toString()); });
    try {
      let i = 0;
      for (const f of files) {
        if (token.isCancellationRequested) return;
        await vscode.workspace.openTextDocument(f); // an open document is validated by the server and gets diagnostics
        progress.report({ message: basename(f), increment: 100 / files.length });
        i++;
      }
      // wait for the server's diagnostics (a clean spec may publish an empty list that fires no change): bounded
      const t0 = Date.now();
      while (pending.size > 0 && Date.now() - t0 < 10_000 && !token.isCancellationRequested) await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 300));
      void i;
    } finally {
      seen.dispose();
    }
  });
  let errors = 0, warnings = 0;
  const bad: string[] = [];
  for (const f of files) {
    const d = vscode.languages.getDiagnostics(f);
    const e = d.filter((x) => x.severity === vscode.DiagnosticSeverity.Error).length;
    const w = d.filter((x) => x.severity === vscode.DiagnosticSeverity.Warning).length;
    errors += e; warnings += w;
    if (e + w > 0) bad.push(`${vscode.workspace.asRelativePath(f)} (${e} error${e === 1 ? '' : 's'}, ${w} warning${w === 1 ? '' : 's'})`);
  }
  const summary = `Study: checked ${files.length} spec${files.length === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}` +
    (bad.length ? ` in ${bad.length} file${bad.length === 1 ? '' : 's'}` : '') + '.';
  output.appendLine(summary);
  for (const b of bad) output.appendLine(`  ${b}`);
  const show = errors > 0 ? vscode.window.showErrorMessage : warnings > 0 ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const action = await show(summary, ...(errors + warnings > 0 ? ['Open Problems'] : []));
  if (action === 'Open Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
}
