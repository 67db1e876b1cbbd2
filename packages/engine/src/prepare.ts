/**
 * From the data as read to the rows a model or analysis uses: derived outcomes (per subject, before any
 * filter, so a baseline visit that a model does not use still anchors the change), then row filters.
 * The user's data are never modified: every step returns new rows.
 */
import { levelText } from './data.js';
import { groupsOf, rowsOfTable, tableFromRows, takeRows, valueAt, type DataTable } from './table.js';
import type { Value } from './model-spec.js';
import type { DerivedSpec, RowExpr, RowFilter, SubjectExpr, SubjectValue } from './plan.js';

export type Row = Record<string, Value>;

export interface DerivationIssue {
  derived: string;
  subject: string;
  message: string;
}

export interface Derivation {
  rows: Row[];
  /** subjects whose baseline is missing or zero: their derived values are missing, and the user is told */
  issues: DerivationIssue[];
}

function sameLevel(value: Value, level: number | string): boolean {
  if (value === null) return false;
  return typeof value === 'number' && typeof level === 'number' ? value === level : levelText(value) === String(level);
}

/** Adds each derived column, computed within subject; without a subject column, over the whole file. */
export function deriveColumns(rows: Row[], derived: DerivedSpec[], subject: string | undefined): Derivation {
  const out = rows.map((r) => ({ ...r }));
  const issues: DerivationIssue[] = [];
  for (const d of derived) {
    if (d.kind === 'centred') {
      for (const r of out) {
        const y = r[d.variable];
        r[d.name] = typeof y === 'number' ? y - d.centre : null;
      }
      continue;
    }
    const bySubject = new Map<string, Row[]>();
    for (const r of out) {
      const key = subject ? levelText(r[subject]) : '';
      let list = bySubject.get(key);
      if (!list) bySubject.set(key, (list = []));
      list.push(r);
    }
    for (const [id, list] of bySubject) {
      const baselineRows = list.filter((r) => sameLevel(r[d.by], d.baseline));
      const base = baselineRows.length === 1 ? baselineRows[0][d.variable] : null;
      let problem: string | undefined;
      if (baselineRows.length === 0) problem = `no row with ${d.by} = ${d.baseline}`;
      else if (baselineRows.length > 1) problem = `${baselineRows.length} rows with ${d.by} = ${d.baseline}`;
      else if (base === null) problem = `${d.variable} is missing at ${d.by} = ${d.baseline}`;
      else if (typeof base !== 'number') problem = `${d.variable} is not numeric`;
      else if (d.kind === 'percent-change' && base === 0) problem = `${d.variable} is 0 at ${d.by} = ${d.baseline} (percent change undefined)`;
      if (problem) issues.push({ derived: d.name, subject: id, message: problem });
      for (const r of list) {
        const y = r[d.variable];
        if (problem || typeof y !== 'number' || typeof base !== 'number') {
          r[d.name] = null;
        } else {
          r[d.name] = d.kind === 'percent-change' ? (100 * (y - base)) / base : y - base;
        }
      }
    }
  }
  return { rows: out, issues };
}

/** Three-valued: a comparison with a missing value is unknown (null), as in SQL. */
function compare(v: Value, op: string, target: number | string): boolean | null {
  if (v === null || v === undefined) return null;
  let c: number;
  if (typeof v === 'number' && typeof target === 'number') c = v - target;
  else {
    const a = levelText(v);
    const b = String(target);
    c = a < b ? -1 : a > b ? 1 : 0;
  }
  switch (op) {
    case '==': return c === 0;
    case '!=': return c !== 0;
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '>=': return c >= 0;
    default: throw new Error(`unknown comparison ${op}`);
  }
}

/**
 * Kleene logic, so that `not (bdi < 35)` does not select rows where bdi is missing: a filter on a value
 * says nothing about a row that lacks it. `where` keeps rows where the expression is true, `exclude`
 * drops rows where it is true; `is missing` tests for missing values explicitly.
 */
export function evaluateRowExpr(row: Row, e: RowExpr): boolean | null {
  switch (e.kind) {
    case 'compare': return compare(row[e.column], e.op, e.value);
    case 'in': {
      const v = row[e.column];
      return v === null || v === undefined ? null : e.values.some((x) => sameLevel(v, x));
    }
    case 'missing': return row[e.column] === null || row[e.column] === undefined;
    case 'and': {
      const a = evaluateRowExpr(row, e.left);
      const b = evaluateRowExpr(row, e.right);
      return a === false || b === false ? false : a === null || b === null ? null : true;
    }
    case 'or': {
      const a = evaluateRowExpr(row, e.left);
      const b = evaluateRowExpr(row, e.right);
      return a === true || b === true ? true : a === null || b === null ? null : false;
    }
    case 'not': {
      const a = evaluateRowExpr(row, e.expr);
      return a === null ? null : !a;
    }
  }
}

export function applyFilters(rows: Row[], filters: RowFilter[]): Row[] {
  return rows.filter((r) => filters.every((f) => (f.mode === 'where' ? evaluateRowExpr(r, f.expr) === true : evaluateRowExpr(r, f.expr) !== true)));
}

function subjectValue(list: Row[], v: SubjectValue): number | null {
  const hits = v.at ? list.filter((r) => sameLevel(r[v.at!.column], v.at!.level)) : list;
  // A per-subject value must be unique: several rows at the same level would make it ambiguous.
  const values = hits.map((r) => r[v.variable]).filter((x): x is number => typeof x === 'number');
  if (hits.length === 0 || values.length === 0) return null;
  if (new Set(values).size > 1) return null;
  return values[0];
}

function describe(v: SubjectValue): string {
  return v.at ? `${v.variable} at ${v.at.column} ${v.at.level}` : v.variable;
}

export function describeSubjectExpr(e: SubjectExpr): string {
  return e.kind === 'value' ? describe(e.value) : `${describe(e.left)} - ${describe(e.right)}`;
}

export function describeSubjectValue(v: SubjectValue): string {
  return describe(v);
}

/** One number (or null) per subject, in first-seen subject order. */
export function subjectValues(rows: Row[], subject: string, e: SubjectExpr): { ids: string[]; values: (number | null)[] } {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const id = levelText(r[subject]);
    if (id === '') continue;
    let list = groups.get(id);
    if (!list) groups.set(id, (list = []));
    list.push(r);
  }
  const ids = [...groups.keys()];
  const values = ids.map((id) => {
    const list = groups.get(id)!;
    if (e.kind === 'value') return subjectValue(list, e.value);
    const a = subjectValue(list, e.left);
    const b = subjectValue(list, e.right);
    return a === null || b === null ? null : a - b;
  });
  return { ids, values };
}

// ---------------------------------------------------------------------------------------------------
// The same steps on columns (table.ts): what the interpreter runs, so that a million rows are never a
// million objects. Each gives what the row version gives, in columns.

/** The value of `name` in row i, for the row expressions. */
function tableRowExpr(table: DataTable, i: number, e: RowExpr): boolean | null {
  switch (e.kind) {
    case 'compare': return compare(valueAt(table.columns.get(e.column), i) as Value, e.op, e.value);
    case 'in': {
      const v = valueAt(table.columns.get(e.column), i);
      return v === null || v === undefined ? null : e.values.some((x) => sameLevel(v, x));
    }
    case 'missing': {
      const v = valueAt(table.columns.get(e.column), i);
      return v === null || v === undefined;
    }
    case 'and': {
      const a = tableRowExpr(table, i, e.left);
      const b = tableRowExpr(table, i, e.right);
      return a === false || b === false ? false : a === null || b === null ? null : true;
    }
    case 'or': {
      const a = tableRowExpr(table, i, e.left);
      const b = tableRowExpr(table, i, e.right);
      return a === true || b === true ? true : a === null || b === null ? null : false;
    }
    case 'not': {
      const a = tableRowExpr(table, i, e.expr);
      return a === null ? null : !a;
    }
  }
}

/** Whether row i of a table passes every filter (as `applyFilters` keeps a row). */
export function rowPasses(table: DataTable, i: number, filters: RowFilter[]): boolean {
  return filters.every((f) => (f.mode === 'where' ? tableRowExpr(table, i, f.expr) === true : tableRowExpr(table, i, f.expr) !== true));
}

/** The rows of a table (all, or those in `within`, in that order) that pass every filter, as row indices. */
export function filterIndex(table: DataTable, filters: RowFilter[], within?: ArrayLike<number>): Int32Array {
  const m = within ? within.length : table.length;
  const out = new Int32Array(m);
  let k = 0;
  for (let r = 0; r < m; r++) {
    const i = within ? within[r]! : r;
    if (filters.length === 0 || rowPasses(table, i, filters)) out[k++] = i;
  }
  return k === m ? out : out.slice(0, k);
}

/** applyFilters on columns: the rows kept, as a new table (the same table when there are no filters). */
export function filterTable(table: DataTable, filters: RowFilter[]): DataTable {
  if (filters.length === 0) return table;
  const keep: number[] = [];
  for (let i = 0; i < table.length; i++) {
    if (filters.every((f) => (f.mode === 'where' ? tableRowExpr(table, i, f.expr) === true : tableRowExpr(table, i, f.expr) !== true))) keep.push(i);
  }
  return keep.length === table.length ? table : takeRows(table, keep);
}

/** Rows or columns, filtered: `applyFilters` for rows, `filterTable` for a table. */
export function filterRowsOrTable<T extends Row[] | DataTable>(data: T, filters: RowFilter[]): T {
  return (Array.isArray(data) ? applyFilters(data, filters) : filterTable(data as DataTable, filters)) as T;
}

/** deriveColumns on columns: the table with each derived column added (a new table; the data's columns are shared, not copied). */
export function deriveTable(table: DataTable, derived: DerivedSpec[], subject: string | undefined): { table: DataTable; issues: DerivationIssue[] } {
  if (derived.length === 0) return { table, issues: [] };
  const n = table.length;
  const columns = new Map(table.columns);
  const issues: DerivationIssue[] = [];
  /** a column's numbers: NaN where the value is missing or not a number */
  const numbersOf = (name: string): Float64Array => {
    const c = columns.get(name);
    if (c && c.kind === 'number') return c.values;
    const out = new Float64Array(n).fill(NaN);
    if (c && c.kind === 'value') for (let i = 0; i < n; i++) if (typeof c.values[i] === 'number') out[i] = c.values[i] as number;
    return out;
  };
  /** whether a number column holds NaN values of its own (hand-made rows): then NaN is not "missing" */
  const plain = (name: string) => {
    const c = columns.get(name);
    return !c || c.kind !== 'value' || !c.values.some((v) => typeof v === 'number' && v !== v);
  };
  for (const d of derived) {
    if (!plain(d.variable)) {
      // NaN among the values: the row version keeps it as a number
      const rows = rowsOfTable({ length: n, columns });
      const out = deriveColumns(rows, [d], subject);
      issues.push(...out.issues);
      const t = tableFromRows(out.rows);
      columns.set(d.name, t.columns.get(d.name)!);
      continue;
    }
    const y = numbersOf(d.variable);
    const values = new Float64Array(n);
    if (d.kind === 'centred') {
      for (let i = 0; i < n; i++) values[i] = y[i]! - d.centre;
      columns.set(d.name, { kind: 'number', values });
      continue;
    }
    const { group, keys } = subject ? groupsOf(columns.get(subject), n) : { group: new Int32Array(n), keys: [''] };
    const byColumn = columns.get(d.by);
    const variableColumn = columns.get(d.variable);
    // per subject: its rows at the baseline level (count, and the first one)
    const count = new Int32Array(keys.length);
    const first = new Int32Array(keys.length).fill(-1);
    for (let i = 0; i < n; i++) {
      const v = valueAt(byColumn, i);
      if (v === undefined || !sameLevel(v, d.baseline)) continue;
      const g = group[i]!;
      if (count[g]++ === 0) first[g] = i;
    }
    const baseOf = new Float64Array(keys.length).fill(NaN);
    for (let g = 0; g < keys.length; g++) {
      const rows = count[g]!;
      const base = rows === 1 ? valueAt(variableColumn, first[g]!) : null;
      let problem: string | undefined;
      if (rows === 0) problem = `no row with ${d.by} = ${d.baseline}`;
      else if (rows > 1) problem = `${rows} rows with ${d.by} = ${d.baseline}`;
      else if (base === null) problem = `${d.variable} is missing at ${d.by} = ${d.baseline}`;
      else if (typeof base !== 'number') problem = `${d.variable} is not numeric`;
      else if (d.kind === 'percent-change' && base === 0) problem = `${d.variable} is 0 at ${d.by} = ${d.baseline} (percent change undefined)`;
      if (problem) issues.push({ derived: d.name, subject: keys[g]!, message: problem });
      else baseOf[g] = base as number;
    }
    for (let i = 0; i < n; i++) {
      const base = baseOf[group[i]!]!;
      const v = y[i]!;
      values[i] = base !== base || v !== v ? NaN : d.kind === 'percent-change' ? (100 * (v - base)) / base : v - base;
    }
    columns.set(d.name, { kind: 'number', values });
  }
  return { table: { length: n, columns }, issues };
}
