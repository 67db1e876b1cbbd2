/**
 * Data rows -> the design of a linear mixed model, in SAS PROC MIXED's conventions:
 * complete cases, GLM (over-parameterised) coding of class effects with aliased columns found by
 * sweeping in column order, SAS labels, subject blocks with R-matrix positions, and the G-side
 * design of the RANDOM statements.
 */
import { Matrix } from 'ml-matrix';
import type { Design, DesignColumn, RandomColumn, RandomTermColumns, SubjectBlock } from './design-types.js';
import type { ModelSpec, Term, Value } from './model-spec.js';
import { DesignMatrix } from './design-matrix.js';
import { clearIncomplete, groupsOf, levelTextAt, missingAt, tableFromRows, takeRows, valueAt, type DataTable, type TableColumn } from './table.js';
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

/** The model's data as columns: rows given as objects are put in columns first (table.ts). */
function asTable(input: Record<string, Value>[] | DataTable): DataTable {
  return Array.isArray(input) ? tableFromRows(input) : (input as DataTable);
}

/** A column with a key for each nested subject (`Rat(Diet)`: "3 1"), missing when a part is missing. */
function withNestedSubjects(table: DataTable, spec: ModelSpec): DataTable {
  const nested = [...new Set([spec.subject, ...spec.random.map((r) => r.subject)].filter((s): s is string => !!s && subjectVariables(s).length > 1))];
  if (nested.length === 0 || table.length === 0) return table;
  const columns = new Map(table.columns);
  const n = table.length;
  for (const name of nested) {
    const parts = subjectVariables(name).map((v) => {
      const c = table.columns.get(v);
      if (!c || (c.kind === 'value' && c.values.some((x) => x === undefined))) throw new DesignError(`variable '${v}' (in the subject ${name}) is not a column of the data`);
      return c;
    });
    const codes = new Int32Array(n);
    const levels: string[] = [];
    const index = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      if (parts.some((c) => missingAt(c, i))) {
        codes[i] = -1;
        continue;
      }
      const key = parts.map((c) => levelTextAt(c, i)).join(' ');
      let code = index.get(key);
      if (code === undefined) index.set(key, (code = levels.push(key) - 1));
      codes[i] = code;
    }
    columns.set(name, { kind: 'text', codes, levels });
  }
  return { length: n, columns };
}

/**
 * The model's design from its rows: objects (`Record<string, Value>[]`) or columns (table.ts, as the
 * CSV reader and prepare.ts give them), the same numbers either way.
 */
export function buildDesign(input: Record<string, Value>[] | DataTable, spec: ModelSpec, options: BuildDesignOptions = {}): Design {
  const all = withNestedSubjects(asTable(input), spec);
  const N = all.length;
  const repeatedEffect = spec.repeated?.effect;
  const groupVariable = spec.repeated?.group;
  const classSet = new Set(spec.classes);
  if (repeatedEffect) classSet.add(repeatedEffect);
  if (groupVariable) classSet.add(groupVariable);
  const blockSubject = spec.subject ?? spec.random.find((r) => r.subject !== undefined)?.subject;
  const coordinates = coordinateColumns(spec);

  const needed = [...new Set(modelVariables(spec, { nestedSubjects: 'as-named' }))];
  const allowedRepeated = options.repeatedLevels ? new Set(options.repeatedLevels.map(String)) : undefined;

  // Complete cases: every variable the model mentions must be present on the row.
  const neededColumns = needed.map((v) => all.columns.get(v));
  const keep = new Uint8Array(N).fill(1);
  if (neededColumns.some((c) => !c || c.kind === 'value')) {
    // some row may lack a variable: rows in order, as the row objects are read
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < needed.length; k++) {
        const x = valueAt(neededColumns[k], i);
        if (x === undefined) throw new DesignError(`variable '${needed[k]}' is not a column of the data`);
        if (x === null) {
          keep[i] = 0;
          break;
        }
      }
    }
  } else clearIncomplete(keep, neededColumns as TableColumn[]);
  if (allowedRepeated && repeatedEffect) {
    const { group, keys } = groupsOf(all.columns.get(repeatedEffect), N);
    const allowed = keys.map((k) => allowedRepeated.has(k));
    for (let i = 0; i < N; i++) if (keep[i] && !allowed[group[i]!]) keep[i] = 0;
  }
  let n = 0;
  for (let i = 0; i < N; i++) n += keep[i]!;
  const sourceRows = new Int32Array(n);
  for (let i = 0, k = 0; i < N; i++) if (keep[i]) sourceRows[k++] = i;
  if (n === 0) throw new DesignError('no complete observations: every row misses a variable of the model');
  let subjectsRead: number | undefined;
  if (blockSubject) {
    const c = all.columns.get(blockSubject);
    const { group, keys } = groupsOf(c, N);
    const present = new Uint8Array(keys.length);
    if (c) for (let i = 0; i < N; i++) if (!missingAt(c, i)) present[group[i]!] = 1;
    subjectsRead = present.reduce((s, x) => s + x, 0);
  }
  // the used rows of the model's variables
  const usedColumns = new Map<string, TableColumn>();
  for (const v of needed) usedColumns.set(v, all.columns.get(v)!);
  // (every row used: the data's own columns, read only here as the copies are; at a million subjects the copy
  // of four columns took ~0.5 s, most of it the pages of the new arrays)
  const used = n === N ? { length: N, columns: usedColumns } : takeRows({ length: N, columns: usedColumns }, sourceRows);
  const col = (v: string) => used.columns.get(v)!;

  const numericCache = new Map<string, Float64Array>();
  const numeric = (v: string): Float64Array => {
    let values = numericCache.get(v);
    if (values) return values;
    const c = col(v);
    if (c.kind === 'number') values = c.values;
    else {
      values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x = valueAt(c, i);
        if (typeof x !== 'number') {
          throw new DesignError(`'${v}' is used as a continuous variable but has the non-numeric value '${x}'; add it to the class variables`);
        }
        values[i] = x;
      }
    }
    numericCache.set(v, values);
    return values;
  };

  // (the used rows' columns, copies or the data's own: y is not copied again, and nothing writes into it)
  const y = numeric(spec.response);

  // class variables: each used row's group (first-seen order of the level texts), then its level index
  const groupCache = new Map<string, { group: Int32Array; keys: string[] }>();
  const groups = (v: string) => {
    let g = groupCache.get(v);
    if (!g) groupCache.set(v, (g = groupsOf(col(v), n)));
    return g;
  };
  const classLevels = new Map<string, string[]>();
  for (const v of classSet) {
    if (!needed.includes(v)) continue;
    classLevels.set(v, orderLevels(applyLevelOrder(sortLevels(groups(v).keys), spec.classOrder?.[v]), spec.classReference?.[v], v));
  }
  const codeCache = new Map<string, Int32Array>();
  const classCodes = (v: string): Int32Array => {
    let codes = codeCache.get(v);
    if (codes) return codes;
    const levels = classLevels.get(v) as string[];
    const index = new Map(levels.map((l, i) => [l, i]));
    const { group, keys } = groups(v);
    const byGroup = keys.map((k) => {
      const code = index.get(k);
      if (code === undefined) throw new DesignError(`internal: level '${k}' of ${v} is not among its levels`);
      return code;
    });
    codes = new Int32Array(n);
    for (let i = 0; i < n; i++) codes[i] = byGroup[group[i]!]!;
    codeCache.set(v, codes);
    return codes;
  };

  /**
   * The GLM columns of one term: one per combination of its class variables' levels that occurs in the
   * data (first variable varying slowest, each in sorted level order), times the product of its
   * continuous variables; each row's column among them (`column`) and value (`value`).
   */
  let ones: Float64Array | undefined;
  let zeros: Int32Array | undefined;
  const expandTerm = (term: Term): ExpandedTerm => {
    const vars = [...new Set(term)];
    const classVars = vars.filter((v) => classSet.has(v));
    const covariates = vars.filter((v) => !classSet.has(v));
    // (ones and the single column of a term without class variables are shared: read only)
    let value: Float64Array;
    if (covariates.length === 0) value = ones ??= new Float64Array(n).fill(1);
    else if (covariates.length === 1 && term.length === vars.length) value = numeric(covariates[0]!);
    else {
      value = new Float64Array(n);
      const cols = covariates.map(numeric);
      for (let i = 0; i < n; i++) {
        let p = 1;
        for (const c of cols) p *= c[i]!;
        value[i] = p;
      }
    }
    if (classVars.length === 0) return { levels: [{}], column: (zeros ??= new Int32Array(n)), value };
    const column = new Int32Array(n);
    // each row's level combination as one mixed-radix code (first variable slowest, each in SAS order)
    const varCodes = classVars.map(classCodes);
    const radix = classVars.map((v) => (classLevels.get(v) as string[]).length);
    const combinations = radix.reduce((a, b) => a * b, 1);
    let combo: Int32Array | Float64Array;
    if (classVars.length === 1) combo = varCodes[0]!;
    else {
      combo = combinations < 2 ** 31 ? new Int32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let c = 0;
        for (let k = 0; k < classVars.length; k++) c = c * radix[k]! + varCodes[k]![i]!;
        combo[i] = c;
      }
    }
    // the combinations that occur, in code order (= SAS's order of the levels)
    let present: number[];
    if (combinations <= 1 << 20) {
      // few enough to index: a table from combination to column
      const index = new Int32Array(combinations).fill(-1);
      for (let i = 0; i < n; i++) index[combo[i]!] = 0;
      present = [];
      for (let c = 0; c < combinations; c++) if (index[c] === 0) index[c] = present.push(c) - 1;
      for (let i = 0; i < n; i++) column[i] = index[combo[i]!]!;
    } else {
      present = [...new Set(combo)].sort((a, b) => a - b);
      const columnOf = new Map(present.map((c, j) => [c, j]));
      for (let i = 0; i < n; i++) column[i] = columnOf.get(combo[i]!)!;
    }
    const levels = present.map((c) => {
      const out: Record<string, string> = {};
      let rest = c;
      for (let k = classVars.length - 1; k >= 0; k--) {
        const code = rest % radix[k]!;
        rest = (rest - code) / radix[k]!;
        out[classVars[k]!] = (classLevels.get(classVars[k]!) as string[])[code]!;
      }
      // keep the variables in the term's order
      const ordered: Record<string, string> = {};
      for (const v of classVars) ordered[v] = out[v]!;
      return ordered;
    });
    return { levels, column, value };
  };

  // ---- fixed effects ----
  const terms: Term[] = spec.intercept ? [[], ...spec.fixed] : [...spec.fixed];
  const termNames = terms.map(termName);
  const columns: DesignColumn[] = [];
  const expanded: { start: number; term: ExpandedTerm }[] = [];
  terms.forEach((term, termIndex) => {
    const e = expandTerm(term);
    expanded.push({ start: columns.length, term: e });
    for (const levels of e.levels) {
      const levelPart = Object.values(levels).join(' ');
      columns.push({ termIndex, levels, label: termName(term) + (levelPart ? ' ' + levelPart : ''), aliased: false });
    }
  });
  const P = columns.length;
  const X = new DesignMatrix(
    n,
    P,
    expanded.map(({ start, term }) => ({ start, width: term.levels.length, column: term.column, value: term.value })),
  );
  const aliased = aliasedFromCrossProduct(X.crossProduct(), P);
  aliased.forEach((a, j) => (columns[j]!.aliased = a));
  const rankX = aliased.filter((a) => !a).length;

  const covariateMeans = new Map<string, number>();
  for (const term of spec.fixed) {
    for (const v of term) {
      if (classSet.has(v) || covariateMeans.has(v)) continue;
      const values = numeric(v);
      let s = 0;
      for (let i = 0; i < n; i++) s += values[i]!;
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
  const noGroup = { group: new Int32Array(n), keys: [''] };
  spec.random.forEach((statement, s) => {
    // the statement's groups (its SUBJECT= levels) in first-seen order; one group without SUBJECT=
    const { group, keys } = statement.subject ? groups(statement.subject) : noGroup;
    // Columns per group are the same list (terms, then their levels) so that an unstructured G block
    // has the same meaning in every subject.
    const termExpansions = statement.terms.map((term) => expandTerm(term));
    let indexInGroup = 0;
    const termStart: number[] = [];
    termExpansions.forEach((e) => {
      termStart.push(indexInGroup);
      indexInGroup += e.levels.length;
    });
    statement.terms.forEach((term, ti) => {
      const globalTerm = randomTerms.length;
      const e = termExpansions[ti]!;
      const first = zColumns.length;
      const cols: number[] = [];
      for (const g of keys) {
        e.levels.forEach((levels, li) => {
          cols.push(zColumns.length);
          zColumns.push({ term: globalTerm, statement: s, group: g, levels, indexInGroup: termStart[ti]! + li });
        });
      }
      randomTerms.push({ term, name: termName(term), statement: s, subject: statement.subject, columns: cols });
      // the value: the product of the term's continuous variables, each as often as the term names it
      const covariates = term.filter((v) => !classSet.has(v)).map(numeric);
      const width = e.levels.length;
      for (let i = 0; i < n; i++) {
        let value = 1;
        for (const c of covariates) value *= c[i]!;
        zCols[i * nTermsTotal + globalTerm] = first + group[i]! * width + e.column[i]!;
        zVals[i * nTermsTotal + globalTerm] = value;
      }
    });
  });

  const rSubject = spec.subject ? groups(spec.subject) : undefined;
  const gSubjectName = spec.subject ? spec.random.find((r) => r.subject !== undefined && r.subject !== spec.subject)?.subject : undefined;
  const subjects = buildSubjects(n, blockSubject ? groups(blockSubject) : noGroup, repeatedEffect ? { name: repeatedEffect, ...groups(repeatedEffect) } : undefined, blockSubject, repeatedLevels, {
    zColumns: spec.random.length > 0 ? zCols : undefined,
    termsPerRow: nTermsTotal,
    gSubject: gSubjectName ? groups(gSubjectName) : undefined,
  });

  // GROUP=: each R-subject belongs to one group (SAS requires the variable to be constant within subject)
  let groupLevels: string[] | undefined;
  if (groupVariable) {
    groupLevels = classLevels.get(groupVariable) as string[];
    const codes = classCodes(groupVariable);
    const levelsOf = groupLevels;
    const r = rSubject ?? noGroup;
    const groupOfSubject = new Int32Array(r.keys.length).fill(-1);
    for (let i = 0; i < n; i++) {
      const sid = r.group[i]!;
      const g = codes[i]!;
      const seen = groupOfSubject[sid]!;
      if (seen < 0) groupOfSubject[sid] = g;
      else if (seen !== g) {
        throw new DesignError(
          `the GROUP= variable ${groupVariable} varies within ${spec.subject ? `subject ${spec.subject}=${r.keys[sid]}` : 'the data'} (${levelsOf[seen]}, ${levelsOf[g]}): it must be constant within subject`,
        );
      }
    }
    for (const block of subjects) block.groups = block.rows.map((i) => codes[i]!);
  }

  let coordinateValues: Record<string, Float64Array> | undefined;
  if (coordinates.length > 0) {
    coordinateValues = {};
    for (const c of coordinates) coordinateValues[c] = numeric(c).slice();
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
    observationsRead: N,
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

/** One term's GLM columns: their levels, and each row's column among them and its value there. */
interface ExpandedTerm {
  levels: Record<string, string>[];
  column: Int32Array;
  value: Float64Array;
}

/**
 * SAS's sweep of X'X (P x P, full) in column order: a column is aliased when it is a linear combination
 * of the earlier kept ones. Also used where X'X comes summed from a database (backends/sql-statistics.ts).
 */
export function aliasedFromCrossProduct(xtx: Float64Array, P: number): boolean[] {
  // Incremental Cholesky of X'X restricted to the kept columns: the pivot of a new column is its
  // squared distance to the span of the kept ones.
  const kept: number[] = [];
  const L: number[][] = [];
  const aliased: boolean[] = [];
  for (let j = 0; j < P; j++) {
    const w: number[] = [];
    for (let a = 0; a < kept.length; a++) {
      let s = xtx[kept[a]! * P + j]!;
      for (let k = 0; k < a; k++) s -= L[a]![k]! * w[k]!;
      w.push(s / L[a]![a]!);
    }
    let d = xtx[j * P + j]!;
    for (const wk of w) d -= wk * wk;
    if (!(xtx[j * P + j]! > 0) || d <= ALIAS_TOLERANCE * xtx[j * P + j]!) {
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
 * `rSubjects` and the others are each used row's group (first-seen order) and the groups' texts.
 */
const UNSET: number[] = [];

function buildSubjects(
  n: number,
  rSubjects: { group: Int32Array; keys: string[] },
  repeated: { name: string; group: Int32Array; keys: string[] } | undefined,
  subject: string | undefined,
  repeatedLevels: string[] | undefined,
  g: { zColumns?: Int32Array; termsPerRow: number; gSubject?: { group: Int32Array; keys: string[] } },
): SubjectBlock[] {
  // Without G-side columns each block is one R-subject: the R-subjects' numbers (first-seen order) are the blocks'
  const zColumns = g.termsPerRow > 0 ? g.zColumns : undefined;
  const linked = zColumns !== undefined;
  // union-find over rows, when G-side columns link rows across R-subjects
  const parent = new Int32Array(linked ? n : 0);
  for (let i = 0; i < parent.length; i++) parent[i] = i;
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a),
      rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  // each row's R-subject (index in first-seen order); rows of one R-subject share a block
  const R = rSubjects.keys.length;
  const rowR = rSubjects.group;
  if (zColumns) {
    const firstRowOf = new Int32Array(R).fill(-1);
    for (let i = 0; i < n; i++) {
      const r = rowR[i]!;
      if (firstRowOf[r]! < 0) firstRowOf[r] = i;
      else union(firstRowOf[r]!, i);
    }
    // rows that share a G-side column share a block
    const firstOfColumn = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < g.termsPerRow; t++) {
        const c = zColumns[i * g.termsPerRow + t]!;
        const f = firstOfColumn.get(c);
        if (f === undefined) firstOfColumn.set(c, i);
        else union(f, i);
      }
    }
  }

  // one pass: each row's block (component), its R-subject's index within the block, and its position
  const levelIndex = repeatedLevels ? new Map(repeatedLevels.map((l, i) => [l, i])) : undefined;
  const positionOfGroup = repeated && levelIndex ? repeated.keys.map((k) => levelIndex.get(k) as number) : undefined;
  const blockOfRoot = new Int32Array(linked ? n : 0).fill(-1);
  const blocks: SubjectBlock[] = [];
  const groupsIn: number[] = []; // R-subjects per block
  const localGroup = new Int32Array(R).fill(-1); // per R-subject: its index within its block
  const countOf = new Int32Array(R); // per R-subject: rows so far
  const rowGroup = new Int32Array(n);
  const dimension = repeatedLevels?.length ?? 0;
  const seen = dimension > 0 ? new Uint8Array(R * dimension) : undefined; // (R-subject, level) pairs taken
  // each row's block first, so that each block's arrays are made at their size (a million subjects)
  let blockOfRow: Int32Array;
  let sizes: Int32Array;
  if (linked) {
    blockOfRow = new Int32Array(n);
    const counts: number[] = [];
    for (let i = 0; i < n; i++) {
      const root = find(i);
      let b = blockOfRoot[root]!;
      if (b < 0) {
        b = blockOfRoot[root] = counts.length;
        counts.push(0);
      }
      blockOfRow[i] = b;
      counts[b]!++;
    }
    sizes = Int32Array.from(counts);
  } else {
    // groups are numbered in first-seen order, as the blocks are (a group with no used row has none)
    blockOfRow = rowR;
    sizes = new Int32Array(R);
    for (let i = 0; i < n; i++) sizes[rowR[i]!]!++;
  }
  const filled = new Int32Array(sizes.length);
  const rowPosition = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const b = blockOfRow[i]!;
    if (b === blocks.length) {
      blocks.push({ id: g.gSubject ? g.gSubject.keys[g.gSubject.group[i]!]! : rSubjects.keys[rowR[i]!]!, rows: new Array<number>(sizes[b]!), positions: UNSET });
      groupsIn.push(0);
    }
    const r = rowR[i]!;
    if (localGroup[r] === -1) localGroup[r] = groupsIn[b]!++;
    let position: number;
    if (repeated && positionOfGroup) {
      position = positionOfGroup[repeated.group[i]!]!;
      const key = r * dimension + position;
      if (seen![key]) {
        const lv = repeated.keys[repeated.group[i]!]!;
        throw new DesignError(
          `${subject ? `subject ${subject}=${rSubjects.keys[r]}` : 'the data'} has two rows with ${repeated.name}=${lv}: the repeated effect must identify each observation within a subject`,
        );
      }
      seen![key] = 1;
    } else {
      position = countOf[r]!;
    }
    countOf[r]!++;
    blocks[b]!.rows[filled[b]!++] = i;
    rowPosition[i] = position;
    rowGroup[i] = localGroup[r]!;
  }
  // Subjects with the same positions share one array (a million subjects have a handful of lists; the
  // arrays are read-only): a number per list (its length, then each position + 1 in base 32, exact
  // below 2^53) finds it.
  const shared = new Map<number, number[]>();
  for (const block of blocks) {
    const rows = block.rows;
    const len = rows.length;
    let code = len;
    let small = len <= 9;
    for (let k = 0; k < len && small; k++) {
      const q = rowPosition[rows[k]!]!;
      if (q >= 31) small = false;
      code = code * 32 + q + 1;
    }
    let positions = small ? shared.get(code) : undefined;
    if (!positions) {
      positions = new Array<number>(len);
      for (let k = 0; k < len; k++) positions[k] = rowPosition[rows[k]!]!;
      if (small) shared.set(code, positions);
    }
    block.positions = positions;
  }
  // rGroups only where a block holds several R-subjects
  blocks.forEach((block, b) => {
    if (groupsIn[b]! > 1) block.rGroups = block.rows.map((i) => rowGroup[i]!);
  });
  return blocks;
}
