/**
 * The fixed-effects design matrix X: n rows (observations) by P GLM columns, kept as its terms.
 *
 * In GLM coding a term fills exactly one of its columns on each row: the column of the row's class
 * level combination, with the product of the term's continuous variables as value (1 without any).
 * X is stored that way, one (column, value) pair per term and row, the arrays the design stage built
 * the term from. A dense n x P copy would be P / T times larger (a million subjects over six visits
 * with the ketamine model: 672 MB dense, none here beyond the terms' own arrays), and every pass
 * over X (cross-products, the fit's pattern sums) runs over a row's T entries, not its P columns.
 */
import { Matrix } from 'ml-matrix';

/** One term's columns of X: GLM columns start .. start + width - 1; on row i, column start + column[i] holds value[i]. */
export interface TermColumns {
  start: number;
  width: number;
  column: Int32Array;
  value: Float64Array;
}

export class DesignMatrix {
  // the terms' arrays side by side, for the per-row loops
  private readonly termStart: Int32Array;
  private readonly termColumn: Int32Array[];
  private readonly termValue: Float64Array[];

  constructor(
    readonly rows: number,
    readonly columns: number,
    readonly terms: readonly TermColumns[] = [],
  ) {
    for (const t of terms) {
      if (t.column.length < rows || t.value.length < rows || t.start + t.width > columns) throw new Error('DesignMatrix: a term does not cover the rows or columns');
    }
    this.termStart = Int32Array.from(terms, (t) => t.start);
    this.termColumn = terms.map((t) => t.column);
    this.termValue = terms.map((t) => t.value);
  }

  /** the term holding GLM column j */
  private termOf(j: number): TermColumns | undefined {
    return this.terms.find((t) => j >= t.start && j < t.start + t.width);
  }

  get(i: number, j: number): number {
    const t = this.termOf(j);
    return t && t.column[i] === j - t.start ? t.value[i]! : 0;
  }

  /**
   * Row i's non-zero entries, in increasing column order, written to cols / vals from offset `at`;
   * returns how many. `keep` (optional, by GLM column) renumbers the columns and drops those mapped to -1.
   */
  rowEntries(i: number, cols: Int32Array, vals: Float64Array, at = 0, keep?: Int32Array): number {
    let k = at;
    const T = this.termStart.length;
    for (let t = 0; t < T; t++) {
      const v = this.termValue[t]![i]!;
      if (v === 0) continue;
      const j = this.termStart[t]! + this.termColumn[t]![i]!;
      const c = keep ? keep[j]! : j;
      if (c < 0) continue;
      cols[k] = c;
      vals[k++] = v;
    }
    return k - at;
  }

  /** X b into out (n): b over the P columns; term by term, each row's products summed in column order */
  multiplyInto(b: ArrayLike<number>, out: Float64Array): Float64Array {
    const n = this.rows;
    out.fill(0, 0, n);
    for (let t = 0; t < this.termStart.length; t++) {
      const start = this.termStart[t]!;
      const column = this.termColumn[t]!;
      const value = this.termValue[t]!;
      for (let i = 0; i < n; i++) out[i] += value[i]! * b[start + column[i]!]!;
    }
    return out;
  }

  /** X' e (P): each column's sum over the rows in row order, term by term */
  transposeMultiply(e: ArrayLike<number>): Float64Array {
    const n = this.rows;
    const out = new Float64Array(this.columns);
    for (let t = 0; t < this.termStart.length; t++) {
      const start = this.termStart[t]!;
      const column = this.termColumn[t]!;
      const value = this.termValue[t]!;
      for (let i = 0; i < n; i++) out[start + column[i]!] += value[i]! * e[i]!;
    }
    return out;
  }

  /** the largest number of entries a row can have (one per term) */
  get entriesPerRow(): number {
    return this.terms.length;
  }

  /** x_i' b: row i times a vector of P coefficients */
  rowDot(i: number, b: ArrayLike<number>): number {
    let s = 0;
    for (const t of this.terms) s += t.value[i]! * b[t.start + t.column[i]!]!;
    return s;
  }

  /** row i, dense (a copy) */
  getRow(i: number): Float64Array {
    const out = new Float64Array(this.columns);
    for (const t of this.terms) out[t.start + t.column[i]!] += t.value[i]!;
    return out;
  }

  getColumn(j: number): Float64Array {
    return this.getColumns([j])[0]!;
  }

  /** the columns given (default: all), each a new array */
  getColumns(columnIndices?: number[]): Float64Array[] {
    const idx = columnIndices ?? Array.from({ length: this.columns }, (_, j) => j);
    const n = this.rows;
    return idx.map((j) => {
      const out = new Float64Array(n);
      const t = this.termOf(j);
      if (!t) return out;
      const local = j - t.start;
      const { column, value } = t;
      for (let i = 0; i < n; i++) if (column[i] === local) out[i] = value[i]!;
      return out;
    });
  }

  /** whether column j's value differs between two rows of at least one of the row sets (relative 1e-12) */
  variesWithin(j: number, rowSets: Iterable<{ rows: ArrayLike<number> }>): boolean {
    const t = this.termOf(j);
    if (!t) return false;
    const local = j - t.start;
    const { column, value } = t;
    const at = (r: number) => (column[r] === local ? value[r]! : 0);
    for (const s of rowSets) {
      const first = at(s.rows[0]!);
      const tol = 1e-12 * Math.max(1, Math.abs(first));
      for (let k = 1; k < s.rows.length; k++) if (Math.abs(at(s.rows[k]!) - first) > tol) return true;
    }
    return false;
  }

  private xtx: Float64Array | undefined;

  /**
   * X'X (P x P, row-major, full) in one pass over the rows' entries, computed once (the aliasing sweep,
   * the Type 3 relations and the df methods all ask for it). Read-only.
   */
  crossProduct(): Float64Array {
    if (this.xtx) return this.xtx;
    const P = this.columns;
    const out = new Float64Array(P * P);
    const T = this.terms.length;
    const cols = new Int32Array(T);
    const vals = new Float64Array(T);
    for (let i = 0; i < this.rows; i++) {
      const nz = this.rowEntries(i, cols, vals);
      for (let s = 0; s < nz; s++) {
        const a = cols[s]!;
        const xa = vals[s]!;
        for (let t = s; t < nz; t++) out[a * P + cols[t]!] += xa * vals[t]!;
      }
    }
    for (let a = 0; a < P; a++) for (let b = 0; b < a; b++) out[a * P + b] = out[b * P + a]!;
    this.xtx = out;
    return out;
  }

  /** the rows and columns given, as a small ml-matrix Matrix */
  selection(rowIndices: number[], columnIndices: number[]): Matrix {
    const m = new Matrix(rowIndices.length, columnIndices.length);
    rowIndices.forEach((r, a) => columnIndices.forEach((c, b) => m.set(a, b, this.get(r, c))));
    return m;
  }

  /** the columns given, all rows (a copy) */
  subMatrixColumn(columnIndices: number[]): Matrix {
    const cols = this.getColumns(columnIndices);
    const m = new Matrix(this.rows, columnIndices.length);
    cols.forEach((c, b) => c.forEach((v, a) => m.set(a, b, v)));
    return m;
  }
}
