/**
 * Checks of a spec's structure and of what its models mean, called by the study validator
 * (study-validator.ts):
 *
 *  - two `model` / `sensitivity` / `analysis` blocks with one name (`duplicate-name`);
 *  - a reversed level range, `repeated visit 6..2` (`reversed-range`; it used to mean 2..6 silently);
 *  - a spec with no model, no analysis and no `describe` block (`nothing-to-run`, at 1:1);
 *  - a numeric column used as a random-effect term without `factor` (`numeric-random-effect`): the
 *    engine treats it as continuous (plan-builder.ts: only the repeated effect, factors and text columns
 *    are classes), so `random Block` is one random slope on Block's values, not an effect per block;
 *  - the rows a model uses as the engine selects them (`modelValues`), for the centring hint.
 */
import { AstUtils, GrammarUtils, type AstNode, type ValidationSeverity } from 'langium';
import type { Range } from 'vscode-languageserver';
import { applyFilters, deriveColumns, deriveTable, filterIndex, missingAt, modelVariables, tableOf, valueAt, type DataTable, type Dataset, type Row } from '@study/engine';
import { isAnalysisBlock, isDescribeBlock, isModelBlock, isRepeatedStmt, isSensitivityBlock, type StudyFile } from '../generated/ast.js';
import { effectTerm, literalText, literalValue, studyInfo, termText, type EffectiveModel, type StudyInfo } from '../semantics.js';
import { derivedSpec, plannedModel, rowFilter } from '../plan-builder.js';
import { Codes } from './codes.js';
import type { CheckContext } from './covariance-checks.js';

/** What these checks need from the validator: its report, with an explicit range where no single node covers the text. */
export interface SpecCheckContext extends CheckContext {
  readonly root: StudyFile;
  report(
    severity: ValidationSeverity,
    message: string,
    node: AstNode,
    where?: { property?: string; keyword?: string; index?: number; range?: Range },
    code?: string,
    suggestion?: string,
  ): void;
}

const KIND: Record<string, string> = { ModelBlock: 'a model', SensitivityBlock: 'a sensitivity variant', AnalysisBlock: 'an analysis', DescribeBlock: 'a describe block' };

/** Models, named sensitivity variants, analyses and describe blocks share one namespace: a second block with a name is an error on its name. */
export function checkDuplicateNames(ctx: SpecCheckContext): void {
  const first = new Map<string, { kind: string; line: number }>();
  for (const el of ctx.root.elements) {
    if (!isModelBlock(el) && !isAnalysisBlock(el) && !isDescribeBlock(el) && !(isSensitivityBlock(el) && el.name)) continue;
    const name = el.name;
    if (typeof name !== 'string' || name === '') continue;
    const nameNode = GrammarUtils.findNodeForProperty(el.$cstNode, 'name') ?? el.$cstNode;
    const line = (nameNode?.range.start.line ?? 0) + 1;
    const seen = first.get(name);
    if (!seen) {
      first.set(name, { kind: KIND[el.$type], line });
      continue;
    }
    ctx.report('error', `${seen.kind} named ${name} is already defined at line ${seen.line}`, el, { property: 'name' }, Codes.duplicateName);
  }
}

/** `repeated visit 6..2`: a range from a larger to a smaller number; on the range, with `2..6` as the quick fix. */
export function checkReversedRanges(ctx: SpecCheckContext): void {
  for (const r of AstUtils.streamAllContents(ctx.root).filter(isRepeatedStmt)) {
    if (!r.range || !r.from || !r.to) continue;
    const from = literalValue(r.from);
    const to = literalValue(r.to);
    if (typeof from !== 'number' || typeof to !== 'number' || from <= to) continue;
    const a = r.from.$cstNode;
    const b = r.to.$cstNode;
    if (!a || !b) continue;
    const range: Range = { start: a.range.start, end: b.range.end };
    const fixed = `${literalText(r.to)}..${literalText(r.from)}`;
    ctx.report('error', `the range ${literalText(r.from)}..${literalText(r.to)} is reversed: write ${fixed}`, r, { range }, Codes.reversedRange, fixed);
  }
}

/**
 * A spec without any model or analysis: `check` would pass and `run` would have nothing to do. Not
 * reported while the text has syntax errors (a block that does not parse is not missing), nor with a
 * `sensitivity` block (without its model, that is a linking error on the block already).
 */
export function checkNothingToRun(ctx: SpecCheckContext): void {
  const root = ctx.root;
  const parse = root.$document?.parseResult;
  if (parse && (parse.lexerErrors.length > 0 || parse.parserErrors.length > 0)) return;
  // a sensitivity block without its model is a linking error already
  if (root.elements.some((el) => isModelBlock(el) || isAnalysisBlock(el) || isSensitivityBlock(el) || isDescribeBlock(el))) return;
  const range: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  ctx.report('error', 'the spec defines no model and no analysis: nothing to run', root, { range }, Codes.nothingToRun);
}

/**
 * `random Block` with Block a numeric column that is not a class of the model (not `factor`, not the
 * repeated effect): the engine takes it as continuous, a random slope on its values. Written with
 * `slope`, or declared `covariate`, it says that a slope is meant, and nothing is reported.
 */
export function checkNumericRandomEffects(ctx: SpecCheckContext, m: EffectiveModel): void {
  if (!ctx.data) return;
  const classes = new Set<string>(m.factors.map((f) => f.column));
  if (m.repeated?.effect?.column) classes.add(m.repeated.effect.column);
  const covariates = new Set(m.covariates.map((c) => c.column));
  for (const r of m.randoms) {
    if (r.subjectOnly) continue;
    for (const e of r.effects) {
      if (e.intercept || e.slope || !e.effect) continue;
      const term = effectTerm(e.effect);
      const statement = `random ${termText(term)}${r.subject?.column ? ` by ${r.subject.column}` : ''}`;
      for (const v of e.effect.variables) {
        const col = ctx.col(v);
        if (!col || col.kind !== 'numeric' || classes.has(col.name) || covariates.has(col.name)) continue;
        const meaning = term.length === 1 ? `\`${statement}\` is a random slope on its values` : `in \`${statement}\` it is a slope on its values`;
        ctx.report(
          'warning',
          `${col.name} is numeric and not declared a factor: ${meaning}; write \`factor ${col.name}\` to make it a random effect per level`,
          v,
          { property: 'column' },
          Codes.numericRandomEffect,
        );
      }
    }
  }
}

/**
 * The rows a model is fitted on, as the engine selects them (engine run-study.ts, design.ts): derived
 * variables computed, the study's and the model's filters applied, the repeated levels kept, then the
 * complete cases of every variable the model uses. Undefined when that cannot be known (a variable
 * that is not in the data, a `let` that does not parse).
 */
export function modelRowsAsFitted(root: StudyFile, data: Dataset, m: EffectiveModel): Row[] | undefined {
  try {
    const info = studyInfo(root);
    const subject = info.subject?.column?.column;
    let rows = studyRows(data, info);
    const planned = plannedModel(m, subject, data);
    rows = applyFilters(rows, planned.filters);
    const vars = modelVariables(planned.spec);
    if (rows.length > 0 && vars.some((v) => !(v in rows[0]))) return undefined;
    return rows.filter((row) => vars.every((v) => row[v] !== null && row[v] !== undefined));
  } catch {
    return undefined;
  }
}

/**
 * Per data set, the rows after the study's derived variables and filters, for the last spec text that
 * shapes them (its subject, lets and filters): re-validating while one edits a model does not derive
 * every row again. Without lets the rows are the data's own (nothing here changes a row).
 */
const studyRowsCache = new WeakMap<Dataset, { key: string; rows: Row[] }>();

function studyRows(data: Dataset, info: StudyInfo): Row[] {
  const key = [info.subject, ...info.lets, ...info.filters].map((n) => (n?.$cstNode?.text ?? '').replace(/\s+/g, ' ')).join('\n');
  const hit = studyRowsCache.get(data);
  if (hit && hit.key === key) return hit.rows;
  const subject = info.subject?.column?.column;
  const derived = info.lets.length > 0 ? deriveColumns(data.rows, info.lets.map(derivedSpec), subject).rows : data.rows;
  const rows = info.filters.length > 0 ? applyFilters(derived, info.filters.map(rowFilter)) : derived;
  studyRowsCache.set(data, { key, rows });
  return rows;
}

/** `studyRows` in columns (engine table.ts): the derived table, and the rows the study's filters keep (undefined: all). */
const studyTableCache = new WeakMap<Dataset, { key: string; table: DataTable; index: Int32Array | undefined }>();

function studyTable(data: Dataset, info: StudyInfo): { table: DataTable; index: Int32Array | undefined } {
  const key = [info.subject, ...info.lets, ...info.filters].map((n) => (n?.$cstNode?.text ?? '').replace(/\s+/g, ' ')).join('\n');
  const hit = studyTableCache.get(data);
  if (hit && hit.key === key) return hit;
  const subject = info.subject?.column?.column;
  const table = info.lets.length > 0 ? deriveTable(tableOf(data), info.lets.map(derivedSpec), subject).table : tableOf(data);
  const index = info.filters.length > 0 ? filterIndex(table, info.filters.map(rowFilter)) : undefined;
  studyTableCache.set(data, { key, table, index });
  return { table, index };
}

/**
 * The numeric values of `variable` over the rows the model uses (the rows of modelRowsAsFitted, read
 * in columns: no row objects); undefined when those rows are not known.
 */
export function modelValues(root: StudyFile, data: Dataset, m: EffectiveModel, variable: string): number[] | undefined {
  try {
    const info = studyInfo(root);
    const subject = info.subject?.column?.column;
    const { table, index } = studyTable(data, info);
    const planned = plannedModel(m, subject, data);
    const rows = planned.filters.length > 0 || !index ? filterIndex(table, planned.filters, index) : index;
    const vars = modelVariables(planned.spec);
    if (rows.length > 0 && vars.some((v) => !table.columns.has(v) || valueAt(table.columns.get(v), rows[0]!) === undefined)) return undefined;
    const columns = vars.map((v) => table.columns.get(v)!);
    const c = table.columns.get(variable);
    const out: number[] = [];
    for (const i of rows) {
      if (!columns.every((col) => !missingAt(col, i))) continue;
      const x = valueAt(c, i);
      if (typeof x === 'number') out.push(x);
    }
    return out;
  } catch {
    return undefined;
  }
}
