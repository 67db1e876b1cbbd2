/**
 * Data rows -> the design of a linear mixed model, in SAS PROC MIXED's conventions:
 * complete cases, GLM (over-parameterised) coding of class effects with aliased columns found by
 * sweeping in column order, SAS labels, subject blocks with R-matrix positions, and the G-side
 * design of the RANDOM statements.
 */
import { Matrix } from 'ml-matrix';
import type { Design, DesignColumn, RandomColumn, RandomTermColumns, SubjectBlock } from './design-types.js';
import type { ModelSpec, Term, Value } from './model-spec.js';
import { levelText } from './data.js';
import { DesignMatrix } from './design-matrix.js';
import { applyLevelOrder } from './level-order.js';

export class DesignError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DesignError';
  }
}

export interface BuildDesignOptions {
  /**
   * Levels of the repeated effect in R-matrix order. Rows whose level is not listed are not used.
   * Default: the levels present, sorted as SAS sorts them.
   */
  repeatedLevels?: string[];
}

/** SAS's default level order: numeric order when every level is a number, otherwise character order. */
export function sortLevels(levels: Iterable<string>): string[] {
  const list = [...new Set(levels)];
  const allNumeric = list.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  if (allNumeric) return list.sort((a, b) => Number(a) - Number(b));
  // Plain code-unit comparison = ASCII collation, which is what SAS uses for character values.
  return list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** SAS effect name: the variables joined by '*', in the order the term lists them. */
export function termName(term: Term): string {
  return term.length === 0 ? 'Intercept' : term.join('*');
}

/**
 * Relative pivot below which a column counts as a linear combination of the columns before it:
 * SAS's SINGULAR= default, 1e4 times machine epsilon, relative to the column's own X'X diagonal.
 */
const ALIAS_TOLERANCE = 1e4 * Number.EPSILON;

/** The coordinate columns of every spatial structure the model may fit (its own and its candidates'). */
export function coordinateColumns(spec: ModelSpec): string[] {
  const out = new Set<string>(spec.repeated?.coordinates ?? []);
  for (const c of spec.repeated?.candidates ?? []) if (typeof c !== 'string') for (const v of c.coordinates ?? []) out.add(v);
  return [...out];
}

/**
 * SAS's level order with CLASS var(REF='level'): the reference level moves to the end (GLM coding
 * aliases the last level), the others keep their sorted order.
 */
export function orderLevels(levels: string[], reference: string | undefined, variable: string): string[] {
  if (reference === undefined) return levels;
  const k = levels.indexOf(reference);
  if (k < 0) throw new DesignError(`the reference level '${reference}' of ${variable} does not occur in the rows the model uses (levels: ${levels.join(', ')})`);
  return [...levels.slice(0, k), ...levels.slice(k + 1), reference];
}

/**
 * The variables that identify a subject: `patient`, or a nested SUBJECT= as SAS writes it,
 * `Rat(Diet)` (a rat within its diet): ['Rat', 'Diet'].
 */
export function subjectVariables(subject: string): string[] {
  const m = /^([^()\s]+)\(([^()]+)\)$/.exec(subject);
  return m ? [m[1]!, ...m[2]!.trim().split(/\s+/)] : [subject];
}

/**
 * Every variable a model uses, whose rows are its complete cases: the outcome, the fixed and random
 * effects' variables, the subjects, the repeated effect, the GROUP= variable, spatial coordinates.
 * A nested subject (`Rat(Diet)`) is one variable for the design (`as-named`: its key column) and its
 * parts for the data (`parts`, the default).
 */
export function modelVariables(spec: ModelSpec, options: { nestedSubjects?: 'as-named' | 'parts' } = {}): string[] {
  const subject = (s: string) => (options.nestedSubjects === 'as-named' ? [s] : subjectVariables(s));
  const needed = new Set<string>([spec.response]);
  for (const t of spec.fixed) t.forEach((v) => needed.add(v));
  for (const r of spec.random) {
    r.terms.forEach((t) => t.forEach((v) => needed.add(v)));
    if (r.subject) subject(r.subject).forEach((v) => needed.add(v));
  }
  const blockSubject = spec.subject ?? spec.random.find((r) => r.subject !== undefined)?.subject;
  if (blockSubject) subject(blockSubject).forEach((v) => needed.add(v));
  if (spec.repeated?.effect) needed.add(spec.repeated.effect);
  if (spec.repeated?.group) needed.add(spec.repeated.group);
  for (const c of coordinateColumns(spec)) needed.add(c);
  return [...needed].filter((v) => v !== '');
}

/** Rows with a key column for each nested subject (`Rat(Diet)`: "3 1"), missing when a part is missing. */
function withNestedSubjects(rows: Record<string, Value>[], spec: ModelSpec): Record<string, Value>[] {
  const nested = [...new Set([spec.subject, ...spec.random.map((r) => r.subject)].filter((s): s is string => !!s && subjectVariables(s).length > 1))];
  if (nested.length === 0) return rows;
  return rows.map((r) => {
    const out = { ...r };
    for (const name of nested) {
      const parts = subjectVariables(name);
      for (const v of parts) if (!(v in r)) throw new DesignError(`variable '${v}' (in the subject ${name}) is not a column of the data`);
      out[name] = parts.some((v) => r[v] === null || r[v] === undefined) ? null : parts.map((v) => levelText(r[v]!)).join(' ');
    }
    return out;
  });
}

export function buildDesign(inputRows: Record<string, Value>[], spec: ModelSpec, options: BuildDesignOptions = {}): Design {
  const rows = withNestedSubjects(inputRows, spec);
  const repeatedEffect = spec.repeated?.effect;
  const groupVariable = spec.repeated?.group;
  const classSet = new Set(spec.classes);
  if (repeatedEffect) classSet.add(repeatedEffect);
  if (groupVariable) classSet.add(groupVariable);
  const blockSubject = spec.subject ?? spec.random.find((r) => r.subject !== undefined)?.subject;
  const coordinates = coordinateColumns(spec);

  const needed = new Set(modelVariables(spec, { nestedSubjects: 'as-named' }));

  const allowedRepeated = options.repeatedLevels ? new Set(options.repeatedLevels.map(String)) : undefined;

  // Complete cases: every variable the model mentions must be present on the row.
  const sourceRows: number[] = [];
  rows.forEach((row, i) => {
    for (const v of needed) {
      if (!(v in row)) throw new DesignError(`variable '${v}' is not a column of the data`);
      if (row[v] === null) return;
    }
    if (allowedRepeated && repeatedEffect && !allowedRepeated.has(levelText(row[repeatedEffect]))) return;
    sourceRows.push(i);
  });
  const used = sourceRows.map((i) => rows[i]);
  const n = used.length;
  if (n === 0) throw new DesignError('no complete observations: every row misses a variable of the model');
  let subjectsRead: number | undefined;
  if (blockSubject) {
    const ids = new Set<string>();
    for (const row of rows) if (row[blockSubject] !== null && row[blockSubject] !== undefined) ids.add(levelText(row[blockSubject]));
    subjectsRead = ids.size;
  }

  const numeric = (row: Record<string, Value>, v: string): number => {
    const x = row[v];
    if (typeof x !== 'number') {
      throw new DesignError(`'${v}' is used as a continuous variable but has the non-numeric value '${x}'; add it to the class variables`);
    }
    return x;
  };

  const y = new Float64Array(n);
  used.forEach((row, i) => (y[i] = numeric(row, spec.response)));

  const classLevels = new Map<string, string[]>();
  for (const v of classSet) {
    if (!needed.has(v)) continue;
    classLevels.set(v, orderLevels(applyLevelOrder(sortLevels(used.map((r) => levelText(r[v]))), spec.classOrder?.[v]), spec.classReference?.[v], v));
  }

  // ---- fixed effects ----
  const terms: Term[] = spec.intercept ? [[], ...spec.fixed] : [...spec.fixed];
  const termNames = terms.map(termName);
  const columns: DesignColumn[] = [];
  const columnValues: Float64Array[] = [];
  const codes = new ClassCodes(used, classLevels);
  terms.forEach((term, termIndex) => {
    for (const col of expandTerm(term, used, classSet, classLevels, numeric, codes)) {
      const levelPart = Object.values(col.levels).join(' ');
      columns.push({
        termIndex,
        levels: col.levels,
        label: termName(term) + (levelPart ? ' ' + levelPart : ''),
        aliased: false,
      });
      columnValues.push(col.values);
    }
  });
  const P = columns.length;
  const X = new DesignMatrix(n, P);
  for (let j = 0; j < P; j++) {
    const values = columnValues[j];
    for (let i = 0; i < n; i++) X.data[i * P + j] = values[i];
  }
  const aliased = findAliasedColumns(columnValues, n);
  aliased.forEach((a, j) => (columns[j].aliased = a));
  const rankX = aliased.filter((a) => !a).length;

  const covariateMeans = new Map<string, number>();
  for (const term of spec.fixed) {
    for (const v of term) {
      if (classSet.has(v) || covariateMeans.has(v)) continue;
      let s = 0;
      for (const row of used) s += numeric(row, v);
      covariateMeans.set(v, s / n);
    }
  }

  // ---- subjects and R-matrix positions ----
  let repeatedLevels: string[] | undefined;
  if (repeatedEffect) {
    repeatedLevels = options.repeatedLevels
      ? orderLevels(options.repeatedLevels.map(String), spec.classReference?.[repeatedEffect], repeatedEffect)
      : (classLevels.get(repeatedEffect) as string[]);
  }

  // ---- G side ----
  const randomTerms: RandomTermColumns[] = [];
  const zColumns: RandomColumn[] = [];
  const nTermsTotal = spec.random.reduce((s, r) => s + r.terms.length, 0);
  const zCols = new Int32Array(n * nTermsTotal);
  const zVals = new Float64Array(n * nTermsTotal);
  spec.random.forEach((statement, s) => {
    const groupOf = (row: Record<string, Value>) => (statement.subject ? levelText(row[statement.subject]) : '');
    const groups: string[] = [];
    const seenGroups = new Set<string>();
    for (const row of used) {
      const g = groupOf(row);
      if (!seenGroups.has(g)) {
        seenGroups.add(g);
        groups.push(g);
      }
    }
    // Columns per group are the same list (terms, then their levels) so that an unstructured G block
    // has the same meaning in every subject.
    let indexInGroup = 0;
    const termStart: number[] = [];
    statement.terms.forEach((term) => {
      termStart.push(indexInGroup);
      indexInGroup += expandTerm(term, used, classSet, classLevels, numeric, codes).length;
    });
    statement.terms.forEach((term, ti) => {
      const globalTerm = randomTerms.length;
      const expanded = expandTerm(term, used, classSet, classLevels, numeric, codes);
      const columnIndex = new Map<string, number>();
      const cols: number[] = [];
      for (const g of groups) {
        expanded.forEach((c, li) => {
          const idx = zColumns.length;
          zColumns.push({ term: globalTerm, statement: s, group: g, levels: c.levels, indexInGroup: termStart[ti] + li });
          columnIndex.set(g + '\u0000' + levelKey(c.levels), idx);
          cols.push(idx);
        });
      }
      randomTerms.push({ term, name: termName(term), statement: s, subject: statement.subject, columns: cols });
      const classVars = term.filter((v) => classSet.has(v));
      const covariates = term.filter((v) => !classSet.has(v));
      used.forEach((row, i) => {
        const key = groupOf(row) + '\u0000' + levelKey(Object.fromEntries(classVars.map((v) => [v, levelText(row[v])])));
        const col = columnIndex.get(key);
        if (col === undefined) throw new DesignError(`internal: no Z column for ${key}`);
        let value = 1;
        for (const v of covariates) value *= numeric(row, v);
        zCols[i * nTermsTotal + globalTerm] = col;
        zVals[i * nTermsTotal + globalTerm] = value;
      });
    });
  });

  const subjects = buildSubjects(used, blockSubject, repeatedEffect, repeatedLevels, {
    zColumns: spec.random.length > 0 ? zCols : undefined,
    termsPerRow: nTermsTotal,
    gSubject: spec.subject ? spec.random.find((r) => r.subject !== undefined && r.subject !== spec.subject)?.subject : undefined,
  });

  // GROUP=: each R-subject belongs to one group (SAS requires the variable to be constant within subject)
  let groupLevels: string[] | undefined;
  if (groupVariable) {
    groupLevels = classLevels.get(groupVariable) as string[];
    const index = new Map(groupLevels.map((l, i) => [l, i]));
    const rSubjectOf = (row: Record<string, Value>) => (spec.subject ? levelText(row[spec.subject]) : '');
    const groupOfSubject = new Map<string, string>();
    for (const row of used) {
      const sid = rSubjectOf(row);
      const g = levelText(row[groupVariable]);
      const seen = groupOfSubject.get(sid);
      if (seen === undefined) groupOfSubject.set(sid, g);
      else if (seen !== g) {
        throw new DesignError(
          `the GROUP= variable ${groupVariable} varies within ${spec.subject ? `subject ${spec.subject}=${sid}` : 'the data'} (${seen}, ${g}): it must be constant within subject`,
        );
      }
    }
    for (const block of subjects) block.groups = block.rows.map((r) => index.get(levelText(used[r][groupVariable])) as number);
  }

  let coordinateValues: Record<string, Float64Array> | undefined;
  if (coordinates.length > 0) {
    coordinateValues = {};
    for (const c of coordinates) coordinateValues[c] = Float64Array.from(used, (row) => numeric(row, c));
  }

  const design: Design = {
    n,
    y,
    X,
    columns,
    terms,
    termNames,
    rankX,
    classLevels,
    covariateMeans,
    subjects,
    repeatedLevels,
    randomTerms,
    sourceRows,
    observationsRead: rows.length,
    ...(subjectsRead !== undefined ? { subjectsRead } : {}),
    ...(groupVariable ? { group: groupVariable, groupLevels } : {}),
    ...(coordinateValues ? { coordinateValues } : {}),
  };
  if (spec.random.length > 0) {
    design.zEntries = { columns: zCols, values: zVals };
    design.zColumns = zColumns;
    // Dense Z has a column per subject and term: built only when someone asks for it.
    let dense: Matrix | undefined;
    Object.defineProperty(design, 'Z', {
      enumerable: true,
      get(): Matrix {
        if (!dense) {
          dense = new Matrix(n, zColumns.length);
          for (let i = 0; i < n; i++) {
            for (let t = 0; t < nTermsTotal; t++) dense.set(i, zCols[i * nTermsTotal + t], zVals[i * nTermsTotal + t]);
          }
        }
        return dense;
      },
    });
  }
  return design;
}

function levelKey(levels: Record<string, string>): string {
  return Object.entries(levels)
    .map(([k, v]) => `${k}=${v}`)
    .join('\u0001');
}

interface ExpandedColumn {
  levels: Record<string, string>;
  values: Float64Array;
}

/**
 * The GLM columns of one term: one per combination of its class variables' levels that occurs in the
 * data (first variable varying slowest, each in sorted level order), times the product of its
 * continuous variables.
 */
function expandTerm(
  term: Term,
  used: Record<string, Value>[],
  classSet: Set<string>,
  classLevels: Map<string, string[]>,
  numeric: (row: Record<string, Value>, v: string) => number,
  codes: ClassCodes = new ClassCodes(used, classLevels),
): ExpandedColumn[] {
  const n = used.length;
  const vars = [...new Set(term)];
  const classVars = vars.filter((v) => classSet.has(v));
  const covariates = vars.filter((v) => !classSet.has(v));
  const covariateProduct = new Float64Array(n);
  if (covariates.length === 0) covariateProduct.fill(1);
  else {
    for (let i = 0; i < n; i++) {
      let p = 1;
      for (const v of covariates) p *= numeric(used[i]!, v);
      covariateProduct[i] = p;
    }
  }
  if (classVars.length === 0) return [{ levels: {}, values: covariateProduct }];

  // each row's level combination as one mixed-radix code (first variable slowest, each in SAS order)
  const varCodes = classVars.map((v) => codes.of(v));
  const radix = classVars.map((v) => (classLevels.get(v) as string[]).length);
  const combo = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let c = 0;
    for (let k = 0; k < classVars.length; k++) c = c * radix[k]! + varCodes[k]![i]!;
    combo[i] = c;
  }
  // the combinations that occur, in code order (= SAS's order of the levels)
  const present = [...new Set(combo)].sort((a, b) => a - b);
  const columnOf = new Map(present.map((c, j) => [c, j]));
  const values = present.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) values[columnOf.get(combo[i]!)!]![i] = covariateProduct[i]!;
  return present.map((c, j) => {
    const levels: Record<string, string> = {};
    let rest = c;
    for (let k = classVars.length - 1; k >= 0; k--) {
      const code = rest % radix[k]!;
      rest = (rest - code) / radix[k]!;
      levels[classVars[k]!] = (classLevels.get(classVars[k]!) as string[])[code]!;
    }
    // keep the variables in the term's order
    const ordered: Record<string, string> = {};
    for (const v of classVars) ordered[v] = levels[v]!;
    return { levels: ordered, values: values[j]! };
  });
}

/**
 * Each class variable's level index (in SAS's order) on every used row, computed once per variable:
 * the raw value is mapped to its level text only once per distinct value, not once per row.
 */
class ClassCodes {
  private readonly cache = new Map<string, Int32Array>();
  constructor(
    private readonly used: Record<string, Value>[],
    private readonly classLevels: Map<string, string[]>,
  ) {}
  of(v: string): Int32Array {
    let codes = this.cache.get(v);
    if (codes) return codes;
    const levels = this.classLevels.get(v) as string[];
    const index = new Map(levels.map((l, i) => [l, i]));
    const byRaw = new Map<Value, number>();
    codes = new Int32Array(this.used.length);
    for (let i = 0; i < this.used.length; i++) {
      const raw = this.used[i]![v] ?? null;
      let code = byRaw.get(raw);
      if (code === undefined) {
        code = index.get(levelText(raw));
        if (code === undefined) throw new DesignError(`internal: level '${levelText(raw)}' of ${v} is not among its levels`);
        byRaw.set(raw, code);
      }
      codes[i] = code;
    }
    this.cache.set(v, codes);
    return codes;
  }
}

/**
 * Marks the columns that are linear combinations of earlier non-aliased ones, as SAS's sweep of X'X in
 * column order does (so the last level of a class effect is the one aliased).
 */
function findAliasedColumns(cols: Float64Array[], n: number): boolean[] {
  const P = cols.length;
  const xtx = new Float64Array(P * P);
  for (let a = 0; a < P; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      const ca = cols[a];
      const cb = cols[b];
      for (let i = 0; i < n; i++) s += ca[i] * cb[i];
      xtx[a * P + b] = s;
      xtx[b * P + a] = s;
    }
  }
  // Incremental Cholesky of X'X restricted to the kept columns: the pivot of a new column is its
  // squared distance to the span of the kept ones.
  const kept: number[] = [];
  const L: number[][] = [];
  const aliased: boolean[] = [];
  for (let j = 0; j < P; j++) {
    const w: number[] = [];
    for (let a = 0; a < kept.length; a++) {
      let s = xtx[kept[a] * P + j];
      for (let k = 0; k < a; k++) s -= L[a][k] * w[k];
      w.push(s / L[a][a]);
    }
    let d = xtx[j * P + j];
    for (const wk of w) d -= wk * wk;
    if (!(xtx[j * P + j] > 0) || d <= ALIAS_TOLERANCE * xtx[j * P + j]) {
      aliased.push(true);
      continue;
    }
    aliased.push(false);
    kept.push(j);
    L.push([...w, Math.sqrt(d)]);
  }
  return aliased;
}

/**
 * The blocks of V. Rows of one R-side subject (`subject`) share a block; so do rows that share a
 * G-side column (a random effect of a site spans its patients; a RANDOM effect without SUBJECT=
 * spans whatever rows share its level). Each block is a connected component of those links: usually
 * one subject, else several R-subjects, told apart by `rGroups` (R entries between them are 0).
 * R positions are the repeated effect's level, or the order of the row within its R-subject.
 */
function buildSubjects(
  used: Record<string, Value>[],
  subject: string | undefined,
  repeatedEffect: string | undefined,
  repeatedLevels: string[] | undefined,
  g: { zColumns?: Int32Array; termsPerRow: number; gSubject?: string },
): SubjectBlock[] {
  const n = used.length;
  const rKey = (row: Record<string, Value>) => (subject ? levelText(row[subject]) : '');
  // union-find over rows
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  // each row's R-subject (index in first-seen order); rows of one R-subject share a block
  const rIndexOfKey = new Map<string, number>();
  const firstRowOf: number[] = [];
  const rowR = new Int32Array(n);
  used.forEach((row, i) => {
    const k = rKey(row);
    let r = rIndexOfKey.get(k);
    if (r === undefined) {
      rIndexOfKey.set(k, (r = firstRowOf.length));
      firstRowOf.push(i);
    } else union(firstRowOf[r]!, i);
    rowR[i] = r;
  });
  if (g.zColumns && g.termsPerRow > 0) {
    const firstOfColumn = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < g.termsPerRow; t++) {
        const c = g.zColumns[i * g.termsPerRow + t];
        const f = firstOfColumn.get(c);
        if (f === undefined) firstOfColumn.set(c, i);
        else union(f, i);
      }
    }
  }

  // one pass: each row's block (component), its R-subject's index within the block, and its position
  const levelIndex = repeatedLevels ? new Map(repeatedLevels.map((l, i) => [l, i])) : undefined;
  const blockOfRoot = new Map<number, number>();
  const blocks: SubjectBlock[] = [];
  const groupsIn: number[] = []; // R-subjects per block
  const localGroup = new Int32Array(firstRowOf.length).fill(-1); // per R-subject: its index within its block
  const countOf = new Int32Array(firstRowOf.length); // per R-subject: rows so far
  const rowGroup = new Int32Array(n);
  const dimension = repeatedLevels?.length ?? 0;
  const seen = dimension > 0 ? new Uint8Array(firstRowOf.length * dimension) : undefined; // (R-subject, level) pairs taken
  used.forEach((row, i) => {
    const root = find(i);
    let b = blockOfRoot.get(root);
    if (b === undefined) {
      b = blocks.length;
      blockOfRoot.set(root, b);
      blocks.push({ id: g.gSubject ? levelText(row[g.gSubject]) : rKey(row), rows: [], positions: [] });
      groupsIn.push(0);
    }
    const r = rowR[i]!;
    if (localGroup[r] === -1) localGroup[r] = groupsIn[b]!++;
    let position: number;
    if (repeatedEffect && levelIndex) {
      const lv = levelText(row[repeatedEffect]);
      position = levelIndex.get(lv) as number;
      const key = r * dimension + position;
      if (seen![key]) {
        throw new DesignError(
          `${subject ? `subject ${subject}=${rKey(row)}` : 'the data'} has two rows with ${repeatedEffect}=${lv}: the repeated effect must identify each observation within a subject`,
        );
      }
      seen![key] = 1;
    } else {
      position = countOf[r]!;
    }
    countOf[r]!++;
    blocks[b]!.rows.push(i);
    blocks[b]!.positions.push(position);
    rowGroup[i] = localGroup[r]!;
  });
  // rGroups only where a block holds several R-subjects
  blocks.forEach((block, b) => {
    if (groupsIn[b]! > 1) block.rGroups = block.rows.map((i) => rowGroup[i]!);
  });
  return blocks;
}
