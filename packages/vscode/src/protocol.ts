/**
 * The custom LSP messages of the Study language server (docs/lsp-protocol.md): the types and names are
 * the server's own (packages/language/src/results/protocol.ts), so client and server cannot drift.
 */
import {
  StudyRequests,
  type RunParams,
  type RunResponse,
  type ResultsChangedParams,
  type StudyDiagnostic,
  type StudyInitializationOptions,
} from '@study/language/protocol';

export type { RunParams, ResultsChangedParams, StudyDiagnostic, StudyInitializationOptions };
/** a `study/run` or `study/results` answer */
export type RunResult = RunResponse;

export interface ResultsParams {
  uri: string;
}

export const RUN_REQUEST = StudyRequests.run;
export const RESULTS_REQUEST = StudyRequests.results;
export const RESULTS_CHANGED_NOTIFICATION = StudyRequests.resultsChanged;

/** Messages between the extension and the results webview. */
export type ToWebview =
  | { type: 'results'; fileName: string; uri: string; trusted: boolean; running: boolean; result: RunResult | null; tables: import('@study/engine').ReportTable[] }
  | { type: 'stale'; stale: boolean }
  | { type: 'running'; running: boolean };

export type FromWebview =
  | { type: 'ready' }
  | { type: 'copy'; id: string; format: 'text' | 'csv' | 'markdown' }
  | { type: 'run' }
  | { type: 'export' }
  | { type: 'openSpec' };
