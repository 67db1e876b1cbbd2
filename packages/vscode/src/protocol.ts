/**
 * The custom LSP messages of the Study language server (issue #4; server side in packages/language,
 * described in docs/lsp-protocol.md). Kept as plain types here so the client compiles on its own.
 */
import type { StudyReport } from '@study/engine';
import type { Diagnostic } from 'vscode-languageclient/node';

export interface RunParams {
  uri: string;
  /** run one model (by name); all models and analyses when absent */
  model?: string;
  /** LSP work-done progress token */
  workDoneToken?: string | number;
}

export interface RunResult {
  uri: string;
  /** the document version the results were computed from */
  version: number;
  report: StudyReport;
  /** the spec's diagnostics and the fit failures (the server sends StudyDiagnostic; LSP Diagnostic accepted too) */
  diagnostics: RunDiagnostic[];
  durationMs: number;
  /** true when the spec or its data changed since the run */
  stale: boolean;
  /** answered from the server's cache (same spec text, data content and model) */
  cached?: boolean;
  /** present when the last run was of one model (the report keeps the other models of the previous run) */
  model?: string;
}

/** packages/language/src/check.ts: 1-based positions */
export interface StudyDiagnostic {
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code?: string;
}

export type RunDiagnostic = StudyDiagnostic | Diagnostic;

/** 'error' | 'warning' | 'info' | 'hint' whichever shape the diagnostic has */
export function diagnosticSeverity(d: RunDiagnostic): StudyDiagnostic['severity'] {
  if (typeof d.severity === 'string') return d.severity;
  return d.severity === 1 ? 'error' : d.severity === 2 ? 'warning' : d.severity === 4 ? 'hint' : d.severity === 3 ? 'info' : 'error';
}

/** 1-based line */
export function diagnosticLine(d: RunDiagnostic): number {
  return 'range' in d && d.range ? d.range.start.line + 1 : (d as StudyDiagnostic).line ?? 1;
}

export interface ResultsParams {
  uri: string;
}

export interface ResultsChangedParams {
  uri: string;
  stale: boolean;
}

export const RUN_REQUEST = 'study/run';
export const RESULTS_REQUEST = 'study/results';
export const RESULTS_CHANGED_NOTIFICATION = 'study/resultsChanged';

/** initializationOptions sent to the server */
export interface StudyInitializationOptions {
  /** false in an untrusted workspace: the server must read no data files and run nothing (syntax checks only) */
  trusted: boolean;
}

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
