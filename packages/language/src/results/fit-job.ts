/**
 * One fit, from spec text to report: check → buildPlan → runPlanOnData. This is what the fit worker
 * runs off the language server's main thread (fit-worker.ts); tests and the in-process fallback call
 * it directly. It never throws: a spec with errors, unreadable data or a failing model come back as
 * `error` and diagnostics.
 */
import type { ModelFailure, StudyReport } from '@study/engine';
import type { StudyDiagnostic } from '../check.js';
import { runStudyText } from '../run.js';
import { configureDataAccess, type DataAccessOptions } from '../validation/data-access.js';

export interface FitRequest {
  /** the spec's text (the editor's, possibly unsaved) */
  text: string;
  /** the spec's file path; its data file is resolved against this folder */
  path: string;
  /** run only this model (or sensitivity variant) and no analyses; undefined: everything */
  model?: string;
  /** the server's data-access policy (workspace folders, data outside allowed): a worker thread has its own copy of the module state */
  access?: DataAccessOptions;
}

export interface FitOutcome {
  /** undefined when nothing could be run; `error` says why */
  report?: StudyReport;
  /** the spec's diagnostics, one error per model that could not be fitted, and the fit notes */
  diagnostics: StudyDiagnostic[];
  failures: ModelFailure[];
  /** absolute path of the data file the run read */
  dataPath?: string;
  error?: string;
}

/** The run as the editor needs it: the pipeline's result with the fit notes as diagnostics. */
export async function runFitJob(request: FitRequest): Promise<FitOutcome> {
  if (request.access) configureDataAccess(request.access);
  const run = await runStudyText(request.text, request.path, { fitNotes: true, figures: true, ...(request.model !== undefined ? { model: request.model } : {}) });
  return {
    ...(run.report ? { report: run.report } : {}),
    diagnostics: run.diagnostics,
    failures: run.failures,
    ...(run.dataPath ? { dataPath: run.dataPath } : {}),
    ...(run.error ? { error: run.error } : {}),
  };
}
