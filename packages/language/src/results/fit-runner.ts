/**
 * Runs fits off the main thread, one worker_threads worker per run, and lets a run be abandoned:
 * `cancel(key)` (or the request's cancellation token) terminates the worker at once.
 *
 * Where the worker script is, first match wins:
 *  1. the `workerPath` option;
 *  2. the environment variable STUDY_FIT_WORKER;
 *  3. `fit-worker.js` or `fit-worker.cjs` next to the running script (a bundled server: out/server.cjs + out/fit-worker.cjs);
 *  4. this package's dist/results/fit-worker.js.
 * When none exists (or `inProcess` is set, as in unit tests on the TypeScript sources) the fit runs
 * in this thread.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CancellationToken } from 'vscode-languageserver';
import { runFitJob, type FitOutcome, type FitRequest } from './fit-job.js';

export interface FitRunnerOptions {
  workerPath?: string;
  /** run fits in this thread (no worker) */
  inProcess?: boolean;
}

/** Thrown (rejected) when a run was cancelled or superseded. */
export class FitCancelled extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'FitCancelled';
  }
}

function packageWorker(): string | undefined {
  try {
    return fileURLToPath(new URL('./fit-worker.js', import.meta.url));
  } catch {
    return undefined; // e.g. bundled as CommonJS, where import.meta.url is empty
  }
}

/** The worker script to use, or undefined when there is none (see the module comment). */
export function resolveWorkerPath(option?: string): string | undefined {
  const script = process.argv[1];
  const candidates = [
    option,
    process.env.STUDY_FIT_WORKER,
    // a bundled server sits beside its worker: out/server.cjs + out/fit-worker.cjs (or .js)
    script ? path.join(path.dirname(path.resolve(script)), 'fit-worker.js') : undefined,
    script ? path.join(path.dirname(path.resolve(script)), 'fit-worker.cjs') : undefined,
    packageWorker(),
  ];
  return candidates.find((c): c is string => Boolean(c) && existsSync(c!) && !c!.endsWith('.ts'));
}

export class FitRunner {
  private readonly workerPath: string | undefined;
  private readonly running = new Map<string, { worker?: Worker; reject: (e: Error) => void }>();

  constructor(options: FitRunnerOptions = {}) {
    this.workerPath = options.inProcess ? undefined : resolveWorkerPath(options.workerPath);
  }

  /** 'worker' or 'in-process': how fits run. */
  get mode(): 'worker' | 'in-process' {
    return this.workerPath ? 'worker' : 'in-process';
  }

  get worker(): string | undefined {
    return this.workerPath;
  }

  /** Is a run for `key` (a document URI) in flight? */
  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** Runs a fit for `key`; a run already in flight for the same key is cancelled first. */
  run(key: string, request: FitRequest, token?: CancellationToken): Promise<FitOutcome> {
    this.cancel(key, 'superseded by a newer run');
    return new Promise<FitOutcome>((resolve, reject) => {
      const entry: { worker?: Worker; reject: (e: Error) => void } = { reject };
      this.running.set(key, entry);
      const finish = () => {
        if (this.running.get(key) === entry) this.running.delete(key);
        disposable?.dispose();
      };
      const disposable = token?.onCancellationRequested(() => this.cancel(key, 'the request was cancelled'));
      entry.reject = (e) => {
        finish();
        reject(e);
      };
      if (!this.workerPath) {
        // in-process: cannot be interrupted, but a cancelled result is dropped
        runFitJob(request).then((outcome) => {
          if (this.running.get(key) !== entry) return;
          finish();
          resolve(outcome);
        }, entry.reject);
        return;
      }
      let worker: Worker;
      try {
        worker = new Worker(this.workerPath);
      } catch (e) {
        entry.reject(new Error(`cannot start the fit worker ${this.workerPath}: ${(e as Error).message}`));
        return;
      }
      entry.worker = worker;
      worker.once('message', (outcome: FitOutcome) => {
        finish();
        void worker.terminate();
        resolve(outcome);
      });
      worker.once('error', (e) => {
        finish();
        void worker.terminate();
        reject(new Error(`the fit worker failed: ${e.message}`));
      });
      worker.once('exit', (code) => {
        if (this.running.get(key) === entry) entry.reject(new Error(`the fit worker stopped (exit code ${code})`));
      });
      worker.postMessage(request);
    });
  }

  /** Abandons the run for `key`, terminating its worker. */
  cancel(key: string, reason = 'cancelled'): void {
    const entry = this.running.get(key);
    if (!entry) return;
    this.running.delete(key);
    if (entry.worker) void entry.worker.terminate();
    entry.reject(new FitCancelled(reason));
  }

  dispose(): void {
    for (const key of [...this.running.keys()]) this.cancel(key, 'the server is shutting down');
  }
}
