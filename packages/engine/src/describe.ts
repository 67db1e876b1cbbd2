/**
 * Descriptive statistics of the cohort — the paper's Table 1 and the means ± SEM per visit of its Fig. 1A —
 * from a `describe` block (plan.ts PlannedDescribe), on the rows the study uses (derived variables computed,
 * the study's filters and the block's own applied).
 *
 * What one value is (`per`):
 *  - with a subject and `by` columns that are constant within subject (or none): one value per subject.
 *    A variable is the subject's value (`age`: constant within subject) or its value on its row at a level
 *    (`bdi at visit 1`); a subject without that value is missing;
 *  - with a `by` column that varies within subject (`by visit`): one value per subject and visit;
 *  - without a subject: one value per row.
 * A variable with two different values within one unit is an error (the validator reports it on its word,
 * describe-checks.ts); missing cells are ignored when the unit has another value.
 *
 * Numeric variables: n, missing, mean, SD (n − 1), SEM = SD/√n, median, quartiles and min–max, as SAS
 * PROC MEANS (N NMISS MEAN STD STDERR MEDIAN Q1 Q3 MIN MAX) prints them, the quartiles by SAS's default
 * definition (QNTLDEF=5, which is R's quantile(type = 2)). Categorical variables (text, or numeric codes
 * declared `factor`): n and % per level of the non-missing values (R table / prop.table, SAS PROC FREQ
 * without MISSING), missing counted apart. One column per combination of the `by` levels, after an overall
 * column.
 */
import { levelText } from './data.js';
import { sortLevels } from './design.js';
import type { DescribeSpec, PlannedDescribe } from './plan.js';
import { applyFilters, type Row } from './prepare.js';
import type { DescriptiveGroup, DescriptiveLevel, DescriptiveRow, DescriptiveTable, FitNote } from './results.js';
import type { Value } from './model-spec.js';

// ---------------------------------------------------------------- the statistics

export interface NumericSummary {
  n: number;
  missing: number;
  mean: number | null;
  sd: number | null;
  sem: number | null;
  median: number | null;
  q1: number | null;
  q3: number | null;
  min: number | null;
  max: number | null;
}

/** Two-pass mean (as R's mean): the correction term removes most of the rounding of the first pass. */
export function sampleMean(xs: readonly number[]): number {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return m + xs.reduce((s, x) => s + (x - m), 0) / xs.length;
}

/** Sample standard deviation (denominator n − 1), around the two-pass mean. */
export function sampleSd(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = sampleMean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/**
 * SAS's default percentile (PCTLDEF=5 / QNTLDEF=5, the empirical distribution function with averaging;
 * R quantile(type = 2)): with n·p = j + g, the (j+1)-th order statistic when g > 0, else the average of
 * the j-th and (j+1)-th. `sorted` ascending, not empty.
 */
export function sasQuantile(sorted: readonly number[], p: number): number {
  const n = sorted.length;
  const np = n * p;
  // R's quantile.default, type 2: j = floor(np + fuzz), fuzz = 4 machine epsilons
  const j = Math.floor(np + 4 * Number.EPSILON);
  const x = (i: number) => sorted[Math.min(Math.max(i, 1), n) - 1]!;
  return np > j ? x(j + 1) : (x(j) + x(j + 1)) / 2;
}

/** Every statistic of a numeric variable; `missing` units without a value are counted apart. */
export function numericSummary(values: readonly number[], missing = 0): NumericSummary {
  const n = values.length;
  if (n === 0) return { n, missing, mean: null, sd: null, sem: null, median: null, q1: null, q3: null, min: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const sd = n >= 2 ? sampleSd(values) : null;
  return {
    n,
    missing,
    mean: sampleMean(values),
    sd,
    sem: sd === null ? null : sd / Math.sqrt(n),
    median: sasQuantile(sorted, 0.5),
    q1: sasQuantile(sorted, 0.25),
    q3: sasQuantile(sorted, 0.75),
    min: sorted[0]!,
    max: sorted[n - 1]!,
  };
}

// ---------------------------------------------------------------- units and their values

/** Thrown for a plan the validator would refuse (a variable that varies within a unit). */
export class DescribeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DescribeError';
  }
}

interface Unit {
  /** "P001", "P001, visit 2", "row 5" for messages */
  name: string;
  rows: Row[];
  /** the `by` levels; undefined when one of them is missing */
  group?: string[];
}

function sameLevel(value: Value | undefined, level: number | string): boolean {
  if (value === null || value === undefined) return false;
  return typeof value === 'number' && typeof level === 'number' ? value === level : levelText(value) === String(level);
}

/** The text a described variable is labelled with: `age`, `bdi at visit 1`. */
export function describeLabel(v: DescribeSpec): string {
  return v.at ? `${v.variable} at ${v.at.column} ${levelText(v.at.level)}` : v.variable;
}

/** The `by` columns that take two values within one subject (over `rows`): `visit`, not `sex`. */
export function withinSubjectColumns(rows: readonly Row[], subject: string, columns: readonly string[]): string[] {
  return columns.filter((c) => {
    const first = new Map<string, string>();
    for (const r of rows) {
      const s = levelText(r[subject] ?? null);
      const v = levelText(r[c] ?? null);
      if (s === '' || v === '') continue;
      const seen = first.get(s);
      if (seen === undefined) first.set(s, v);
      else if (seen !== v) return true;
    }
    return false;
  });
}

/** The one value of `variable` among some rows: null when none has it, an error when two differ. */
function oneValue(rows: readonly Row[], variable: string, where: () => string): Value {
  let found: Value = null;
  for (const r of rows) {
    const v = r[variable];
    if (v === null || v === undefined) continue;
    if (found === null) found = v;
    else if (found !== v) throw new DescribeError(`${variable} varies within ${where()} (${levelText(found)}, ${levelText(v)})`);
  }
  return found;
}

function unitsOf(rows: readonly Row[], subject: string | undefined, per: readonly string[], by: readonly string[]): Unit[] {
  const units = new Map<string, Unit>();
  rows.forEach((r, i) => {
    const key = per.length > 0 ? per.map((c) => levelText(r[c] ?? null)).join('\u0000') : String(i);
    let u = units.get(key);
    if (!u) {
      const name = subject ? per.map((c, k) => (k === 0 ? levelText(r[c] ?? null) : `${c} ${levelText(r[c] ?? null)}`)).join(', ') : `row ${i + 1}`;
      units.set(key, (u = { name, rows: [] }));
    }
    u.rows.push(r);
  });
  for (const u of units.values()) {
    const levels = by.map((c) => oneValue(u.rows, c, () => `${subject ?? 'row'} ${u.name}`));
    if (levels.every((l) => l !== null)) u.group = levels.map((l) => levelText(l));
  }
  return [...units.values()];
}

// ---------------------------------------------------------------- the table

/** The combinations of the `by` levels that occur, in SAS's order (each column's levels sorted, the first column slowest). */
function groupsOf(units: readonly Unit[], by: readonly string[]): string[][] {
  if (by.length === 0) return [];
  const orders = by.map((_, k) => sortLevels(units.flatMap((u) => (u.group ? [u.group[k]!] : []))));
  const present = new Map<string, string[]>();
  for (const u of units) if (u.group) present.set(u.group.join('\u0000'), u.group);
  return [...present.values()].sort((a, b) => {
    for (let k = 0; k < by.length; k++) {
      const d = orders[k]!.indexOf(a[k]!) - orders[k]!.indexOf(b[k]!);
      if (d !== 0) return d;
    }
    return 0;
  });
}

export function groupLabel(by: readonly string[], levels: readonly string[]): string {
  return by.map((c, k) => `${c} ${levels[k]}`).join(', ');
}

function categoricalCell(values: Value[], missing: number, levels: string[]): { n: number; missing: number; levels: DescriptiveLevel[] } {
  const counts = new Map<string, number>(levels.map((l) => [l, 0]));
  for (const v of values) counts.set(levelText(v), (counts.get(levelText(v)) ?? 0) + 1);
  const n = values.length;
  return { n, missing, levels: levels.map((level) => ({ level, n: counts.get(level)!, percent: n > 0 ? (100 * counts.get(level)!) / n : null })) };
}

/** The descriptive table of one `describe` block over `rows` (the study's rows: derived, study filters applied). */
export function describeRows(rows: readonly Row[], subject: string | undefined, planned: PlannedDescribe): DescriptiveTable {
  let used = applyFilters(rows as Row[], planned.filters);
  const notes: FitNote[] = [];
  if (subject) used = used.filter((r) => levelText(r[subject] ?? null) !== '');
  const within = subject ? withinSubjectColumns(used, subject, planned.by) : [];
  const per = subject ? [subject, ...within] : [];
  const atVariable = planned.variables.find((v) => v.at);
  if (atVariable && !subject) throw new DescribeError(`${describeLabel(atVariable)} needs a subject: add \`subject <column>\``);
  if (atVariable && within.length > 0) {
    throw new DescribeError(`${within[0]} varies within ${subject}: ${describeLabel(atVariable)} is one value per ${subject}, so a \`by\` column must be constant within ${subject}`);
  }
  const units = unitsOf(used, subject, per, planned.by);
  const combos = groupsOf(units, planned.by);
  const ungrouped = planned.by.length > 0 ? units.filter((u) => !u.group).length : 0;
  const unitWord = subject ? (within.length > 0 ? `${subject}-${within.join('-')} combination` : subject) : 'row';
  if (ungrouped > 0) {
    notes.push({ severity: 'info', message: `${ungrouped} ${unitWord}${ungrouped > 1 ? 's have' : ' has'} no ${planned.by.join(' or ')}: counted in the Overall column only` });
  }
  const groupKey = (levels: readonly string[]) => levels.join('\u0000');
  const unitGroup = units.map((u) => (u.group ? groupKey(u.group) : undefined));
  const groups: DescriptiveGroup[] = [
    { label: 'Overall', N: units.length },
    ...combos.map((g) => ({ label: groupLabel(planned.by, g), by: Object.fromEntries(planned.by.map((c, k) => [c, g[k]!])), N: unitGroup.filter((k) => k === groupKey(g)).length })),
  ];

  const out: DescriptiveRow[] = [];
  for (const v of planned.variables) {
    if (used.length > 0 && !used.some((r) => v.variable in r)) throw new DescribeError(`${v.variable} is not a column of the data`);
    const label = describeLabel(v);
    // the unit's value: the subject's value at the level, or its one value
    const values: Value[] = units.map((u) => {
      const hits = v.at ? u.rows.filter((r) => sameLevel(r[v.at!.column], v.at!.level)) : u.rows;
      return oneValue(hits, v.variable, () => `${subject ?? 'row'} ${u.name}${v.at ? ` at ${v.at.column} ${levelText(v.at.level)}` : ''}`);
    });
    const categorical = v.categorical === true || values.some((x) => typeof x === 'string');
    const levels = categorical ? sortLevels(values.filter((x) => x !== null).map((x) => levelText(x))) : [];
    const cell = (member: (k: number) => boolean): Omit<DescriptiveRow, 'variable' | 'label' | 'kind' | 'group'> => {
      const present: Value[] = [];
      let missing = 0;
      values.forEach((x, k) => {
        if (!member(k)) return;
        if (x === null) missing++;
        else present.push(x);
      });
      return categorical ? categoricalCell(present, missing, levels) : numericSummary(present as number[], missing);
    };
    const base = { variable: v.variable, ...(v.at ? { at: { column: v.at.column, level: levelText(v.at.level) } } : {}), label, kind: categorical ? ('categorical' as const) : ('numeric' as const) };
    out.push({ ...base, group: 'Overall', ...cell(() => true) });
    combos.forEach((g, gi) => {
      const key = groupKey(g);
      out.push({ ...base, group: groups[gi + 1]!.label, by: groups[gi + 1]!.by!, ...cell((k) => unitGroup[k] === key) });
    });
  }
  return { name: planned.name, per, by: [...planned.by], groups, rows: out, notes };
}
