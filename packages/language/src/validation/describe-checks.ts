/**
 * Checks of the `describe` blocks (the cohort's descriptive statistics, engine describe.ts), called by the
 * study validator (study-validator.ts) for each block:
 *
 *  - `at` needs a subject (`no-subject`), and its level must occur in its column (`unknown-level`);
 *  - `factor` names a variable the block does not list (`not-in-model`, a warning);
 *  - on the rows the block sees (derived variables, the study's filters and its own):
 *    - a variable without `at` that varies within some subject is an error on its word, naming the subject
 *      and a level to take it at (`varies-within-subject`): Table 1 has one value per subject; so is a
 *      variable `at` a level that a subject has two values at;
 *    - a `by` column that varies within subject (`by visit`) makes the table one value per subject and
 *      visit: then a per-subject variable (`bdi at visit 1`, or `age`, constant within subject) cannot be
 *      grouped by it (`by-not-constant`, on the `by` column).
 */
import { levelText, withinSubjectColumns, type Row, type Value } from '@study/engine';
import { isDescribeBy, isDescribeFactor, isDescribeList, isFilterStmt, type DescribeBlock, type DescribedValue, type Literal } from '../generated/ast.js';
import { literalText, literalValue, studyInfo } from '../semantics.js';
import { Codes } from './codes.js';
import { blockRows, type DataCheckContext } from './data-checks.js';
import { listLevels } from './levels.js';

/** Values shown in a message: the first two distinct ones. */
function twoValues(values: Value[]): string {
  return values.slice(0, 2).map((v) => levelText(v)).join(', ');
}

function sameLevel(value: Value | undefined, level: number | string): boolean {
  if (value === null || value === undefined) return false;
  return typeof value === 'number' && typeof level === 'number' ? value === level : levelText(value) === String(level);
}

/** Rows grouped by a key; rows whose key is empty are left out. */
function groupBy(rows: readonly Row[], key: (r: Row) => string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const k = key(r);
    if (k === '') continue;
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(r);
  }
  return out;
}

/** The first two distinct non-missing values of a variable among rows (one: it does not vary). */
function distinct(rows: readonly Row[], variable: string): Value[] {
  const seen: Value[] = [];
  for (const r of rows) {
    const v = r[variable];
    if (v === null || v === undefined || seen.includes(v)) continue;
    seen.push(v);
    if (seen.length === 2) break;
  }
  return seen;
}

function hasLevel(ctx: DataCheckContext, value: DescribedValue, lit: Literal): boolean {
  const col = ctx.col(value.at?.column);
  if (!col) return true;
  const v = literalValue(lit);
  if (col.kind === 'numeric') return typeof v === 'number' && col.distinct.some((d) => Number(d) === v);
  return col.distinct.includes(String(v));
}

/**
 * The column a subject's rows differ by, to say which level a variable should be taken at: a model's
 * repeated effect when the spec has one, else the first column (in the data's order) that varies within
 * the subject and has few levels.
 */
function levelColumn(ctx: DataCheckContext, rows: readonly Row[], variable: string): string | undefined {
  const info = studyInfo(ctx.root);
  const repeated = info.models.flatMap((m) => m.statements).find((s) => s.$type === 'RepeatedStmt') as { effect?: { column?: string } } | undefined;
  const candidates = [repeated?.effect?.column, ...(ctx.data?.columns ?? []).filter((c) => c.distinct.length <= 50).map((c) => c.name)];
  return candidates.find((c): c is string => typeof c === 'string' && c !== variable && rows.length > 0 && c in rows[0]! && distinct(rows, c).length > 1);
}

export function checkDescribe(ctx: DataCheckContext, block: DescribeBlock): void {
  const info = studyInfo(ctx.root);
  const subject = info.subject?.column?.column;
  // a value that does not parse whole (`bdi at visit` without its level) is the parser's: left out here
  const values = block.statements
    .filter(isDescribeList)
    .flatMap((s) => s.values)
    .filter((v) => typeof v.variable?.column === 'string' && (!v.at || (typeof v.at.column?.column === 'string' && v.at.level !== undefined)));
  const listed = new Set(values.map((v) => v.variable.column));

  for (const f of block.statements.filter(isDescribeFactor)) {
    for (const c of f.columns) {
      const known = ctx.col(c) !== undefined || info.lets.some((l) => l.name === c.column);
      if (typeof c.column === 'string' && known && !listed.has(c.column)) {
        ctx.report('warning', `${c.column} is not described in ${block.name}: list it to describe it as a factor`, c, { property: 'column' }, Codes.notInModel);
      }
    }
  }
  for (const v of values) {
    if (!v.at) continue;
    if (!subject) {
      ctx.report('error', `\`${v.variable.column} at …\` is one value per subject: add \`subject <column>\``, v.at, {}, Codes.noSubject);
    } else if (ctx.data && v.at.level && !hasLevel(ctx, v, v.at.level)) {
      const col = ctx.col(v.at.column)!;
      ctx.report('error', `${col.name} has no level ${literalText(v.at.level)} in ${ctx.dataName} (levels: ${listLevels(col)})`, v.at.level, {}, Codes.unknownLevel);
    }
  }
  if (!ctx.data || !subject) return;

  const prepared = blockRows(ctx, block.statements.filter(isFilterStmt));
  if (!prepared || prepared.subject !== subject) return;
  const { rows, available } = prepared;
  const byRefs = block.statements.filter(isDescribeBy).flatMap((s) => s.columns).filter((c) => typeof c.column === 'string' && available.has(c.column));
  const known = values.filter((v) => available.has(v.variable.column) && (!v.at || available.has(v.at.column?.column)));
  const bySubject = groupBy(rows, (r) => levelText(r[subject] ?? null));
  const within = withinSubjectColumns(rows, subject, byRefs.map((b) => b.column));

  if (within.length > 0) {
    // one value per subject and visit: per-subject values cannot be grouped by a column that varies within subject
    const ref = byRefs.find((b) => b.column === within[0])!;
    const where = [...bySubject].find(([, list]) => distinct(list, ref.column).length > 1);
    const perSubject = known.filter((v) => v.at || [...bySubject.values()].every((list) => distinct(list, v.variable.column).length < 2));
    if (perSubject.length > 0 && where) {
      const v = perSubject[0]!;
      const name = v.at ? `${v.variable.column} at ${v.at.column.column} ${literalText(v.at.level)}` : v.variable.column;
      ctx.report(
        'error',
        `${ref.column} varies within ${subject} ${where[0]} (${twoValues(distinct(where[1], ref.column))}): ${name} is one value per ${subject}, so a \`by\` column must be constant within ${subject}; describe ${name} in a block without \`by ${ref.column}\``,
        ref,
        { property: 'column' },
        Codes.byNotConstant,
      );
      return;
    }
    // the unit is a subject at one level of the by columns: a variable must have one value there
    const units = groupBy(rows, (r) => [subject, ...within].map((c) => levelText(r[c] ?? null)).join('\u0000'));
    for (const v of known) {
      const hit = [...units.values()].find((list) => distinct(list, v.variable.column).length > 1);
      if (!hit) continue;
      const at = within.map((c) => `${c} ${levelText(hit[0]![c] ?? null)}`).join(', ');
      ctx.report(
        'error',
        `${v.variable.column} varies within ${subject} ${levelText(hit[0]![subject] ?? null)} at ${at} (${twoValues(distinct(hit, v.variable.column))}): with \`by ${within.join(', ')}\` a variable has one value per ${subject} and ${within.join(' and ')}`,
        v.variable,
        { property: 'column' },
        Codes.variesWithinSubject,
      );
    }
    return;
  }

  for (const v of known) {
    const variable = v.variable.column;
    if (v.at) {
      const column = v.at.column.column;
      const level = literalValue(v.at.level);
      const hit = [...bySubject].find(([, list]) => distinct(list.filter((r) => sameLevel(r[column], level)), variable).length > 1);
      if (!hit) continue;
      const twice = distinct(hit[1].filter((r) => sameLevel(r[column], level)), variable);
      ctx.report(
        'error',
        `${variable} has more than one value for ${subject} ${hit[0]} at ${column} ${literalText(v.at.level)} (${twoValues(twice)}): a describe variable has one value per ${subject}`,
        v.at,
        {},
        Codes.variesWithinSubject,
      );
      continue;
    }
    const hit = [...bySubject].find(([, list]) => distinct(list, variable).length > 1);
    if (!hit) continue;
    const [id, list] = hit;
    const column = levelColumn(ctx, list, variable);
    const first = column ? list.find((r) => r[variable] !== null && r[variable] !== undefined) : undefined;
    const suggestion = column && first ? `: say which ${column} it is taken at (\`${variable} at ${column} ${levelText(first[column] ?? null)}\`), or describe it in a block \`by ${column}\`` : ': say at which level it is taken (`' + variable + ' at <column> <level>`)';
    ctx.report(
      'error',
      `${variable} varies within ${subject} ${id} (${twoValues(distinct(list, variable))}): a describe variable has one value per ${subject}${suggestion}`,
      v.variable,
      { property: 'column' },
      Codes.variesWithinSubject,
    );
  }
}
