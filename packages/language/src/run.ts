/**
 * Check, plan and run a spec: the one pipeline behind `study run`, the language server's fit worker
 * and the tests. It never throws: a spec with errors, unreadable data or a model that cannot be fitted
 * come back as diagnostics (and `error`, the reason nothing was run).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GrammarUtils, URI } from 'langium';
import { openDuckDb, openPostgres, parquetRelation, rowCount, runPlanOnBackend, runPlanOnData, tableRelation, type ModelFailure, type SqlConnection, type StudyPlan, type StudyReport } from '@study/engine';
import { dataAccessAllowed, documentFolder, loadData, resolveDataPath } from './data-cache.js';
import { checkDataAccess } from './validation/data-access.js';
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
    if (plan.dataSource) return await runOnDatabase(plan, checked.document.uri, file, text, root, diagnostics, options);
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
            provenance: buildProvenance(file, text, [{ file: plan.dataPath, path: dataPath, rows: rowCount(load.data), ...(load.data.sha256 ? { sha256: load.data.sha256 } : {}) }], options.provenance || {}),
            ...rest,
          }))(run.report);
    return { diagnostics, report, failures: run.failures, plan, dataPath };
  } catch (e) {
    const error = `the run failed: ${(e as Error)?.message ?? String(e)}`;
    return { diagnostics: [...diagnostics, { severity: 'error', message: error, ...FILE_START, code: 'run-failed' }], failures: [], error };
  }
}

/**
 * The run of a spec whose data are in a database (`data duckdb …`, `data postgres …`): the engine's
 * SQL backend computes each model's sufficient statistics there; only those come into this process.
 * An untrusted workspace connects to nothing; a DuckDB file obeys the workspace rule of data files
 * (not their size limit); PostgreSQL's connection string comes from the environment variable the spec names.
 */
async function runOnDatabase(
  plan: StudyPlan,
  uri: URI,
  file: string,
  text: string,
  root: StudyFile,
  diagnostics: StudyDiagnostic[],
  options: RunOptions,
): Promise<RunResult> {
  const source = plan.dataSource!;
  const fail = (error: string): RunResult => ({ diagnostics: [...diagnostics, { severity: 'error', message: error, ...FILE_START, code: 'run-failed' }], failures: [], plan, error });
  if (!dataAccessAllowed()) return fail('the workspace is not trusted: Study connects to no database here (trust the workspace to run it)');
  let conn: SqlConnection;
  let relation: string;
  let described: string;
  let dataPath: string | undefined;
  if (source.engine === 'duckdb') {
    dataPath = resolveDataPath(uri, source.file ?? '');
    const access = checkDataAccess(dataPath, documentFolder(uri));
    if (!access.ok && access.reason !== 'too-large') return fail(access.error);
    const real = access.ok ? access.realPath : dataPath;
    const inPlace = /\.(parquet|parq|csv|tsv)$/i.test(real);
    if (!inPlace && !source.table) return fail(`data duckdb "${source.file}": name the table of the database (table adlb)`);
    if (inPlace && source.table) return fail(`data duckdb "${source.file}" table ${source.table}: a Parquet or CSV file has no tables; drop 'table ${source.table}'`);
    try {
      conn = await openDuckDb(inPlace ? ':memory:' : real);
      relation = inPlace ? (/\.(parquet|parq)$/i.test(real) ? parquetRelation(real) : `read_csv('${real.replace(/'/g, "''")}', header = true)`) : tableRelation(source.table!);
    } catch (e) {
      return fail(`cannot open ${source.file} with DuckDB: ${(e as Error).message}`);
    }
    described = `${source.file}${source.table ? ` table ${source.table}` : ''} (DuckDB)`;
  } else {
    const connection = source.env ? process.env[source.env] : undefined;
    if (!connection) return fail(`the environment variable ${source.env} is not set: it holds the PostgreSQL connection string (postgresql://user@host:port/database); a spec never holds it`);
    try {
      relation = tableRelation(source.table ?? '');
      conn = await openPostgres(connection);
    } catch (e) {
      // the connection string may carry a password: the message names the variable, not its value
      return fail(`cannot connect to PostgreSQL (env ${source.env}): ${String((e as Error).message).split(connection).join(`$${source.env}`)}`);
    }
    described = `PostgreSQL (env ${source.env}) table ${source.table}`;
  }
  let run;
  try {
    run = await runPlanOnBackend(plan, conn, relation, { figures: options.figures !== false });
  } finally {
    await conn.close().catch(() => undefined);
  }
  for (const f of run.failures) {
    const what = f.kind === 'model' ? `model ${f.name} could not be fitted` : `${f.kind} ${f.name} could not be computed`;
    diagnostics.push({ severity: 'error', message: `${what}: ${f.message}`, ...blockNamePosition(root, f.name), code: 'fit-failed' });
  }
  if (options.fitNotes) {
    for (const m of run.report.models) {
      for (const note of m.notes) diagnostics.push({ severity: note.severity, message: `model ${m.name}: ${note.message}`, ...blockNamePosition(root, m.name), code: 'fit-note' });
    }
  }
  const rows = run.report.models[0]?.dimensions.observations_read ?? 0;
  const report =
    options.provenance === false
      ? run.report
      : (({ title, dataPath: written, ...rest }) => {
          const provenance = buildProvenance(file, text, dataPath ? [{ file: plan.dataPath, path: dataPath, rows }] : [], options.provenance || {});
          if (!dataPath) provenance.data.push({ file: described, path: '', sha256: 'not computed: the data are in PostgreSQL', rows });
          return { ...(title !== undefined ? { title } : {}), dataPath: written || described, provenance, ...rest };
        })(run.report);
  return { diagnostics, report, failures: run.failures, plan, ...(dataPath ? { dataPath } : {}) };
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
