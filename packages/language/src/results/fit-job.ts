/**
 * One fit, from spec text to report: check → buildPlan → runPlanOnData. This is what the fit worker
 * runs off the language server's main thread (fit-worker.ts); tests and the in-process fallback call
 * it directly. It never throws: a spec with errors, unreadable data or a failing model come back as
 * `error` and diagnostics.
 */
import * as path from 'node:path';
import { GrammarUtils } from 'langium';
import { readDataFile, runPlanOnData, type ModelFailure, type StudyPlan, type StudyReport } from '@study/engine';
import { parseStudyDocument, type StudyDiagnostic } from '../check.js';
import { buildPlan } from '../plan-builder.js';
import { isAnalysisBlock, isModelBlock, isSensitivityBlock, type StudyFile } from '../generated/ast.js';
import { sensitivityName } from '../semantics.js';

export interface FitRequest {
  /** the spec's text (the editor's, possibly unsaved) */
  text: string;
  /** the spec's file path; its data file is resolved against this folder */
  path: string;
  /** run only this model (or sensitivity variant) and no analyses; undefined: everything */
  model?: string;
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

type Position = Pick<StudyDiagnostic, 'line' | 'column' | 'endLine' | 'endColumn'>;

/** Where a model (or sensitivity variant) is named: fit failures and notes are reported there. */
export function modelNamePosition(root: StudyFile, name: string): Position {
  for (const el of root.elements) {
    const matches = (isModelBlock(el) && el.name === name) || (isSensitivityBlock(el) && sensitivityName(el, root) === name);
    if (!matches) continue;
    const cst = GrammarUtils.findNodeForProperty(el.$cstNode, isSensitivityBlock(el) && !el.name ? 'base' : 'name') ?? el.$cstNode;
    if (cst) {
      const r = cst.range;
      return { line: r.start.line + 1, column: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 };
    }
  }
  return { line: 1, column: 1, endLine: 1, endColumn: 1 };
}

/** Where an analysis block is named. */
export function analysisNamePosition(root: StudyFile, name: string): Position {
  const el = root.elements.find((e) => isAnalysisBlock(e) && e.name === name);
  const cst = el ? (GrammarUtils.findNodeForProperty(el.$cstNode, 'name') ?? el.$cstNode) : undefined;
  if (!cst) return { line: 1, column: 1, endLine: 1, endColumn: 1 };
  const r = cst.range;
  return { line: r.start.line + 1, column: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 };
}

/** The plan restricted to one model, without the analyses. */
function onlyModel(plan: StudyPlan, model: string): StudyPlan | undefined {
  const models = plan.models.filter((m) => m.spec.name === model);
  return models.length ? { ...plan, models, analyses: [] } : undefined;
}

export async function runFitJob(request: FitRequest): Promise<FitOutcome> {
  try {
    const checked = await parseStudyDocument(request.text, request.path);
    const diagnostics = [...checked.diagnostics];
    const firstError = diagnostics.find((d) => d.severity === 'error');
    if (firstError) {
      return { diagnostics, failures: [], error: `the spec has errors: ${firstError.message} (line ${firstError.line})` };
    }
    const root = checked.document.parseResult.value;
    let plan = buildPlan(checked.document);
    if (request.model !== undefined) {
      const one = onlyModel(plan, request.model);
      if (!one) return { diagnostics, failures: [], error: `the spec has no model named '${request.model}'` };
      plan = one;
    }
    const dataPath = path.resolve(path.dirname(path.resolve(request.path)), plan.dataPath);
    let data;
    try {
      data = readDataFile(dataPath);
    } catch (e) {
      return { diagnostics, failures: [], dataPath, error: `cannot read the data file ${dataPath}: ${(e as Error).message}` };
    }
    const run = runPlanOnData(plan, data);
    for (const f of run.failures) {
      const analysis = (f as { kind?: string }).kind === 'analysis';
      const message = analysis ? `analysis ${f.name} could not be computed: ${f.message}` : `model ${f.name} could not be fitted: ${f.message}`;
      diagnostics.push({ severity: 'error', message, ...(analysis ? analysisNamePosition(root, f.name) : modelNamePosition(root, f.name)), code: 'fit-failed' });
    }
    for (const m of run.report.models) {
      for (const note of m.notes) {
        diagnostics.push({ severity: note.severity, message: `model ${m.name}: ${note.message}`, ...modelNamePosition(root, m.name), code: 'fit-note' });
      }
    }
    return { report: run.report, diagnostics, failures: run.failures, dataPath };
  } catch (e) {
    return { diagnostics: [], failures: [], error: `the run failed: ${(e as Error)?.message ?? String(e)}` };
  }
}
