/**
 * Subjects grouped by the shape of their V block.
 *
 * Subjects with the same R positions (the same visits observed) and the same rows of Z share V_i,
 * its inverse and its derivatives, so the likelihood factorises V once per pattern. Everything the
 * likelihood needs from the data of a pattern is a sum over its subjects of quadratic forms
 * X_i' A X_i, X_i' A y_i, y_i' A y_i with the same m x m matrix A; for patterns with many subjects
 * these sums are taken from cross-product tensors accumulated once (sum_i x_ia x_ib' for every pair
 * of positions a, b), which makes each likelihood evaluation independent of the number of subjects.
 */
import type { Design } from '../design-types.js';
import type { BlockLayout } from '../covariance/covariance-model.js';
import { multiply } from './dense.js';
import { DesignMatrix } from '../design-matrix.js';

export class PatternData {
  readonly count: number;
  /** tensor form: sum_i x_ia x_ib' (index ((a m + b) p + j) p + k), sum_i x_ia y_ib, sum_i y_ia y_ib */
  private Sxx: Float64Array | null = null;
  private Sxy: Float64Array | null = null;
  private Syy: Float64Array | null = null;
  /** direct form: the subjects' rows stacked, count x m x p and count x m */
  private Xs: Float64Array | null = null;
  private ys: Float64Array | null = null;

  /** the direct form's X rows (count x m x p) and y (count x m); null in tensor form */
  get directX(): Float64Array | null {
    return this.Xs;
  }
  get directY(): Float64Array | null {
    return this.ys;
  }

  /** set by prepare(): sum_i X_i C X_i', sum_i r_i r_i', sum_i x_ia r_ib */
  Q = new Float64Array(0);
  Srr = new Float64Array(0);
  Sxr = new Float64Array(0);

  constructor(
    readonly layout: BlockLayout,
    readonly m: number,
    readonly p: number,
      /** the blocks (subjects, or single rows when R = sigma^2 I without random effects) of this pattern */
    readonly blocks: number[],
    X: SparseRows,
    y: Float64Array,
    rowsOf: (block: number) => number[],
  ) {
    this.count = blocks.length;
    const useTensor = this.count > p && m * m * p * p <= 4_000_000;
    if (useTensor) {
      // Each subject as one wide vector w = [x_1 .. x_m, y_1 .. y_m] (x_a its row at position a, p long),
      // sparse: its entries in increasing index. The sums of the pattern are those of w w' (upper
      // triangle): Sxx, Sxy and Syy are blocks of it, read out at the end. Every sum has the same
      // products in the same order as the sums block by block would: the numbers are the same.
      const U = m * p + m;
      const W = new Float64Array(U * U);
      const T = X.width;
      const cols = new Int32Array(T);
      const vals = new Float64Array(T);
      const index = new Int32Array(m * T + m);
      const value = new Float64Array(m * T + m);
      for (const b of blocks) {
        const rows = rowsOf(b);
        let q = 0;
        for (let a = 0; a < m; a++) {
          const nz = X.entries(rows[a], cols, vals, 0);
          for (let s = 0; s < nz; s++) {
            index[q] = a * p + cols[s];
            value[q++] = vals[s];
          }
        }
        for (let a = 0; a < m; a++) {
          index[q] = m * p + a;
          value[q++] = y[rows[a]];
        }
        for (let s = 0; s < q; s++) {
          const o = index[s] * U;
          const x = value[s];
          for (let t = s; t < q; t++) W[o + index[t]] += x * value[t];
        }
      }
      const Sxx = new Float64Array(m * m * p * p);
      const Sxy = new Float64Array(m * m * p);
      const Syy = new Float64Array(m * m);
      // w w' at (u, v), u <= v; the entry below the diagonal is the one above
      const at = (u: number, v: number) => (u <= v ? W[u * U + v] : W[v * U + u]);
      for (let a = 0; a < m; a++) {
        for (let c = 0; c < m; c++) {
          const ac = a * m + c;
          Syy[ac] = at(m * p + a, m * p + c);
          for (let j = 0; j < p; j++) {
            Sxy[ac * p + j] = at(a * p + j, m * p + c);
            for (let k = 0; k < p; k++) Sxx[(ac * p + j) * p + k] = at(a * p + j, c * p + k);
          }
        }
      }
      this.Sxx = Sxx;
      this.Sxy = Sxy;
      this.Syy = Syy;
    } else {
      this.Xs = new Float64Array(this.count * m * p);
      this.ys = new Float64Array(this.count * m);
      const cols = new Int32Array(X.width);
      const vals = new Float64Array(X.width);
      blocks.forEach((b, i) => {
        rowsOf(b).forEach((r, a) => {
          this.ys![i * m + a] = y[r];
          const o = (i * m + a) * p;
          const nz = X.entries(r, cols, vals, 0);
          for (let s = 0; s < nz; s++) this.Xs![o + cols[s]] = vals[s];
        });
      });
    }
  }

  /**
   * A pattern from sums computed elsewhere (a data backend: backends/sql-statistics.ts), in tensor
   * form: `Sxx` m*m*p*p, `Sxy` m*m*p, `Syy` m*m, indexed as the tensor form above.
   */
  static fromSums(layout: BlockLayout, count: number, p: number, Sxx: Float64Array, Sxy: Float64Array, Syy: Float64Array): PatternData {
    const m = layout.positions.length;
    const out = new PatternData(layout, m, p, [], SparseRows.NONE, new Float64Array(0), () => []);
    (out as { count: number }).count = count;
    out.Xs = null;
    out.ys = null;
    out.Sxx = Sxx;
    out.Sxy = Sxy;
    out.Syy = Syy;
    return out;
  }

  /** the tensor form's sums (null in direct form) */
  get tensorSums(): { Sxx: Float64Array; Sxy: Float64Array; Syy: Float64Array } | null {
    return this.Sxx && this.Sxy && this.Syy ? { Sxx: this.Sxx, Sxy: this.Sxy, Syy: this.Syy } : null;
  }

  /** sum_i X_i' A X_i (p x p) */
  quadX(A: Float64Array): Float64Array {
    const { m, p } = this;
    const out = new Float64Array(p * p);
    if (this.Sxx) {
      const pp = p * p;
      for (let ac = 0; ac < m * m; ac++) {
        const w = A[ac];
        if (w === 0) continue;
        const o = ac * pp;
        for (let t = 0; t < pp; t++) out[t] += w * this.Sxx[o + t];
      }
      return out;
    }
    const Xs = this.Xs!;
    for (let i = 0; i < this.count; i++) {
      const Xi = Xs.subarray(i * m * p, (i + 1) * m * p);
      const AX = multiply(A, Xi, m, m, p);
      for (let a = 0; a < m; a++) {
        for (let j = 0; j < p; j++) {
          const xaj = Xi[a * p + j];
          if (xaj === 0) continue;
          for (let k = 0; k < p; k++) out[j * p + k] += xaj * AX[a * p + k];
        }
      }
    }
    return out;
  }

  /** sum_i X_i' A y_i (p) */
  quadXY(A: Float64Array): Float64Array {
    const { m, p } = this;
    const out = new Float64Array(p);
    if (this.Sxy) {
      for (let ac = 0; ac < m * m; ac++) {
        const w = A[ac];
        if (w === 0) continue;
        for (let j = 0; j < p; j++) out[j] += w * this.Sxy[ac * p + j];
      }
      return out;
    }
    for (let i = 0; i < this.count; i++) {
      for (let a = 0; a < m; a++) {
        let s = 0;
        for (let c = 0; c < m; c++) s += A[a * m + c] * this.ys![i * m + c];
        for (let j = 0; j < p; j++) out[j] += this.Xs![(i * m + a) * p + j] * s;
      }
    }
    return out;
  }

  /** sum_i y_i' A y_i */
  quadYY(A: Float64Array): number {
    const m = this.m;
    if (this.Syy) {
      let s = 0;
      for (let ac = 0; ac < m * m; ac++) s += A[ac] * this.Syy[ac];
      return s;
    }
    let s = 0;
    for (let i = 0; i < this.count; i++) {
      for (let a = 0; a < m; a++) {
        const ya = this.ys![i * m + a];
        for (let c = 0; c < m; c++) s += ya * A[a * m + c] * this.ys![i * m + c];
      }
    }
    return s;
  }

  /** Caches the quantities that depend on (X'V^-1X)^-1 = C and beta, for the derivatives. */
  prepare(C: Float64Array, beta: Float64Array): void {
    const { m, p } = this;
    const Q = new Float64Array(m * m);
    const Srr = new Float64Array(m * m);
    const Sxr = new Float64Array(m * m * p);
    if (this.Sxx) {
      const pp = p * p;
      for (let ac = 0; ac < m * m; ac++) {
        const o = ac * pp;
        let q = 0;
        let bSb = 0;
        for (let j = 0; j < p; j++) {
          let sb = 0;
          for (let k = 0; k < p; k++) {
            const s = this.Sxx[o + j * p + k];
            q += C[j * p + k] * s;
            sb += s * beta[k];
          }
          bSb += beta[j] * sb;
          Sxr[ac * p + j] = this.Sxy![ac * p + j] - sb;
        }
        Q[ac] = q;
        const a = Math.floor(ac / m);
        const c = ac % m;
        let bxy = 0;
        let byx = 0;
        for (let j = 0; j < p; j++) {
          bxy += beta[j] * this.Sxy![ac * p + j];
          byx += beta[j] * this.Sxy![(c * m + a) * p + j];
        }
        Srr[ac] = this.Syy![ac] - bxy - byx + bSb;
      }
    } else {
      const Xs = this.Xs!;
      for (let i = 0; i < this.count; i++) {
        const Xi = Xs.subarray(i * m * p, (i + 1) * m * p);
        const XC = multiply(Xi, C, m, p, p);
        const r = new Float64Array(m);
        for (let a = 0; a < m; a++) {
          let fit = 0;
          for (let j = 0; j < p; j++) fit += Xi[a * p + j] * beta[j];
          r[a] = this.ys![i * m + a] - fit;
        }
        for (let a = 0; a < m; a++) {
          for (let c = 0; c < m; c++) {
            let q = 0;
            for (let j = 0; j < p; j++) q += XC[a * p + j] * Xi[c * p + j];
            Q[a * m + c] += q;
            Srr[a * m + c] += r[a] * r[c];
            const o = (a * m + c) * p;
            for (let j = 0; j < p; j++) Sxr[o + j] += Xi[a * p + j] * r[c];
          }
        }
      }
    }
    this.Q = Q;
    this.Srr = Srr;
    this.Sxr = Sxr;
  }

  /** sum_i X_i' A r_i (needs prepare) */
  quadXR(A: Float64Array): Float64Array {
    const { m, p } = this;
    const out = new Float64Array(p);
    for (let ac = 0; ac < m * m; ac++) {
      const w = A[ac];
      if (w === 0) continue;
      for (let j = 0; j < p; j++) out[j] += w * this.Sxr[ac * p + j];
    }
    return out;
  }
}

/**
 * The rows of the non-aliased columns of X, read as sparse rows: GLM coding makes X mostly zeros (one
 * non-zero per term and row), and the fit only ever runs over a row's entries. Columns are numbered
 * among the kept ones, in order. A view of the design's X, not a copy (at a million subjects a copy
 * of the entries was 288 MB).
 */
export class SparseRows {
  static readonly NONE = new SparseRows(new DesignMatrix(0, 0), []);
  /** the most entries a row can have */
  readonly width: number;
  /** by GLM column: its index among the kept columns, or -1 */
  private readonly keep: Int32Array;

  constructor(
    private readonly X: DesignMatrix,
    /** the kept GLM columns, in order */
    private readonly kept: readonly number[],
  ) {
    this.width = X.entriesPerRow;
    this.keep = new Int32Array(X.columns).fill(-1);
    kept.forEach((j, k) => (this.keep[j] = k));
  }

  /** row i's entries, written to cols / vals from `at`; returns how many */
  entries(i: number, cols: Int32Array, vals: Float64Array, at: number): number {
    return this.X.rowEntries(i, cols, vals, at, this.keep);
  }

  /** X'X of the kept columns (p x p), from the design's X'X (computed once) */
  crossProduct(): Float64Array {
    const full = this.X.crossProduct();
    const P = this.X.columns;
    const kept = this.kept;
    const p = kept.length;
    const out = new Float64Array(p * p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) out[a * p + b] = full[kept[a]! * P + kept[b]!]!;
    return out;
  }

  /** X b (b over the kept columns) into out */
  multiplyInto(b: ArrayLike<number>, out: Float64Array): Float64Array {
    const full = new Float64Array(this.X.columns);
    this.kept.forEach((j, k) => (full[j] = b[k]!));
    return this.X.multiplyInto(full, out);
  }

  /** X' e over the kept columns */
  transposeMultiply(e: ArrayLike<number>): Float64Array {
    const full = this.X.transposeMultiply(e);
    return Float64Array.from(this.kept, (j) => full[j]!);
  }
}

/** The non-aliased columns of X as sparse rows, and which GLM columns they are. */
export function fullRankRows(design: Design): { rows: SparseRows; columns: number[] } {
  const columns = design.columns.map((c, j) => (c.aliased ? -1 : j)).filter((j) => j >= 0);
  return { rows: new SparseRows(design.X, columns), columns };
}

const NO_Z = new Float64Array(0);
const NO_COLUMNS: number[] = [];

/**
 * The layout of each subject block: its R positions, its GROUP= groups and its rows of Z.
 * `positionOfRow` replaces the design's positions (a spatial structure places rows by coordinates).
 */
export function blockLayouts(design: Design, positionOfRow?: ArrayLike<number>): BlockLayout[] {
  const T = design.randomTerms.length;
  const owner = new Map<number, number>();
  return design.subjects.map((s, bi) => {
    const positions = positionOfRow ? s.rows.map((r) => positionOfRow[r]) : s.positions;
    // (one empty Z and column list for every subject: a million empty arrays are a burden for the garbage collector)
    if ((T === 0 || !design.zEntries) && !s.rGroups && !s.groups) return { positions, zLocal: NO_Z, localColumns: NO_COLUMNS };
    const rGroups = { ...(s.rGroups ? { rGroups: s.rGroups } : {}), ...(s.groups ? { groups: s.groups } : {}) };
    if (T === 0 || !design.zEntries) return { positions, zLocal: NO_Z, localColumns: NO_COLUMNS, ...rGroups };
    const { columns, values } = design.zEntries;
    const set = new Set<number>();
    for (const r of s.rows) for (let t = 0; t < T; t++) set.add(columns[r * T + t]);
    const localColumns = [...set].sort((a, b) => a - b);
    for (const c of localColumns) {
      const o = owner.get(c);
      if (o !== undefined && o !== bi) {
        throw new Error(
          'a random effect spans several subjects of the REPEATED statement; give the RANDOM statement the same SUBJECT= (crossed random effects are not supported)',
        );
      }
      owner.set(c, bi);
    }
    const index = new Map(localColumns.map((c, i) => [c, i]));
    const g = localColumns.length;
    const zLocal = new Float64Array(s.rows.length * g);
    s.rows.forEach((r, a) => {
      for (let t = 0; t < T; t++) zLocal[a * g + (index.get(columns[r * T + t]) as number)] += values[r * T + t];
    });
    return { positions, zLocal, localColumns, ...rGroups };
  });
}

/**
 * Groups blocks whose V is the same function of the parameters: same positions and same Z rows, with
 * the same pattern of G entries (which G parameter each pair of local columns carries).
 */
export function buildPatterns(
  y: Float64Array,
  layouts: BlockLayout[],
  rowsOf: (block: number) => number[],
  gParameterOf: ((c1: number, c2: number) => number) | null,
  X: SparseRows,
  p: number,
): PatternData[] {
  const groups = new Map<string | number, number[]>();
  layouts.forEach((L, b) => {
    let key: string | number;
    const m = L.positions.length;
    if (!L.rGroups && !L.groups && L.localColumns.length === 0 && m <= 9) {
      // the common case, a subject's positions alone: one number (m, then each position + 1 in base 32,
      // exact below 2^53), not a string per subject
      let code = m;
      let small = true;
      for (let a = 0; a < m; a++) {
        const q = L.positions[a]!;
        if (!(q >= 0 && q < 31)) small = false;
        code = code * 32 + q + 1;
      }
      key = small ? code : L.positions.join(',');
    } else key = L.positions.join(',') + (L.rGroups ? '|r' + L.rGroups.join(',') : '') + (L.groups ? '|g' + L.groups.join(',') : '');
    if (gParameterOf && L.localColumns.length > 0) {
      const g = L.localColumns.length;
      const gp: number[] = [];
      for (let c1 = 0; c1 < g; c1++) for (let c2 = 0; c2 < g; c2++) gp.push(gParameterOf(L.localColumns[c1], L.localColumns[c2]));
      key += '|' + gp.join(',') + '|' + Array.from(L.zLocal).join(',');
    }
    // a block spanning several R-subjects is its own pattern: the likelihood's Woodbury kernel takes it
    // in time linear in its size, from its own rows, where a shared dense V would cost the cube
    if (L.rGroups && L.localColumns.length > 0) key = `block ${b}`;
    const list = groups.get(key);
    if (list) list.push(b);
    else groups.set(key, [b]);
  });
  const patterns: PatternData[] = [];
  for (const blocks of groups.values()) {
    const first = layouts[blocks[0]];
    patterns.push(new PatternData(first, first.positions.length, p, blocks, X, y, rowsOf));
  }
  return patterns;
}
