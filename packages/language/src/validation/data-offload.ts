/**
 * The language server's checks against large data files, off its main thread (issue 9: a spec on a
 * 200,000-subject file blocked the server for 15 s). When a spec's data file is at least `minBytes`, the
 * Study validator does not read it: it runs the checks that need no data at once, and asks the server's
 * worker (results/fit-worker.ts, one long-lived worker_threads instance for these checks) to run the whole
 * validator with the data (validation/data-job.ts). When the worker answers, the document is validated
 * again and the validator replays the worker's diagnostics, which are cached by (spec text, data file
 * stamp, data-access policy): an unchanged spec on an unchanged file is not checked twice, and the worker
 * keeps the file's rows while its stamp is unchanged, so an edit re-runs the checks but not the read.
 * Hover and completion take the columns from the worker's summary (ColumnSummary) meanwhile.
 *
 * Smaller files (ketamine.csv) are read and checked on the main thread as before: the worker's round trip
 * would cost more than the checks. Requests are serialised, one per document at a time: while the worker
 * checks one text, the next edit of that document waits, and only the latest text is checked.
 * Without `enable` (the CLI, tests, a server with no worker script) everything runs in the thread.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { LangiumDocument } from 'langium';
import { dataFileStamp } from '@study/engine';
import type { Diagnostic } from 'vscode-languageserver';
import type { StudyFile } from '../generated/ast.js';
import { dataAccessAllowed, documentFolder, resolveDataPath } from '../data-cache.js';
import { studyInfo, unquote } from '../semantics.js';
import { checkDataAccess, dataAccessOptions } from './data-access.js';
import type { ColumnSummary, DataCheckOutcome, DataCheckRequest } from './data-job.js';

/** Data files from this size on (bytes) are checked in the worker: about 10,000 rows of a typical file. */
export const DEFAULT_OFFLOAD_BYTES = 256 * 1024;

export interface DataOffloadOptions {
  /** the worker script (results/fit-runner.ts resolveWorkerPath) */
  workerPath: string;
  /** data files smaller than this are read on the main thread (default DEFAULT_OFFLOAD_BYTES; env STUDY_DATA_OFFLOAD_BYTES) */
  minBytes?: number;
  /** the worker's diagnostics for a document are in: validate it again (they are replayed then) */
  onChecked?: (uri: string) => void;
  /** progress notes (the server's log) */
  log?: (message: string) => void;
}

/** What the validator does with a document's data checks. */
export type OffloadState =
  /** read and check the data here (a small file, no data, no access, or offloading is off) */
  | { state: 'local' }
  /** the worker is checking this text: run the checks that need no data */
  | { state: 'pending'; dataPath: string }
  /** the worker's diagnostics for exactly this text and data file */
  | { state: 'checked'; diagnostics: Diagnostic[] }
  /** the worker could not check it (it crashed, ran out of memory): the checks that need no data, and why */
  | { state: 'failed'; error: string };

interface Job {
  uri: string;
  text: string;
  key: string;
  dataPath: string;
}

const LOCAL: OffloadState = { state: 'local' };

export class DataOffload {
  private options: DataOffloadOptions | undefined;
  private worker: Worker | undefined;
  private nextId = 0;
  private inflight: (Job & { id: number; started: number }) | undefined;
  /** the next text to check per document (the latest only) */
  private readonly queued = new Map<string, Job>();
  /** the last outcome per document */
  private readonly checked = new Map<string, { key: string; outcome: DataCheckOutcome }>();
  /** the columns of each data file the worker has read, by absolute path */
  private readonly columnsOf = new Map<string, { stamp: string; columns: ColumnSummary[] }>();

  /** Checks large data files in a worker from now on. */
  enable(options: DataOffloadOptions): void {
    this.dispose();
    const env = Number(process.env.STUDY_DATA_OFFLOAD_BYTES);
    this.options = { ...options, minBytes: options.minBytes ?? (Number.isFinite(env) && process.env.STUDY_DATA_OFFLOAD_BYTES !== '' ? env : DEFAULT_OFFLOAD_BYTES) };
  }

  get enabled(): boolean {
    return this.options !== undefined;
  }

  /**
   * What the validator does with this document's data (called on every validation, on the main thread:
   * stats and a hash of the spec text only). Starts the worker's check when the answer is `pending`.
   */
  lookup(root: StudyFile): OffloadState {
    const target = this.target(root);
    if (!target) return LOCAL;
    const { uri, key, dataPath, document } = target;
    const done = this.checked.get(uri);
    if (done && done.key === key) {
      return done.outcome.error !== undefined ? { state: 'failed', error: done.outcome.error } : { state: 'checked', diagnostics: done.outcome.diagnostics };
    }
    this.request({ uri, text: document.textDocument.getText(), key, dataPath });
    return { state: 'pending', dataPath };
  }

  /**
   * The columns of a spec's data file for hover and completion, when the file is one the worker reads:
   * its summary, or `pending` while it is being read. Undefined: read it here (data-cache.ts).
   */
  columns(document: LangiumDocument, written: string): ColumnSummary[] | 'pending' | undefined {
    if (!this.options || !dataAccessAllowed() || document.uri.scheme !== 'file') return undefined;
    const abs = resolveDataPath(document.uri, written);
    const access = checkDataAccess(abs, documentFolder(document.uri));
    if (!access.ok || access.size < (this.options.minBytes ?? DEFAULT_OFFLOAD_BYTES)) return undefined;
    const stamp = dataFileStamp(access.realPath);
    const known = this.columnsOf.get(abs);
    if (known && known.stamp === stamp) return known.columns;
    return 'pending';
  }

  /** Is the worker checking (or about to check) this document? */
  isPending(uri: string): boolean {
    return this.inflight?.uri === uri || this.queued.has(uri);
  }

  dispose(): void {
    const w = this.worker;
    this.worker = undefined;
    this.inflight = undefined;
    this.queued.clear();
    if (w) void w.terminate();
  }

  // ------------------------------------------------------------------ helpers

  private target(root: StudyFile): { uri: string; key: string; dataPath: string; document: LangiumDocument } | undefined {
    const options = this.options;
    const document = root.$document;
    if (!options || !document || document.uri.scheme !== 'file' || !dataAccessAllowed()) return undefined;
    const written = studyInfo(root).data?.path;
    if (typeof written !== 'string') return undefined;
    const dataPath = resolveDataPath(document.uri, unquote(written));
    const access = checkDataAccess(dataPath, documentFolder(document.uri));
    // a refused or missing file is reported at once, here; a small one is read here
    if (!access.ok || access.size < (options.minBytes ?? DEFAULT_OFFLOAD_BYTES)) return undefined;
    const stamp = dataFileStamp(access.realPath);
    if (stamp === undefined) return undefined;
    const text = document.textDocument.getText();
    const key = createHash('sha1').update(text).update(`\u0000${access.realPath}\u0000${stamp}\u0000${JSON.stringify(dataAccessOptions())}`).digest('hex');
    return { uri: document.uri.toString(), key, dataPath, document };
  }

  private request(job: Job): void {
    if (this.inflight?.uri === job.uri && this.inflight.key === job.key) return;
    this.queued.set(job.uri, job);
    this.pump();
  }

  private pump(): void {
    if (this.inflight || this.queued.size === 0 || !this.options) return;
    const [uri, job] = this.queued.entries().next().value as [string, Job];
    this.queued.delete(uri);
    const worker = this.ensureWorker();
    if (!worker) return;
    const id = ++this.nextId;
    this.inflight = { ...job, id, started: performance.now() };
    const request: DataCheckRequest = { kind: 'data-check', id, uri: job.uri, text: job.text, access: dataAccessOptions() };
    worker.ref();
    worker.postMessage(request);
  }

  private ensureWorker(): Worker | undefined {
    if (this.worker) return this.worker;
    const options = this.options!;
    let worker: Worker;
    try {
      worker = new Worker(options.workerPath);
    } catch (e) {
      options.log?.(`study: cannot start the data worker ${options.workerPath}: ${(e as Error).message}; data files are read in the server thread`);
      this.options = undefined;
      return undefined;
    }
    worker.on('message', (outcome: DataCheckOutcome) => {
      if (outcome?.kind === 'data-check') this.finish(outcome);
    });
    const fail = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const job = this.inflight;
      if (job) this.finish({ kind: 'data-check', id: job.id, diagnostics: [], readMs: 0, checkMs: performance.now() - job.started, error: why });
    };
    worker.on('error', (e) => fail(`the data worker failed: ${e.message}`));
    worker.on('exit', (code) => fail(`the data worker stopped (exit code ${code})`));
    this.worker = worker;
    return worker;
  }

  private finish(outcome: DataCheckOutcome): void {
    const job = this.inflight;
    if (!job || job.id !== outcome.id) return;
    this.inflight = undefined;
    this.worker?.unref();
    this.checked.set(job.uri, { key: job.key, outcome });
    if (outcome.columns && outcome.dataPath) {
      const stamp = dataFileStamp(outcome.dataPath);
      if (stamp !== undefined) this.columnsOf.set(outcome.dataPath, { stamp, columns: outcome.columns });
    }
    const ms = (x: number) => `${Math.round(x)} ms`;
    this.options?.log?.(
      outcome.error !== undefined
        ? `study: the checks of ${job.uri} against ${job.dataPath} failed: ${outcome.error}`
        : `study: checked ${job.uri} against ${job.dataPath}${outcome.rows !== undefined ? ` (${outcome.rows} rows)` : ''} off the main thread: read ${ms(outcome.readMs)}, checks ${ms(outcome.checkMs)}, ${outcome.diagnostics.length} diagnostics`,
    );
    // a newer text of the document is waiting: its own answer will re-validate it
    if (!this.queued.has(job.uri)) this.options?.onChecked?.(job.uri);
    this.pump();
  }
}
