/**
 * Checks of the data themselves, as a spec uses them (docs/language.md, Diagnostics):
 *
 *  - the file: how it was read (delimiter, decimal mark, encoding) and the cells that spoil a numeric
 *    column (`fifty`, `52,5`, `Inf`, `1e309`), each at its line and character column of the data file, on
 *    the spec's `data` path, and once more on every word of the spec that uses such a column;
 *  - each `let … change of Y from C L`: baselines that are zero or negative (percent change), missing or
 *    ambiguous;
 *  - each model, on the rows it uses (derived variables computed, filters and the repeated-level
 *    restriction applied, complete cases of its variables, as the engine selects them): no row at all, a
 *    constant covariate or one-level factor, a variable missing for some subjects, a level of the repeated
 *    effect without any outcome;
 *  - each analysis: a per-subject value that no subject has, and too few subjects with both values.
 *
 * A diagnostic about a place in the data file starts with `file:line:col:` (the file as the spec writes
 * it) and carries the place in its data (`dataLocation`, absolute path) and as related information.
 * Called by the study validator (study-validator.ts); every function is guarded there.
 */
import { AstUtils, URI, type AstNode, type ValidationAcceptor, type ValidationSeverity } from 'langium';
import type { DiagnosticRelatedInformation } from 'vscode-languageserver';
import {
  applyFilters,
  clearIncomplete,
  deriveTable,
  filterIndex,
  groupsOf,
  levelText,
  levelTextAt,
  missingAt,
  modelVariables,
  rowsOfTable,
  tableOf,
  takeRows,
  valueAt,
  type DataTable,
  type TableColumn,
  subjectValues,
  type CellDefect,
  type Dataset,
  type DerivedSpec,
  type Row,
  type RowFilter,
  type SubjectValue as EngineSubjectValue,
  type Value,
} from '@study/engine';
import {
  isAnalysisBlock,
  isColumnRef,
  isDescribeBlock,
  isCompareStmt,
  isCorrelateStmt,
  isEstimateStmt,
  isModelBlock,
  isSensitivityBlock,
  isStudyFile,
  isTestStmt,
  isFilterStmt,
  isPairedStmt,
  type ColumnRef,
  type CorrelateStmt,
  type FilterStmt,
  type LevelRef,
  type Literal,
  type PairedStmt,
  type StudyFile,
  type SubjectExpr,
  type SubjectValue,
} from '../generated/ast.js';
import { plannedModel, rowFilter } from '../plan-builder.js';
import { effectiveModel, fixedTerms, literalValue, studyInfo, type EffectiveModel, type StudyInfo } from '../semantics.js';
import { Codes } from './codes.js';
import type { CheckContext } from './covariance-checks.js';

/** What the data checks need from the validator (FileCheck provides it). */
export interface DataCheckContext extends CheckContext {
  readonly root: StudyFile;
  readonly accept: ValidationAcceptor;
}

type Where = { property?: string; keyword?: string; index?: number };

/** Cells reported one by one per column; the rest in one summary. */
const CELLS_LISTED = 5;
/** Subjects named in a message; the rest as "and N more". */
const SUBJECTS_LISTED = 5;

interface DataPlace {
  line: number;
  column: number;
  /** characters the place covers in the data file */
  length?: number;
  message?: string;
}

/** Reports with the data file's position in `data.dataLocation` and as related information. */
function reportAt(ctx: DataCheckContext, severity: ValidationSeverity, message: string, node: AstNode, where: Where, code: string, places: DataPlace[] = []): void {
  if (!node?.$cstNode) return;
  const file = ctx.data?.path;
  const first = places[0];
  const data = { code, ...(file && first ? { dataLocation: { file, line: first.line, column: first.column } } : {}) };
  const relatedInformation: DiagnosticRelatedInformation[] | undefined =
    file && places.length > 0
      ? places.map((p) => ({
          location: {
            uri: URI.file(file).toString(),
            range: { start: { line: p.line - 1, character: p.column - 1 }, end: { line: p.line - 1, character: p.column - 1 + (p.length ?? 0) } },
          },
          message: p.message ?? message,
        }))
      : undefined;
  ctx.accept(severity, message, { node, ...where, code, data, ...(relatedInformation ? { relatedInformation } : {}) } as Parameters<ValidationAcceptor>[2]);
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "subject P03", "subjects P03, P09", "subjects P01, …, P05 and 3 more". */
function subjectList(ids: string[]): string {
  if (ids.length === 1) return `subject ${ids[0]}`;
  const shown = ids.slice(0, SUBJECTS_LISTED).join(', ');
  return `subjects ${shown}${ids.length > SUBJECTS_LISTED ? ` and ${ids.length - SUBJECTS_LISTED} more` : ''}`;
}

/** "P03, P09" or "P01, …, P05 and 3 more" (for a parenthesis after a count). */
function idList(ids: string[]): string {
  return ids.slice(0, SUBJECTS_LISTED).join(', ') + (ids.length > SUBJECTS_LISTED ? ` and ${ids.length - SUBJECTS_LISTED} more` : '');
}

function lineList(lines: number[]): string {
  return lines.slice(0, SUBJECTS_LISTED).join(', ') + (lines.length > SUBJECTS_LISTED ? ', …' : '');
}

function sameLevel(value: Value | undefined, level: number | string): boolean {
  if (value === null || value === undefined) return false;
  return typeof value === 'number' && typeof level === 'number' ? value === level : levelText(value) === String(level);
}

// ---------------------------------------------------------------------------------------------------
// The file

/** The data file as read: format and encoding notes, defective cells (at the data path and at each use). */
export function checkDataFile(ctx: DataCheckContext): void {
  const data = ctx.data;
  const info = studyInfo(ctx.root);
  const decl = info.data;
  if (!data || !decl) return;
  const name = ctx.dataName;
  const own = (message: string) => (data.path ? message.split(data.path).join(name) : message);
  for (const n of data.notes ?? []) {
    const code = n.code === 'data-encoding' ? Codes.dataEncoding : Codes.dataFormat;
    if (n.line !== undefined) {
      const column = n.column ?? 1;
      reportAt(ctx, n.severity, `${name}:${n.line}:${column}: ${own(n.message)}`, decl, { property: 'path' }, code, [{ line: n.line, column, length: 1 }]);
    } else {
      ctx.report(n.severity, own(n.message), decl, { property: 'path' }, code);
    }
  }
  const uses = columnUses(ctx.root, info, data);
  for (const c of data.columns) {
    const defects = c.defects ?? [];
    if (defects.length === 0) continue;
    const count = c.defectCount ?? defects.length;
    const refs = uses.get(c.name) ?? [];
    // a column the spec uses must be fixed before anything is fitted; one it does not use is only a warning
    const severity: ValidationSeverity = refs.length > 0 ? 'error' : 'warning';
    const place = (d: CellDefect): DataPlace => ({ line: d.line, column: d.column, length: d.text.length, message: d.message });
    const listed = defects.slice(0, CELLS_LISTED);
    for (const d of listed) reportAt(ctx, severity, `${name}:${d.line}:${d.column}: ${d.message}`, decl, { property: 'path' }, Codes.badCell, [place(d)]);
    const rest = count - listed.length;
    if (rest > 0) {
      const more = defects.slice(CELLS_LISTED);
      const next = more[0];
      reportAt(
        ctx,
        severity,
        `${name}:${next.line}:${next.column}: ${c.name} has ${plural(rest, 'more cell')} that ${rest === 1 ? 'is not a number' : 'are not numbers'} (line${rest > 1 ? 's' : ''} ${lineList(more.map((d) => d.line))})`,
        decl,
        { property: 'path' },
        Codes.badCell,
        more.slice(0, CELLS_LISTED).map(place),
      );
    }
    const summary =
      `${c.name} has ${plural(count, 'cell')} that ${count === 1 ? 'is not a number' : 'are not numbers'}: ` +
      listed.map((d) => `line ${d.line} '${d.text}'`).join(', ') +
      (rest > 0 ? ` and ${rest} more` : '');
    for (const ref of refs) reportAt(ctx, 'error', summary, ref, { property: 'column' }, Codes.columnBadCells, listed.map(place));
  }
}

/**
 * The words of the spec that read each data column (not those that name a `let` variable), one per
 * statement: `test`, `estimate` and `compare` name the model's effects, not the data, and are left out.
 */
function columnUses(root: StudyFile, info: StudyInfo, data: Dataset): Map<string, ColumnRef[]> {
  const lets = new Set(info.lets.map((l) => l.name));
  const names = new Set(data.columns.map((c) => c.name));
  const uses = new Map<string, ColumnRef[]>();
  const seen = new Set<string>();
  for (const ref of AstUtils.streamAllContents(root).filter(isColumnRef)) {
    const n = ref.column;
    if (typeof n !== 'string' || lets.has(n) || !names.has(n)) continue;
    if (AstUtils.getContainerOfType(ref, (x): x is AstNode => isTestStmt(x) || isEstimateStmt(x) || isCompareStmt(x))) continue;
    const key = `${n}|${statementOf(ref)?.$cstNode?.offset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let list = uses.get(n);
    if (!list) uses.set(n, (list = []));
    list.push(ref);
  }
  return uses;
}

/** The statement a reference is in: the outermost node below a block or the file. */
function statementOf(node: AstNode): AstNode | undefined {
  let n: AstNode | undefined = node;
  while (n?.$container && !isStudyFile(n.$container) && !isModelBlock(n.$container) && !isSensitivityBlock(n.$container) && !isAnalysisBlock(n.$container) && !isDescribeBlock(n.$container)) n = n.$container;
  return n;
}

// ---------------------------------------------------------------------------------------------------
// The rows as the engine prepares them

interface Prepared {
  /** data columns and the `let` variables that can be computed */
  available: Set<string>;
  /** every row with the derived columns, before any filter, in columns (engine table.ts): no row objects */
  table: DataTable;
  /** the data file's line of row i of `table` */
  lineOf(i: number): number | undefined;
  /** the cells the reader could not take as numbers, as `line|column`: they are reported as such, not as missing */
  defectCells: Set<string>;
  /** after the study's filters, as row indices of `table`; undefined when a filter names something unknown */
  afterStudyIndex?: Int32Array;
  /** the same rows as objects, made when first read (the analyses' and `describe` checks read rows) */
  readonly afterStudy?: Row[];
  subject?: string;
}

/**
 * Per data set, the rows prepared for the last spec text that shapes them (its subject, lets and study
 * filters): re-validating while one edits a model does not derive every row again.
 */
const preparedCache = new WeakMap<Dataset, { key: string; prepared: Prepared }>();

function preparationKey(info: StudyInfo): string {
  return [info.subject, ...info.lets, ...info.filters].map((n) => (n?.$cstNode?.text ?? '').replace(/\s+/g, ' ')).join('\n');
}

function refsOf(node: AstNode): string[] {
  return AstUtils.streamAllContents(node)
    .filter(isColumnRef)
    .map((r) => r.column)
    .toArray();
}

function filtersOf(stmts: FilterStmt[], available: Set<string>): RowFilter[] | undefined {
  const out: RowFilter[] = [];
  for (const f of stmts) {
    if (!f.expr || refsOf(f).some((n) => typeof n !== 'string' || !available.has(n))) return undefined;
    try {
      out.push(rowFilter(f));
    } catch {
      return undefined;
    }
  }
  return out;
}

function prepare(ctx: DataCheckContext): Prepared | undefined {
  const data = ctx.data;
  if (!data) return undefined;
  const info = studyInfo(ctx.root);
  const key = preparationKey(info);
  const hit = preparedCache.get(data);
  if (hit && hit.key === key) return hit.prepared;
  const columns = new Map(data.columns.map((c) => [c.name, c]));
  const available = new Set(columns.keys());
  const derivedSpecs: DerivedSpec[] = [];
  for (const l of info.lets) {
    const v = l.variable?.column;
    if (typeof l.name !== 'string' || typeof v !== 'string' || !available.has(v)) continue;
    if (columns.get(v)?.kind === 'text') continue;
    if (l.centred) {
      const centre = l.centre?.number !== undefined ? (l.centre.negative ? -1 : 1) * l.centre.number : 0;
      derivedSpecs.push({ kind: 'centred', name: l.name, variable: v, centre });
    } else {
      const by = l.by?.column;
      if (typeof by !== 'string' || !columns.has(by) || !l.baseline) continue;
      derivedSpecs.push({ kind: l.percent ? 'percent-change' : 'change', name: l.name, variable: v, by, baseline: literalValue(l.baseline) });
    }
    available.add(l.name);
  }
  const subjectName = info.subject?.column?.column;
  const subject = typeof subjectName === 'string' && columns.has(subjectName) ? subjectName : undefined;
  // without derived variables the columns are the data's own (the checks never change a row)
  const table = derivedSpecs.length > 0 ? deriveTable(tableOf(data), derivedSpecs, subject).table : tableOf(data);
  const lineOf = (i: number): number | undefined => data.rowLines?.[i];
  const studyFilters = filtersOf(info.filters, available);
  const defectCells = new Set<string>();
  for (const c of data.columns) for (const d of c.defects ?? []) defectCells.add(`${d.line}|${c.name}`);
  const afterStudyIndex = studyFilters ? filterIndex(table, studyFilters) : undefined;
  let afterStudyRows: Row[] | undefined;
  const prepared: Prepared = { available, table, lineOf, defectCells, subject };
  if (afterStudyIndex) {
    prepared.afterStudyIndex = afterStudyIndex;
    Object.defineProperty(prepared, 'afterStudy', {
      enumerable: true,
      get(): Row[] {
        // the data's own rows when nothing is derived or filtered out
        return (afterStudyRows ??= derivedSpecs.length === 0 && afterStudyIndex.length === table.length ? data.rows : rowsOfTable(takeRows(table, afterStudyIndex)));
      },
    });
  }
  preparedCache.set(data, { key, prepared });
  return prepared;
}

// ---------------------------------------------------------------------------------------------------
// Baselines of `let … change of Y from C L`

/** Zero, negative, missing and ambiguous baselines, on the `let`'s name (over all rows, before any filter, as they are computed). */
export function checkBaselines(ctx: DataCheckContext): void {
  const data = ctx.data;
  if (!data) return;
  const info = studyInfo(ctx.root);
  const subjectName = info.subject?.column?.column;
  if (typeof subjectName !== 'string' || !data.columns.some((c) => c.name === subjectName)) return;
  for (const l of info.lets) {
    if (l.centred || !l.baseline || !l.by || !l.variable) continue;
    const y = ctx.col(l.variable);
    const by = ctx.col(l.by);
    if (!y || !by || y.kind !== 'numeric') continue;
    const level = literalValue(l.baseline);
    // per subject (in columns: engine table.ts), its rows at the baseline level: how many, and the first
    const table = tableOf(data);
    const { group, keys } = groupsOf(table.columns.get(subjectName), table.length);
    const byColumn = table.columns.get(by.name);
    const count = new Int32Array(keys.length);
    const first = new Int32Array(keys.length).fill(-1);
    const seen = new Uint8Array(keys.length);
    const order: number[] = [];
    for (let i = 0; i < table.length; i++) {
      const g = group[i]!;
      if (keys[g] === '') continue;
      if (!seen[g]) {
        seen[g] = 1;
        order.push(g);
      }
      if (!sameLevel(valueAt(byColumn, i), level)) continue;
      if (count[g]++ === 0) first[g] = i;
    }
    const subjects = order.length;
    const yColumn = table.columns.get(y.name);
    const noRow: string[] = [];
    const several: string[] = [];
    const missing: string[] = [];
    const zero: string[] = [];
    const negative: { id: string; value: number }[] = [];
    for (const g of order) {
      const id = keys[g]!;
      if (count[g] === 0) noRow.push(id);
      else if (count[g]! > 1) several.push(id);
      else {
        const v = valueAt(yColumn, first[g]!);
        if (v === null || v === undefined) missing.push(id);
        else if (typeof v === 'number' && l.percent && v === 0) zero.push(id);
        else if (typeof v === 'number' && l.percent && v < 0) negative.push({ id, value: v });
      }
    }
    // a baseline level that no subject has is unknown-level's
    if (noRow.length === subjects) continue;
    const at = `${by.name} ${levelText(level)}`;
    const where = { property: 'name' };
    if (zero.length) {
      ctx.report('warning', `${y.name} is 0 at ${at} for ${subjectList(zero)}: percent change from it is undefined, so their ${l.name} is missing`, l, where, Codes.baselineZero);
    }
    if (negative.length) {
      const values = negative.slice(0, SUBJECTS_LISTED).map((n) => String(n.value)).join(', ') + (negative.length > SUBJECTS_LISTED ? ', …' : '');
      ctx.report('warning', `negative baseline for ${subjectList(negative.map((n) => n.id))} (${y.name} ${values} at ${at}): percent change is not meaningful`, l, where, Codes.baselineNegative);
    }
    if (several.length) {
      ctx.report('warning', `${subjectList(several)} ${several.length === 1 ? 'has' : 'have'} more than one row at ${at}: the baseline is ambiguous, so their ${l.name} is missing`, l, where, Codes.baselineAmbiguous);
    }
    if (missing.length) {
      ctx.report('info', `${y.name} is missing at ${at} for ${subjectList(missing)}: their ${l.name} is missing`, l, where, Codes.baselineMissing);
    }
    if (noRow.length) {
      ctx.report('info', `${subjectList(noRow)} ${noRow.length === 1 ? 'has' : 'have'} no row at ${at}: their ${l.name} is missing`, l, where, Codes.baselineMissing);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Models

interface Finding {
  severity: ValidationSeverity;
  message: string;
  node: AstNode;
  where: Where;
  code: string;
}

/** The variables of a nested SUBJECT= (`Rat(Diet)`: Rat, Diet). */

/** The word of a model that names a variable: its `covariate`/`factor` declaration, else its first use in `fixed`. */
function wordFor(m: EffectiveModel, v: string): ColumnRef | undefined {
  const declared = [...m.covariates, ...m.factors].find((c) => c?.column === v);
  if (declared) return declared;
  if (m.fixed) for (const t of m.fixed.terms) for (const f of t.factors) if (f?.column === v) return f;
  for (const r of m.randoms) for (const e of r.effects) for (const x of e.effect?.variables ?? []) if (x?.column === v) return x;
  return undefined;
}

/** The rows of `rows` where every column has a value (a column that is absent has none), in order. */
function completeRows(rows: Int32Array, columns: (TableColumn | undefined)[]): Int32Array {
  if (columns.some((c) => c === undefined)) return new Int32Array(0);
  const keep = new Uint8Array(rows.length).fill(1);
  clearIncomplete(keep, columns as TableColumn[], rows);
  let n = 0;
  for (let k = 0; k < rows.length; k++) n += keep[k]!;
  const out = new Int32Array(n);
  for (let k = 0, j = 0; k < rows.length; k++) if (keep[k]) out[j++] = rows[k]!;
  return out;
}

function modelFindings(ctx: DataCheckContext, m: EffectiveModel, p: Prepared): Finding[] {
  const data = ctx.data!;
  if (!p.afterStudyIndex || !m.outcome?.outcome?.column) return [];
  const modelFilters = filtersOf(m.filters, p.available);
  if (!modelFilters) return [];
  // only a model whose every word names a known variable (a statement that does not parse has none)
  for (const block of [m.model, m.sensitivity]) {
    if (block && refsOf(block).some((n) => typeof n !== 'string' || !p.available.has(n))) return [];
  }
  let planned: ReturnType<typeof plannedModel>;
  try {
    planned = plannedModel(m, p.subject, data);
  } catch {
    return [];
  }
  const spec = planned.spec;
  const response = spec.response;
  const needed = new Set(modelVariables(spec));
  const rep = spec.repeated?.effect;
  if ([...needed].some((v) => !p.available.has(v))) return [];

  // in columns: row indices of p.table, no row objects (a million-row file stays a few arrays)
  const table = p.table;
  const column = (v: string) => table.columns.get(v);
  const filtered = planned.filters.length > 0 ? filterIndex(table, planned.filters, p.afterStudyIndex) : p.afterStudyIndex;
  const neededColumns = [...needed].map(column);
  const present = (c: TableColumn | undefined, i: number) => c !== undefined && !missingAt(c, i);
  const used = completeRows(filtered, neededColumns);
  const out: Finding[] = [];
  const block = m.sensitivity ?? m.model;
  const blockWhere: Where = block.name ? { property: 'name' } : { keyword: m.sensitivity ? 'sensitivity' : 'model' };
  const vars = [...needed].join(', ');
  if (filtered.length === 0) {
    out.push({ severity: 'error', message: `no row of ${ctx.dataName} passes the filters of ${m.name}: nothing can be fitted`, node: block, where: blockWhere, code: Codes.noCompleteRows });
    return out;
  }
  if (used.length === 0) {
    out.push({ severity: 'error', message: `no row of ${ctx.dataName} has every variable of ${m.name} (${vars}): nothing can be fitted`, node: block, where: blockWhere, code: Codes.noCompleteRows });
    return out;
  }

  // a constant covariate or a factor with one level: aliased with the intercept
  const classes = new Set(spec.classes);
  const termVars = [...new Set(fixedTerms(m).flat())].filter((v) => v !== rep);
  if (spec.intercept && used.length > 1) {
    for (const v of termVars) {
      const word = wordFor(m, v);
      if (!word) continue;
      const c = column(v);
      const first = valueAt(c, used[0]) as Value;
      if (!used.every((i) => (typeof first === 'number' ? valueAt(c, i) === first : levelTextAt(c, i) === levelText(first)))) continue;
      const why = classes.has(v) ? 'a factor with one level is aliased with the intercept' : 'it is aliased with the intercept';
      out.push({
        severity: 'warning',
        message: `${v} is ${levelText(first)} on every row the model uses: its effect cannot be estimated (${why})`,
        node: word,
        where: { property: 'column' },
        code: Codes.constantVariable,
      });
    }
  }

  // an explanatory variable missing where the outcome is not: those rows are left out
  const explanatory = new Set<string>(termVars);
  for (const r of spec.random) r.terms.forEach((t) => t.forEach((v) => explanatory.add(v)));
  for (const v of explanatory) {
    const word = wordFor(m, v);
    if (!word) continue;
    const responseColumn = column(response);
    const c = column(v);
    const lost: number[] = [];
    for (const i of filtered) if (present(responseColumn, i) && !present(c, i) && !(p.defectCells.size > 0 && p.defectCells.has(`${p.lineOf(i)}|${v}`))) lost.push(i);
    if (lost.length === 0) continue;
    const rowsText = `${plural(lost.length, 'row')}`;
    let message: string;
    if (p.subject) {
      const subjectColumn = column(p.subject);
      const ids = [...new Set(lost.map((i) => levelTextAt(subjectColumn, i)).filter((s) => s !== ''))];
      message = `${v} is missing for ${plural(ids.length, 'subject')} (${idList(ids)}): their ${rowsText} with ${response} ${lost.length === 1 ? 'is' : 'are'} not used`;
    } else {
      const lines = lost.map((i) => p.lineOf(i)).filter((l): l is number => l !== undefined);
      message = `${v} is missing on ${rowsText} with ${response}${lines.length ? ` (line${lines.length > 1 ? 's' : ''} ${lineList(lines)} of ${ctx.dataName})` : ''}: ${lost.length === 1 ? 'it is' : 'they are'} not used`;
    }
    out.push({ severity: 'warning', message, node: word, where: { property: 'column' }, code: Codes.missingCovariate });
  }

  // a level of the repeated effect without any outcome is not in the fit
  if (rep && m.repeated?.effect) {
    const col = data.columns.find((c) => c.name === rep);
    const inData = (l: string) => !col || col.distinct.some((d) => (col.kind === 'numeric' ? Number(d) === Number(l) : d === l));
    // one pass over the rows: the levels present, with an outcome, and in the fit (each value's text computed once)
    const { group, keys } = groupsOf(column(rep), table.length);
    const responseColumn = column(response);
    const seenLevels = new Uint8Array(keys.length);
    const withOutcomeLevels = new Uint8Array(keys.length);
    const levelsPresent: string[] = [];
    for (const i of filtered) {
      const g = group[i]!;
      if (!seenLevels[g]) {
        seenLevels[g] = 1;
        if (keys[g] !== '') levelsPresent.push(keys[g]!);
      }
      if (present(responseColumn, i)) withOutcomeLevels[g] = 1;
    }
    const withOutcome = new Set(keys.filter((_, g) => withOutcomeLevels[g]));
    const inFitLevels = new Set<string>();
    for (const i of used) inFitLevels.add(keys[group[i]!]!);
    const levels = planned.repeatedLevels ? planned.repeatedLevels.map((l) => levelText(l)) : levelsPresent;
    for (const level of levels) {
      if (!inData(level)) continue;
      const hasOutcome = withOutcome.has(level);
      const inFit = inFitLevels.has(level);
      if (inFit) continue;
      const literal = [m.repeated.from, m.repeated.to, ...m.repeated.levels].find((x): x is Literal => !!x && levelText(literalValue(x)) === level);
      const node: AstNode = literal ?? m.repeated.effect;
      const where: Where = literal ? {} : { property: 'column' };
      const message = hasOutcome
        ? `${rep} ${level} has no row with every variable of the model (${vars}): it is not in the fit`
        : `${rep} ${level} has no value of ${response}: it is not in the fit`;
      out.push({ severity: 'warning', message, node, where, code: Codes.emptyLevel });
    }
  }
  return out;
}

function findingKey(f: Finding): string {
  return `${f.code}|${f.message}|${f.node.$cstNode?.offset}`;
}

/** The data checks of one fitted model (a sensitivity variant: what its base model does not report already). */
export function checkModelRows(ctx: DataCheckContext, m: EffectiveModel): void {
  const p = prepare(ctx);
  if (!p) return;
  let findings = modelFindings(ctx, m, p);
  if (m.sensitivity) {
    const base = new Set(modelFindings(ctx, effectiveModel(m.model), p).map(findingKey));
    findings = findings
      .filter((f) => !base.has(findingKey(f)))
      .map((f) => (AstUtils.getContainerOfType(f.node, (n): n is AstNode => n === m.sensitivity) ? f : { ...f, message: `in ${m.name}: ${f.message}` }));
  }
  for (const f of findings) ctx.report(f.severity, f.message, f.node, f.where, f.code);
}

// ---------------------------------------------------------------------------------------------------
// Analyses

function engineValue(v: SubjectValue): EngineSubjectValue | undefined {
  const variable = v.variable?.column;
  if (typeof variable !== 'string') return undefined;
  if (!v.at) return { variable };
  const column = v.at.column?.column;
  if (typeof column !== 'string' || !v.at.level) return undefined;
  return { variable, at: { column, level: literalValue(v.at.level) } };
}

function describeValue(v: EngineSubjectValue): string {
  return v.at ? `${v.variable} at ${v.at.column} ${levelText(v.at.level)}` : v.variable;
}

/** Per-subject values that no subject has, and too few subjects for the test, on the words at fault. */
export function checkAnalysisData(ctx: DataCheckContext): void {
  const p = prepare(ctx);
  if (!p?.afterStudyIndex || !p.subject) return;
  const subject = p.subject;
  const info = studyInfo(ctx.root);
  for (const a of info.analyses) {
    const filters = filtersOf(a.statements.filter(isFilterStmt), p.available);
    if (!filters) continue;
    const rows = applyFilters(p.afterStudy!, filters);
    for (const s of a.statements) {
      if (isPairedStmt(s)) checkPaired(ctx, s, rows, subject, p);
      else if (isCorrelateStmt(s)) checkCorrelate(ctx, s, rows, subject, p);
    }
  }
}

/** A side of a test: its value, the word to report on, its per-subject values (undefined when it cannot be computed). */
interface Side {
  value: EngineSubjectValue;
  node: AstNode;
  values: (number | null)[];
  ids: string[];
}

function side(v: EngineSubjectValue | undefined, node: AstNode | undefined, rows: Row[], subject: string, p: Prepared): Side | undefined {
  if (!v || !node || !p.available.has(v.variable) || (v.at && !p.available.has(v.at.column))) return undefined;
  const { ids, values } = subjectValues(rows, subject, { kind: 'value', value: v });
  return { value: v, node, values, ids };
}

/** An `at` value that no subject has: on its `visit 7` words. */
function reportEmpty(ctx: DataCheckContext, s: Side, test: string): boolean {
  if (!s.value.at || s.values.some((x) => x !== null)) return false;
  ctx.report('error', `${s.value.variable} has no value at ${s.value.at.column} ${levelText(s.value.at.level)}: the ${test} has no subjects`, s.node, {}, Codes.analysisNoSubjects);
  return true;
}

function checkPaired(ctx: DataCheckContext, s: PairedStmt, rows: Row[], subject: string, p: Prepared): void {
  if (!s.left) return;
  const leftValue = engineValue(s.left);
  let rightValue: EngineSubjectValue | undefined;
  let rightNode: AstNode | undefined;
  if (s.right) {
    rightValue = engineValue(s.right);
    rightNode = s.right.at ?? s.right.variable;
  } else if (s.rightLevel && leftValue) {
    const lr: LevelRef = s.rightLevel;
    const column = lr.column?.column;
    if (typeof column === 'string' && lr.level) rightValue = { variable: leftValue.variable, at: { column, level: literalValue(lr.level) } };
    rightNode = lr;
  }
  const left = side(leftValue, s.left.at ?? s.left.variable, rows, subject, p);
  const right = side(rightValue, rightNode, rows, subject, p);
  if (!left || !right) return;
  const emptyLeft = reportEmpty(ctx, left, 'paired test');
  const emptyRight = reportEmpty(ctx, right, 'paired test');
  if (emptyLeft || emptyRight || left.values.every((x) => x === null) || right.values.every((x) => x === null)) return;
  const both = left.ids.filter((_, i) => left.values[i] !== null && right.values[i] !== null);
  if (both.length >= 2) return;
  const what = `${describeValue(left.value)} and ${describeValue(right.value)}`;
  // none: an error, as for a side without values; one: the test cannot be computed either, but the rest of the spec can run
  if (both.length === 0) ctx.report('error', `no subject has both ${what}: the paired test has no subjects`, s, { keyword: 'paired' }, Codes.analysisNoSubjects);
  else ctx.report('warning', `only 1 subject (${both[0]}) has both ${what}: the paired test needs at least 2`, s, { keyword: 'paired' }, Codes.analysisNoSubjects);
}

function exprValues(ctx: DataCheckContext, e: SubjectExpr | undefined, rows: Row[], subject: string, p: Prepared): { values: (number | null)[]; ids: string[]; text: string; empty: boolean } | undefined {
  if (!e?.left) return undefined;
  const parts = [e.left, ...(e.right ? [e.right] : [])];
  const sides: Side[] = [];
  for (const v of parts) {
    const sd = side(engineValue(v), v.at ?? v.variable, rows, subject, p);
    if (!sd) return undefined;
    sides.push(sd);
  }
  let empty = false;
  for (const sd of sides) if (reportEmpty(ctx, sd, 'correlation')) empty = true;
  const ids = sides[0].ids;
  const values = sides[0].values.map((x, i) => (x === null ? null : sides.length === 1 ? x : sides[1].values[i] === null ? null : x - sides[1].values[i]!));
  return { values, ids, text: sides.map((sd) => describeValue(sd.value)).join(' - '), empty };
}

function checkCorrelate(ctx: DataCheckContext, s: CorrelateStmt, rows: Row[], subject: string, p: Prepared): void {
  const x = exprValues(ctx, s.x, rows, subject, p);
  const y = exprValues(ctx, s.y, rows, subject, p);
  if (!x || !y || x.empty || y.empty) return;
  const both = x.ids.filter((_, i) => x.values[i] !== null && y.values[i] !== null);
  if (both.length >= 3) return;
  if (both.length === 0) {
    ctx.report('error', `no subject has both ${x.text} and ${y.text}: the correlation has no subjects`, s, { keyword: 'correlate' }, Codes.analysisNoSubjects);
  } else {
    const message = `only ${plural(both.length, 'subject')} (${both.join(', ')}) ${both.length === 1 ? 'has' : 'have'} both ${x.text} and ${y.text}: the correlation needs at least 3`;
    ctx.report('warning', message, s, { keyword: 'correlate' }, Codes.analysisNoSubjects);
  }
}

/**
 * The rows a block sees, as the engine prepares them: derived variables computed, the study's filters and
 * then `filters` (the block's own) applied; undefined when a filter names something unknown. For the
 * checks of `describe` blocks (describe-checks.ts).
 */
export function blockRows(ctx: DataCheckContext, filters: FilterStmt[]): { rows: Row[]; available: Set<string>; subject?: string } | undefined {
  const p = prepare(ctx);
  if (!p?.afterStudyIndex) return undefined;
  const own = filtersOf(filters, p.available);
  if (!own) return undefined;
  return { rows: own.length > 0 ? applyFilters(p.afterStudy!, own) : p.afterStudy!, available: p.available, ...(p.subject ? { subject: p.subject } : {}) };
}
