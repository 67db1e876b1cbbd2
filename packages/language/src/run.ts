/**
 * Check, plan and run a spec: the one pipeline behind `study run`, the language server's fit worker
 * and the tests. It never throws: a spec with errors, unreadable data or a model that cannot be fitted
 * come back as diagnostics (and `error`, the reason nothing was run).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GrammarUtils, URI } from 'langium';
import { runPlanOnData, type ModelFailure, type StudyPlan, type StudyReport } from '@study/engine';
import { documentFolder, loadData, resolveDataPath } from './data-cache.js';
import { parseStudyDocument, parseStudyText, type StudyDiagnostic } from './check.js';
import { buildPlan } from './plan-builder.js';
import { isAnalysisBlock, isDescribeBlock, isModelBlock, isSensitivityBlock, type StudyFile } from './generated/ast.js';
import { sensitivityName, studyInfo, unquote } from './semantics.js';
import { buildProvenance, type ProvenanceOptions } from './provenance.js';

export interface RunResult {
  /** the spec's diagnostics, then one error per model or analysis that could not be computed */
  diagnostics: StudyDiagnostic[];
  /** the report; undefined when nothing could be run (`error` says why) */
  report?: StudyReport;
  failures: ModelFailure[];
  plan?: StudyPlan;
  /** absolute path of the data file the run read */
  dataPath?: string;
  /** why nothing was run */
  error?: string;
}

export interface RunOptions {
  /** run only this model (or sensitivity variant) and no analyses; undefined: everything */
  model?: string;
  /**
   * also report each model's fit notes (non-convergence, boundary, non-positive-definite Hessian) as
   * diagnostics on the model's name, as the editor shows them (the CLI prints them in the report)
   */
  fitNotes?: boolean;
  /**
   * compute the numbers behind the figures (default true): the results panel and an HTML report need
   * them, a text or JSON report does not (engine runPlanOnData's `figures`)
   */
  figures?: boolean;
  /** the provenance manifest's Study version, commit and time (provenance.ts); false: no manifest */
  provenance?: ProvenanceOptions | false;
}

type Position = Pick<StudyDiagnostic, 'line' | 'column' | 'endLine' | 'endColumn'>;
const FILE_START: Position = { line: 1, column: 1, endLine: 1, endColumn: 1 };

/** Where a model, sensitivity variant or analysis is named: failures and fit notes are reported there. */
export function blockNamePosition(root: StudyFile, name: string): Position {
  for (const el of root.elements) {
    const matches =
      (isModelBlock(el) && el.name === name) || (isSensitivityBlock(el) && sensitivityName(el, root) === name) || (isAnalysisBlock(el) && el.name === name) || (isDescribeBlock(el) && el.name === name);
    if (!matches) continue;
    const cst = GrammarUtils.findNodeForProperty(el.$cstNode, isSensitivityBlock(el) && !el.name ? 'base' : 'name') ?? el.$cstNode;
    if (cst) {
      const r = cst.range;
      return { line: r.start.line + 1, column: r.start.character + 1, endLine: r.end.line + 1, endColumn: r.end.character + 1 };
    }
  }
  return FILE_START;
}

/** The plan restricted to one model, without the analyses and the `describe` blocks. */
function onlyModel(plan: StudyPlan, model: string): StudyPlan | undefined {
  const models = plan.models.filter((m) => m.spec.name === model);
  if (models.length === 0) return undefined;
  const { describes: _describes, ...rest } = plan;
  return { ...rest, models, analyses: [] };
}

/** Runs a spec given as text; `file` places it (its data file is resolved against the file's folder). */
export async function runStudyText(text: string, file: string, options: RunOptions = {}): Promise<RunResult> {
  const diagnostics: StudyDiagnostic[] = [];
  try {
    const checked = await parseStudyDocument(text, file);
    diagnostics.push(...checked.diagnostics);
    const firstError = diagnostics.find((d) => d.severity === 'error');
    if (firstError) return { diagnostics, failures: [], error: `the spec has errors: ${firstError.message} (line ${firstError.line})` };
    const root = checked.document.parseResult.value;
    let plan = buildPlan(checked.document);
    if (options.model !== undefined) {
      const one = onlyModel(plan, options.model);
      if (!one) return { diagnostics, failures: [], plan, error: `the spec has no model named '${options.model}'` };
      plan = one;
    }
    // the validator has just read the data into the cache: the run uses that copy
    const dataPath = resolveDataPath(checked.document.uri, plan.dataPath);
    const load = loadData(dataPath, documentFolder(checked.document.uri));
    if (!load.ok) {
      const error = `cannot read the data file ${dataPath}: ${load.error}`;
      return { diagnostics: [...diagnostics, { severity: 'error', message: error, ...FILE_START, code: 'run-failed' }], failures: [], plan, dataPath, error };
    }
    const run = runPlanOnData(plan, load.data, { figures: options.figures !== false });
    for (const f of run.failures) {
      const what = f.kind === 'model' ? `model ${f.name} could not be fitted` : `${f.kind} ${f.name} could not be computed`;
      diagnostics.push({ severity: 'error', message: `${what}: ${f.message}`, ...blockNamePosition(root, f.name), code: 'fit-failed' });
    }
    if (options.fitNotes) {
      for (const m of run.report.models) {
        for (const note of m.notes) {
          diagnostics.push({ severity: note.severity, message: `model ${m.name}: ${note.message}`, ...blockNamePosition(root, m.name), code: 'fit-note' });
        }
      }
    }
    // where the numbers came from: spec and data SHA-256, rows read, Study, Node, platform, time (first in the JSON)
    const report =
      options.provenance === false
        ? run.report
        : (({ title, dataPath: written, ...rest }) => ({
            ...(title !== undefined ? { title } : {}),
            dataPath: written,
            provenance: buildProvenance(file, text, [{ file: plan.dataPath, path: dataPath, rows: load.data.rows.length }], options.provenance || {}),
            ...rest,
          }))(run.report);
    return { diagnostics, report, failures: run.failures, plan, dataPath };
  } catch (e) {
    const error = `the run failed: ${(e as Error)?.message ?? String(e)}`;
    return { diagnostics: [...diagnostics, { severity: 'error', message: error, ...FILE_START, code: 'run-failed' }], failures: [], error };
  }
}

/**
 * Every file a spec reads, as absolute paths: the spec itself and its data file (resolved as the run
 * resolves it). `study run --out` refuses to write over any of them.
 */
export function studyInputFiles(file: string): string[] {
  const spec = path.resolve(file);
  const files = [spec];
  try {
    const data = studyInfo(parseStudyText(readFileSync(spec, 'utf8'))).data;
    if (typeof data?.path === 'string') files.push(resolveDataPath(URI.file(spec), unquote(data.path)));
  } catch {
    // an unreadable spec: the run says so
  }
  return files;
}

/** Reads a `.study` file and runs it. A file that cannot be read is one error at 1:1. */
export async function runStudyFile(file: string, options: RunOptions = {}): Promise<RunResult> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const error = `cannot read ${file}: ${(e as Error).message}`;
    return { diagnostics: [{ severity: 'error', message: error, ...FILE_START }], failures: [], error };
  }
  return runStudyText(text, file, options);
}
