/** Check, plan and run a spec: what `study run` does. */
import * as path from 'node:path';
import { GrammarUtils } from 'langium';
import { runPlan, type ModelFailure, type StudyPlan, type StudyReport } from '@study/engine';
import { checkStudyFile, type StudyDiagnostic } from './check.js';
import { buildPlan } from './plan-builder.js';
import { isModelBlock, isSensitivityBlock, type StudyFile } from './generated/ast.js';
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
    const run = runPlan(plan, path.dirname(path.resolve(file)));
    for (const f of run.failures) {
      diagnostics.push({ severity: 'error', message: `model ${f.name} could not be fitted: ${f.message}`, ...modelPosition(root, f.name), code: 'fit-failed' });
    }
    return { diagnostics, report: run.report, failures: run.failures, plan };
  } catch (e) {
    diagnostics.push({ severity: 'error', message: (e as Error).message, line: 1, column: 1, endLine: 1, endColumn: 1, code: 'run-failed' });
    return { diagnostics, failures: [], plan };
  }
}
