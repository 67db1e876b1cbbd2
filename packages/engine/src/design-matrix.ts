/**
 * The fixed-effects design matrix X: n rows (observations) by P GLM columns, stored row-major in one
 * Float64Array. ml-matrix keeps a matrix as an array of row arrays, which for a million observations
 * is a million objects for the garbage collector; X is only ever read by row, by column or as small
 * selections (a subject's rows), so this class offers just that.
 */
import { Matrix } from 'ml-matrix';

export class DesignMatrix {
  constructor(
    readonly rows: number,
    readonly columns: number,
    /** row-major: entry (i, j) at i * columns + j */
    readonly data: Float64Array = new Float64Array(rows * columns),
  ) {
    if (data.length !== rows * columns) throw new Error(`DesignMatrix: ${data.length} values for ${rows} x ${columns}`);
  }

  get(i: number, j: number): number {
    return this.data[i * this.columns + j]!;
  }

  set(i: number, j: number, v: number): void {
    this.data[i * this.columns + j] = v;
  }

  /** row i as a view (not a copy) */
  getRow(i: number): Float64Array {
    return this.data.subarray(i * this.columns, (i + 1) * this.columns);
  }

  getColumn(j: number): Float64Array {
    const n = this.rows;
    const p = this.columns;
    const data = this.data;
    const out = new Float64Array(n);
    for (let i = 0, o = j; i < n; i++, o += p) out[i] = data[o]!;
    return out;
  }

  /** the columns given (default: all), each a new array, read in one pass over the rows */
  getColumns(columnIndices?: number[]): Float64Array[] {
    const idx = columnIndices ?? Array.from({ length: this.columns }, (_, j) => j);
    const n = this.rows;
    const p = this.columns;
    const data = this.data;
    const out = idx.map(() => new Float64Array(n));
    const k = idx.length;
    for (let i = 0, o = 0; i < n; i++, o += p) for (let c = 0; c < k; c++) out[c]![i] = data[o + idx[c]!]!;
    return out;
  }

  /** the rows and columns given, as a small ml-matrix Matrix */
  selection(rowIndices: number[], columnIndices: number[]): Matrix {
    const m = new Matrix(rowIndices.length, columnIndices.length);
    rowIndices.forEach((r, a) => columnIndices.forEach((c, b) => m.set(a, b, this.data[r * this.columns + c]!)));
    return m;
  }

  /** the columns given, all rows (a copy) */
  subMatrixColumn(columnIndices: number[]): Matrix {
    return this.selection(Array.from({ length: this.rows }, (_, i) => i), columnIndices);
  }
}
