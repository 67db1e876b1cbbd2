/**
 * Data in columns: the form the data path keeps from the CSV reader to the design (prepare.ts,
 * design.ts), so that a million-row file is a few typed arrays, not a million row objects.
 *
 * A column is numbers (a Float64Array; NaN is a missing cell, as a number cell is never NaN: the reader
 * makes `NaN` a defect), text (an Int32Array of codes into `levels`, in first-seen order; -1 is missing),
 * or, for rows built by hand that mix kinds, the values themselves. `rowsOfTable` gives the same data as
 * `Record<string, Value>[]`, for the readers that want rows.
 */
import type { Value } from './model-spec.js';

export type TableColumn =
  | { kind: 'number'; values: Float64Array }
  | { kind: 'text'; codes: Int32Array; levels: string[] }
  /** anything else (rows built by hand); `undefined` where a row has no such key */
  | { kind: 'value'; values: (Value | undefined)[] };

export interface DataTable {
  length: number;
  /** in the data's column order */
  columns: Map<string, TableColumn>;
}

type Row = Record<string, Value>;

/** The value of row i, as `rows[i][name]` has it (null when missing, undefined when the row has no such key). */
export function valueAt(c: TableColumn | undefined, i: number): Value | undefined {
  if (!c) return undefined;
  switch (c.kind) {
    case 'number': {
      const v = c.values[i]!;
      return v === v ? v : null;
    }
    case 'text': {
      const k = c.codes[i]!;
      return k < 0 ? null : c.levels[k]!;
    }
    case 'value':
      return c.values[i];
  }
}

/** Whether row i is missing (null) or lacks the key (undefined) in column c. */
export function missingAt(c: TableColumn, i: number): boolean {
  switch (c.kind) {
    case 'number': {
      const v = c.values[i]!;
      return v !== v;
    }
    case 'text':
      return c.codes[i]! < 0;
    case 'value':
      return c.values[i] === null || c.values[i] === undefined;
  }
}

/** Text form of row i's value, as `levelText` gives it ("" when missing). */
export function levelTextAt(c: TableColumn | undefined, i: number): string {
  const v = valueAt(c, i);
  return v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : v;
}

/**
 * Rows as columns. A key's column is numbers when every row's value is a number (not NaN) or null, text
 * when every one is a string or null, else the values as they are (also when some row lacks the key).
 */
export function tableFromRows(rows: readonly Row[], names?: readonly string[]): DataTable {
  const keys: string[] = names ? [...names] : [];
  const seen = new Set(keys);
  if (!names) {
    for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), keys.push(k));
  } else {
    // a key some row has beyond the given names (a derived column added by hand) is a column too
    for (const r of rows) for (const k of Object.keys(r)) if (!seen.has(k)) (seen.add(k), keys.push(k));
  }
  const n = rows.length;
  const columns = new Map<string, TableColumn>();
  for (const k of keys) {
    let numbers = true;
    let texts = true;
    for (let i = 0; i < n && (numbers || texts); i++) {
      const v = rows[i]![k];
      if (v === null) continue;
      if (typeof v !== 'number' || v !== v) numbers = false;
      if (typeof v !== 'string') texts = false;
    }
    if (numbers) {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = rows[i]![k];
        values[i] = v === null ? NaN : (v as number);
      }
      columns.set(k, { kind: 'number', values });
    } else if (texts) {
      const codes = new Int32Array(n);
      const levels: string[] = [];
      const index = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const v = rows[i]![k] as string | null;
        if (v === null) {
          codes[i] = -1;
          continue;
        }
        let code = index.get(v);
        if (code === undefined) index.set(v, (code = levels.push(v) - 1));
        codes[i] = code;
      }
      columns.set(k, { kind: 'text', codes, levels });
    } else {
      columns.set(k, { kind: 'value', values: rows.map((r) => (k in r ? r[k] : undefined)) });
    }
  }
  return { length: n, columns };
}

/** The rows of a table (each a new object, keys in column order; a `value` column's absent keys are left out). */
export function rowsOfTable(t: DataTable): Row[] {
  const n = t.length;
  const rows: Row[] = new Array(n);
  const entries = [...t.columns];
  if (entries.some(([, c]) => c.kind === 'value') || entries.length > 200) {
    for (let i = 0; i < n; i++) {
      const row: Row = {};
      for (const [name, c] of entries) {
        const v = valueAt(c, i);
        if (v !== undefined) row[name] = v;
      }
      rows[i] = row;
    }
    return rows;
  }
  // one object literal with the columns' names: every row gets the same shape at once (a row built
  // key by key is several times slower for a million rows)
  const args = entries.map((_, k) => `c${k}`);
  const fields = entries.map(([name, c], k) =>
    c.kind === 'number' ? `${JSON.stringify(name)}: (v = c${k}.values[i]) === v ? v : null` : `${JSON.stringify(name)}: (k = c${k}.codes[i]) < 0 ? null : c${k}.levels[k]`,
  );
  const make = new Function(...args, `return function (i) { let v, k; return { ${fields.join(', ')} }; };`)(...entries.map(([, c]) => c)) as (i: number) => Row;
  for (let i = 0; i < n; i++) rows[i] = make(i);
  return rows;
}

/**
 * Clears keep[k] where row k (or rows[k]) has no value in one of the columns: NaN in a number column, no
 * level in a text column, missing in a column of values. The model's complete cases, as the design takes
 * them and as the language's data checks count them.
 */
export function clearIncomplete(keep: Uint8Array, columns: TableColumn[], rows?: ArrayLike<number>): void {
  const m = rows ? rows.length : keep.length;
  for (const c of columns) {
    if (c.kind === 'number') {
      const v = c.values;
      if (rows) for (let k = 0; k < m; k++) if (v[rows[k]!] !== v[rows[k]!]) keep[k] = 0;
      if (!rows) for (let i = 0; i < m; i++) if (v[i] !== v[i]) keep[i] = 0;
    } else if (c.kind === 'text') {
      const codes = c.codes;
      if (rows) for (let k = 0; k < m; k++) if (codes[rows[k]!]! < 0) keep[k] = 0;
      if (!rows) for (let i = 0; i < m; i++) if (codes[i]! < 0) keep[i] = 0;
    } else {
      for (let k = 0; k < m; k++) if (keep[k] && missingAt(c, rows ? rows[k]! : k)) keep[k] = 0;
    }
  }
}

/** The rows `index` of a table, in that order (text columns keep their levels). */
export function takeRows(t: DataTable, index: ArrayLike<number>): DataTable {
  const m = index.length;
  const columns = new Map<string, TableColumn>();
  for (const [name, c] of t.columns) {
    if (c.kind === 'number') {
      const values = new Float64Array(m);
      for (let i = 0; i < m; i++) values[i] = c.values[index[i]!]!;
      columns.set(name, { kind: 'number', values });
    } else if (c.kind === 'text') {
      const codes = new Int32Array(m);
      for (let i = 0; i < m; i++) codes[i] = c.codes[index[i]!]!;
      columns.set(name, { kind: 'text', codes, levels: c.levels });
    } else {
      const values = new Array<Value | undefined>(m);
      for (let i = 0; i < m; i++) values[i] = c.values[index[i]!];
      columns.set(name, { kind: 'value', values });
    }
  }
  return { length: m, columns };
}

/**
 * Each row's group by the text of its value (`levelText`), groups numbered in first-seen order;
 * `keys` the groups' texts (a missing value is the group ""). Rows in the same group share a number.
 */
export function groupsOf(c: TableColumn | undefined, n: number): { group: Int32Array; keys: string[] } {
  const group = new Int32Array(n);
  const keys: string[] = [];
  if (c && c.kind === 'text') {
    const byCode = new Int32Array(c.levels.length + 1).fill(-1);
    for (let i = 0; i < n; i++) {
      const k = c.codes[i]! + 1;
      let g = byCode[k]!;
      if (g < 0) {
        g = byCode[k] = keys.length;
        keys.push(k === 0 ? '' : c.levels[k - 1]!);
      }
      group[i] = g;
    }
    return { group, keys };
  }
  // numbers: one group per value (String(-0) is "0", and a Map holds -0 and 0 as one key, as wanted);
  // whole numbers (visits, codes, subject numbers) through an array over their range first, when that range is
  // not much longer than the column (a million subject numbers in a Map took ~0.7 s)
  const index = new Map<unknown, number>();
  let lo = 0;
  let size = 0;
  if (c && c.kind === 'number') {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = c.values[i]!;
      if ((v | 0) === v) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    const dense = min <= max && max - min < Math.max(1024, n);
    lo = dense ? min : 0;
    size = dense ? max - min + 1 : 1024;
  }
  const small = c && c.kind === 'number' ? new Int32Array(size).fill(-1) : undefined;
  for (let i = 0; i < n; i++) {
    let key: unknown;
    if (c && c.kind === 'number') {
      const v = c.values[i]!;
      const slot = v - lo;
      if (slot >= 0 && slot < size && (v | 0) === v) {
        let g = small![slot]!;
        if (g < 0) {
          // -0 and 0 share the slot, as they share String(v)
          const known = index.get(v);
          g = small![slot] = known ?? keys.length;
          if (known === undefined) {
            index.set(v, g);
            keys.push(String(v));
          }
        }
        group[i] = g;
        continue;
      }
      key = v === v ? v : '';
    } else key = levelTextAt(c, i);
    let g = index.get(key);
    if (g === undefined) {
      index.set(key, (g = keys.length));
      keys.push(typeof key === 'number' ? String(key) : (key as string));
    }
    group[i] = g;
  }
  return { group, keys };
}
