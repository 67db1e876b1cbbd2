/**
 * The language server's results: runs a spec (off the main thread, fit-runner.ts), keeps the last
 * result of each document, knows when it is stale (the spec text or its data file changed since the
 * run) and tells the client (`study/resultsChanged`). Protocol: docs/lsp-protocol.md.
 *
 * Results are cached by (spec text, data file content hash, model): running unchanged input again is
 * answered from the cache without fitting.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { URI, type LangiumDocument } from 'langium';
import { ResponseError, WorkDoneProgress, type CancellationToken, type Connection, type ProgressToken } from 'vscode-languageserver';
import { dataFileStamp, type StudyReport } from '@study/engine';
import { FitCancelled, FitRunner, type FitRunnerOptions } from './fit-runner.js';
import type { FitOutcome } from './fit-job.js';
import { dataAccessAllowed, documentFolder } from '../data-cache.js';
import { checkDataAccess, dataAccessOptions } from '../validation/data-access.js';
import { DEFAULT_OFFLOAD_BYTES } from '../validation/data-offload.js';

export { StudyRequests, type RunParams, type RunResponse, type ResultsChangedParams } from './protocol.js';
import { StudyRequests, type ResultsChangedParams, type RunParams, type RunResponse, type StudyDiagnostic } from './protocol.js';

/** JSON-RPC error codes of `study/run` (LSP's RequestFailed and RequestCancelled). */
export const RunErrorCodes = { failed: -32803, cancelled: -32800 } as const;

export interface StoredResult {
  uri: string;
  version: number;
  text: string;
  dataPath?: string;
  dataHash?: string;
  report: StudyReport;
  diagnostics: StudyDiagnostic[];
  failures: FitOutcome['failures'];
  durationMs: number;
  cached: boolean;
  model?: string;
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/**
 * Content hashes of data files, recomputed only when the file's stamp (mtime, size) changes. A file is
 * hashed only when the spec (`specUri`) may read it (validation/data-access.ts): a regular file in the
 * workspace, under the size limit. A large file (DEFAULT_OFFLOAD_BYTES or more) is not read here, on the
 * server's main thread: its stamp stands for its content (touching it makes results stale).
 */
class DataHashes {
  private readonly known = new Map<string, { stamp: string; hash: string }>();

  hash(file: string | undefined, specUri: string): string | undefined {
    if (!file || !dataAccessAllowed()) return undefined;
    const access = checkDataAccess(file, documentFolder(specUri));
    if (!access.ok) return undefined;
    const stamp = dataFileStamp(file);
    if (stamp === undefined) return undefined;
    // a large file is not read on the main thread (validation/data-offload.ts): its stamp stands for its content
    if (access.size >= DEFAULT_OFFLOAD_BYTES) return `stamp:${stamp}`;
    const hit = this.known.get(file);
    if (hit && hit.stamp === stamp) return hit.hash;
    try {
      const hash = sha(readFileSync(file));
      this.known.set(file, { stamp, hash });
      return hash;
    } catch {
      return undefined;
    }
  }
}

export interface ResultsHost {
  /** the open document's text and version, if the editor has it open */
  openDocument(uri: string): { text: string; version: number } | undefined;
  /** re-validate a document (to publish the fit notes as diagnostics) */
  revalidate?(uri: string): void;
}

export class StudyResults {
  private runner: FitRunner;
  private readonly last = new Map<string, StoredResult>();
  /** recent runs by (spec text, model), with the data file they read and its content hash then */
  private readonly cache = new Map<string, { outcome: FitOutcome; dataHash?: string }>();
  private readonly staleSent = new Map<string, boolean>();
  private readonly hashes = new DataHashes();
  private connection?: Connection;
  private host?: ResultsHost;

  constructor(options: FitRunnerOptions = {}) {
    this.runner = new FitRunner(options);
  }

  /** Chooses how fits run (worker script or in-process); the server calls it at start-up. */
  configure(options: FitRunnerOptions): void {
    this.runner.dispose();
    this.runner = new FitRunner(options);
  }

  get runnerMode(): 'worker' | 'in-process' {
    return this.runner.mode;
  }

  /** the worker script fits run in, when they run in a worker */
  get workerPath(): string | undefined {
    return this.runner.worker;
  }

  /** Connects to the client, for notifications and progress. */
  attach(connection: Connection | undefined, host: ResultsHost): void {
    this.connection = connection;
    this.host = host;
  }

  /** The last result of a document, whatever its staleness. */
  get(uri: string): StoredResult | undefined {
    return this.last.get(normalize(uri));
  }

  /** Has the spec text (as given, or the open document's) or its data file changed since the run? */
  isStale(uri: string, currentText?: string): boolean {
    const r = this.get(uri);
    if (!r) return false;
    const text = currentText ?? this.currentText(uri);
    if (text !== undefined && text !== r.text) return true;
    return r.dataPath !== undefined && this.hashes.hash(r.dataPath, r.uri) !== r.dataHash;
  }

  /** `study/results`. */
  results(uri: string): RunResponse | null {
    const r = this.get(uri);
    if (!r) return null;
    return this.response(r, this.isStale(uri));
  }

  /** `study/run`: throws a ResponseError saying why when there is nothing to report. */
  async run(params: RunParams, token?: CancellationToken): Promise<RunResponse> {
    if (!params || typeof params.uri !== 'string') throw new ResponseError(RunErrorCodes.failed, 'study/run needs { uri }');
    const uri = normalize(params.uri);
    const started = Date.now();
    const progress = this.beginProgress(params.workDoneToken, params.model ? `Fitting model ${params.model}` : 'Running the spec');
    try {
      const source = this.source(uri);
      const file = URI.parse(uri).fsPath;
      // The run itself says which data file it read (the spec's `data` statement, as the parser sees it);
      // a cached run is reused only while that file still has the content it had.
      const key = `${sha(source.text)}|${params.model ?? '*'}`;
      let entry = this.cache.get(key);
      if (entry?.outcome.dataPath !== undefined && this.hashes.hash(entry.outcome.dataPath, uri) !== entry.dataHash) entry = undefined;
      const cached = entry !== undefined;
      if (!entry) {
        progress.report('fitting');
        const request = { text: source.text, path: file, access: dataAccessOptions(), ...(params.model !== undefined ? { model: params.model } : {}) };
        const outcome = await this.runner.run(uri, request, token);
        entry = { outcome, ...(outcome.dataPath !== undefined ? { dataHash: this.hashes.hash(outcome.dataPath, uri) } : {}) };
        if (outcome.report) this.remember(key, entry);
      }
      const { outcome, dataHash } = entry;
      if (!outcome.report) throw new ResponseError(RunErrorCodes.failed, outcome.error ?? 'the spec could not be run');
      const previous = this.last.get(uri);
      let report = outcome.report;
      if (params.model !== undefined && previous && previous.text === source.text && !this.isStale(uri, source.text)) {
        // one model re-run: keep the other models and the analyses of the previous run
        report = { ...previous.report, models: mergeModels(previous.report.models, report.models) };
        report.figures = [...(previous.report.figures ?? []).filter((f) => !('model' in f) || f.model !== params.model), ...(outcome.report.figures ?? [])];
      }
      const stored: StoredResult = {
        uri,
        version: source.version,
        text: source.text,
        ...(outcome.dataPath ? { dataPath: outcome.dataPath } : {}),
        ...(dataHash ? { dataHash } : {}),
        report,
        diagnostics: outcome.diagnostics,
        failures: outcome.failures,
        durationMs: Date.now() - started,
        cached,
        ...(params.model !== undefined ? { model: params.model } : {}),
      };
      this.last.set(uri, stored);
      this.staleSent.set(uri, false);
      this.notify(uri, false);
      this.host?.revalidate?.(uri);
      void this.refreshClient();
      return this.response(stored, false);
    } catch (e) {
      if (e instanceof ResponseError) throw e;
      if (e instanceof FitCancelled) throw new ResponseError(RunErrorCodes.cancelled, `run cancelled: ${e.message}`);
      throw new ResponseError(RunErrorCodes.failed, (e as Error)?.message ?? String(e));
    } finally {
      progress.done();
    }
  }

  /** The document changed: a run in flight for it is abandoned, and its results may now be stale. */
  documentChanged(uri: string): void {
    this.runner.cancel(normalize(uri), 'the document changed');
    this.checkStale(uri);
  }

  /** Sends `study/resultsChanged { stale: true }` once when a document's results become stale. */
  checkStale(uri: string): void {
    const u = normalize(uri);
    if (!this.last.has(u)) return;
    const stale = this.isStale(u);
    if (this.staleSent.get(u) === stale) return;
    this.staleSent.set(u, stale);
    this.notify(u, stale);
    void this.refreshClient();
  }

  /** Every document that has results (for checking staleness after a data file changed). */
  documents(): string[] {
    return [...this.last.keys()];
  }

  dispose(): void {
    this.runner.dispose();
  }

  // ------------------------------------------------------------------ helpers

  private response(r: StoredResult, stale: boolean): RunResponse {
    return {
      uri: r.uri,
      version: r.version,
      report: r.report,
      diagnostics: r.diagnostics,
      durationMs: r.durationMs,
      stale,
      cached: r.cached,
      ...(r.model !== undefined ? { model: r.model } : {}),
    };
  }

  private remember(key: string, entry: { outcome: FitOutcome; dataHash?: string }): void {
    this.cache.set(key, entry);
    // a small cache: the most recent runs only
    while (this.cache.size > 20) this.cache.delete(this.cache.keys().next().value!);
  }

  private currentText(uri: string): string | undefined {
    const open = this.host?.openDocument(uri);
    if (open) return open.text;
    try {
      return readFileSync(URI.parse(uri).fsPath, 'utf8');
    } catch {
      return undefined;
    }
  }

  private source(uri: string): { text: string; version: number } {
    const open = this.host?.openDocument(uri);
    if (open) return open;
    try {
      return { text: readFileSync(URI.parse(uri).fsPath, 'utf8'), version: 0 };
    } catch (e) {
      throw new ResponseError(RunErrorCodes.failed, `cannot read ${uri}: ${(e as Error).message}`);
    }
  }

  /** The data file a spec text names (`data "file.csv"`), resolved against the spec's folder. */
  private notify(uri: string, stale: boolean): void {
    const params: ResultsChangedParams = { uri, stale };
    try {
      void this.connection?.sendNotification(StudyRequests.resultsChanged, params);
    } catch {
      // no client
    }
  }

  /** Asks the client to re-query inlay hints and code lenses (ignored by clients that cannot). */
  private async refreshClient(): Promise<void> {
    const c = this.connection;
    if (!c) return;
    await Promise.allSettled([c.sendRequest('workspace/inlayHint/refresh'), c.sendRequest('workspace/codeLens/refresh')]);
  }

  private beginProgress(token: ProgressToken | undefined, title: string): { report(message: string): void; done(): void } {
    const c = this.connection;
    if (!c || token === undefined) return { report() {}, done() {} };
    const send = (value: unknown) => {
      try {
        void c.sendProgress(WorkDoneProgress.type, token, value as never);
      } catch {
        // the client went away
      }
    };
    send({ kind: 'begin', title, cancellable: false });
    return {
      report: (message) => send({ kind: 'report', message }),
      done: () => send({ kind: 'end' }),
    };
  }
}

function mergeModels<T extends { name: string }>(previous: T[], fresh: T[]): T[] {
  const names = new Set(fresh.map((m) => m.name));
  const kept = previous.map((m) => (names.has(m.name) ? fresh.find((f) => f.name === m.name)! : m));
  for (const f of fresh) if (!previous.some((m) => m.name === f.name)) kept.push(f);
  return kept;
}

/** One spelling per document URI (clients differ in escaping, e.g. `c%3A` vs `c:`). */
export function normalize(uri: string): string {
  try {
    return URI.parse(uri).toString();
  } catch {
    return uri;
  }
}

/** The text and version of a Langium document. */
export function documentSource(doc: LangiumDocument | undefined): { text: string; version: number } | undefined {
  return doc ? { text: doc.textDocument.getText(), version: doc.textDocument.version } : undefined;
}
