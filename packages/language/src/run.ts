/** Check, plan and run a spec: what `study run` does. */
import { GrammarUtils } from 'langium';
import { runPlanOnData, type ModelFailure, type StudyPlan, type StudyReport } from '@study/engine';
import { loadData, resolveDataPath } from './data-cache.js';
import { checkStudyFile, type StudyDiagnostic } from './check.js';
import { buildPlan } from './plan-builder.js';
import { isAnalysisBlock, isModelBlock, isSensitivityBlock, type StudyFile } from './generated/ast.js';
import { sensitivityName } from './semantics.js';

export interface RunResult {
  /** the spec's diagnostics, then one error per model that could not be fitted */
  diagnostics: StudyDiagnostic[];
  /** the report; undefined when the spec has errors or the data cannot be read */
  report?: StudyReport;
  failures: ModelFailure[];
  plan?: StudyPlan;
}

/** Where a model (or sensitivity variant) is named, for failure diagnostics. */
function modelPosition(root: StudyFile, name: string): Pick<StudyDiagnostic, 'line' | 'column' | 'endLine' | 'endColumn'> {
  for (const el of root.elements) {
    const matches =
      (isModelBlock(el) && el.name === name) || (isSensitivityBlock(el) && sensitivityName(el, root) === name) || (isAnalysisBlock(el) && el.name === name);
    if (!matches) continue;
    const cst = GrammarUtils.findNodeForProperty(el.$cstNode, isSensitivityBlock(el) && !el.name ? 'base' : 'name') ?? el.$cstNode;
    if (cst) {
      const r = cst.range;
      return { line: r.start.line + 1, column: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 };
    }
  }
  return { line: 1, column: 1, endLine: 1, endColumn: 1 };
}

/** Checks the spec; when it has no errors, builds its plan and runs it on the data (relative to the spec's folder). */
export async function runStudyFile(file: string): Promise<RunResult> {
  const checked = await checkStudyFile(file);
  const diagnostics = [...checked.diagnostics];
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics, failures: [] };
  const root = checked.document.parseResult.value;
  let plan: StudyPlan;
  try {
    plan = buildPlan(checked.document);
  } catch (e) {
    diagnostics.push({ severity: 'error', message: (e as Error).message, line: 1, column: 1, endLine: 1, endColumn: 1 });
    return { diagnostics, failures: [] };
  }
  try {
    // the validator has just read the data into the cache: run on that copy instead of reading it again
    const load = loadData(resolveDataPath(checked.document.uri, plan.dataPath));
    if (!load.ok) throw new Error(`cannot read the data: ${load.error}`);
    const run = runPlanOnData(plan, load.data);
    for (const f of run.failures) {
      const what = f.kind === 'model' ? `model ${f.name} could not be fitted` : `analysis ${f.name} could not be computed`;
      diagnostics.push({ severity: 'error', message: `${what}: ${f.message}`, ...modelPosition(root, f.name), code: 'fit-failed' });
    }
    return { diagnostics, report: run.report, failures: run.failures, plan };
  } catch (e) {
    diagnostics.push({ severity: 'error', message: (e as Error).message, line: 1, column: 1, endLine: 1, endColumn: 1, code: 'run-failed' });
    return { diagnostics, failures: [], plan };
  }
}
