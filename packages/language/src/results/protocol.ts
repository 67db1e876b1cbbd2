/**
 * The custom LSP messages of the Study language server (docs/lsp-protocol.md), as plain types and
 * names with no runtime dependency, so the VS Code client can share them instead of redeclaring them.
 */
import type { StudyReport } from '@study/engine';

/** A diagnostic with 1-based line and column; `endColumn` is the column just after the last character. */
export interface StudyDiagnostic {
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** diagnostic code (see docs/language.md), when there is one */
  code?: string;
  /** a diagnostic about a place in the data file: the file (absolute path), its 1-based line and character column */
  dataLocation?: DataLocation;
}

/** A position in a data file: 1-based line, 1-based character column where the field starts. */
export interface DataLocation {
  file: string;
  line: number;
  column: number;
}

/** `study/run` parameters. */
export interface RunParams {
  uri: string;
  /** run one model (by name); all models and analyses when absent */
  model?: string;
  /** LSP work-done progress token */
  workDoneToken?: string | number;
}

/** `study/run` result and `study/results` result (with `stale` telling whether it is still current). */
export interface RunResponse {
  uri: string;
  /** version of the document that was run (0 when it was read from disk) */
  version: number;
  report: StudyReport;
  diagnostics: StudyDiagnostic[];
  durationMs: number;
  stale: boolean;
  /** true when the run was answered from the cache (same spec text, same data content, same model) */
  cached: boolean;
  /** the model run alone, when the run was for one model */
  model?: string;
}

/** `study/resultsChanged` notification parameters. */
export interface ResultsChangedParams {
  uri: string;
  stale: boolean;
}

/** `initializationOptions` the client sends. */
export interface StudyInitializationOptions {
  /** false in an untrusted workspace: the server reads no data files and runs nothing (syntax checks only) */
  trusted: boolean;
  /**
   * true: data files outside the workspace folders may be read (`study.allowDataOutsideWorkspace`,
   * default false); the server also reads the setting with workspace/configuration
   */
  allowDataOutsideWorkspace?: boolean;
}

export const StudyRequests = {
  run: 'study/run',
  results: 'study/results',
  resultsChanged: 'study/resultsChanged',
} as const;
