/**
 * The fit worker (a worker_threads entry point): receives a FitRequest, runs it (fit-job.ts) and posts
 * the FitOutcome back. The language server starts one per run and terminates it when the run is no
 * longer wanted (the document changed or the request was cancelled), so a long fit never blocks
 * hover, completion or diagnostics.
 */
import { parentPort } from 'node:worker_threads';
import { runFitJob, type FitRequest } from './fit-job.js';

parentPort?.on('message', (request: FitRequest) => {
  runFitJob(request).then(
    (outcome) => parentPort!.postMessage(outcome),
    (e) => parentPort!.postMessage({ diagnostics: [], failures: [], error: `the run failed: ${(e as Error)?.message ?? String(e)}` }),
  );
});
