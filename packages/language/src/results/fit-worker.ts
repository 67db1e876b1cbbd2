/**
 * The language server's worker (a worker_threads entry point), for the two kinds of work that scale with
 * the data and must not block the server's main thread:
 *
 *  - a fit: receives a FitRequest, runs it (fit-job.ts) and posts the FitOutcome back. The server starts
 *    one per run and terminates it when the run is no longer wanted (the document changed or the request
 *    was cancelled), so a long fit never blocks hover, completion or diagnostics;
 *  - the checks of a spec against a large data file (`kind: 'data-check'`, validation/data-job.ts): one
 *    long-lived worker, which keeps the file's rows between requests (validation/data-offload.ts).
 */
import { parentPort } from 'node:worker_threads';
import { runFitJob, type FitRequest } from './fit-job.js';
import { runDataCheckJob, type DataCheckRequest } from '../validation/data-job.js';

// one request at a time: a data check that arrives while another runs waits for it (they share the data cache)
let queue: Promise<unknown> = Promise.resolve();

parentPort?.on('message', (request: FitRequest | DataCheckRequest) => {
  if ((request as DataCheckRequest)?.kind === 'data-check') {
    queue = queue.then(() => runDataCheckJob(request as DataCheckRequest).then((outcome) => parentPort!.postMessage(outcome)));
    return;
  }
  runFitJob(request as FitRequest).then(
    (outcome) => parentPort!.postMessage(outcome),
    (e) => parentPort!.postMessage({ diagnostics: [], failures: [], error: `the run failed: ${(e as Error)?.message ?? String(e)}` }),
  );
});
