/**
 * Small dense linear-algebra helpers for hypothesis construction and testing: ranks in column
 * order (SAS's sweep order), null spaces, reduced row echelon form and pseudo-inverses of
 * symmetric matrices. Sizes here are p x p or n x p with p the number of fixed-effect columns.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { DesignMatrix } from '../design-matrix.js';

/** Relative size below which a pivot or eigenvalue counts as zero. */
export const RANK_TOLERANCE = 1e-9;

/**
 * Modified Gram-Schmidt over the columns of `columns` in order: which columns add to the rank of the
 * columns before them (true) and which are linear combinations of them (false). A column adds to
 * the rank when its residual keeps more than `tolerance` of its own norm.
 */
export function rankContributions(columns: Float64Array[], tolerance = RANK_TOLERANCE): boolean[] {
  const basis: Float64Array[] = [];
  const adds: boolean[] = [];
  for (const col of columns) {
    const r = Float64Array.from(col);
    const norm0 = Math.sqrt(dot(r, r));
    if (norm0 === 0) {
      adds.push(false);
      continue;
    }
    // two passes of orthogonalisation keep the residual accurate for nearly dependent columns
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = dot(q, r);
        for (let i = 0; i < r.length; i++) r[i]! -= c * q[i]!;
      }
    }
    const norm = Math.sqrt(dot(r, r));
    if (norm > tolerance * norm0) {
      for (let i = 0; i < r.length; i++) r[i]! /= norm;
      basis.push(r);
      adds.push(true);
    } else adds.push(false);
  }
  return adds;
}

export function matrixColumns(m: Pick<Matrix, 'columns' | 'getColumn'> | { columns: number; getColumn(j: number): ArrayLike<number> }, indices?: number[]): Float64Array[] {
  // a DesignMatrix (n x P, row-major) gives its columns in one pass over its rows
  if (m instanceof DesignMatrix) return m.getColumns(indices);
  const idx = indices ?? Array.from({ length: m.columns }, (_, j) => j);
  return idx.map((j) => Float64Array.from(m.getColumn(j)));
}

export function rankOfColumns(columns: Float64Array[], tolerance = RANK_TOLERANCE): number {
  return rankContributions(columns, tolerance).filter(Boolean).length;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Eigen-decomposition of a symmetric matrix (values ascending, as ml-matrix returns them). */
function symmetricEigen(a: Matrix): { values: number[]; vectors: Matrix } {
  const sym = a.clone().add(a.transpose()).mul(0.5);
  const e = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  return { values: e.realEigenvalues, vectors: e.eigenvectorMatrix };
}

/**
 * Orthonormal basis (as rows) of {x : A x = 0}, for a constraint matrix A (m x p). Rows of A are
 * normalised first so that the tolerance is relative to each constraint.
 */
export function nullSpaceRows(a: Matrix, p: number, tolerance = RANK_TOLERANCE): Matrix {
  if (a.rows === 0) return Matrix.eye(p);
  const scaled = a.clone();
  for (let i = 0; i < scaled.rows; i++) {
    const row = scaled.getRow(i);
    const nrm = Math.sqrt(dot(row, row));
    if (nrm > 0) for (let j = 0; j < p; j++) scaled.set(i, j, row[j]! / nrm);
  }
  const { values, vectors } = symmetricEigen(scaled.transpose().mmul(scaled));
  const top = Math.max(1, ...values.map(Math.abs));
  const keep: number[] = [];
  values.forEach((v, k) => {
    if (Math.abs(v) <= tolerance * top) keep.push(k);
  });
  const out = new Matrix(keep.length, p);
  keep.forEach((k, r) => {
    for (let j = 0; j < p; j++) out.set(r, j, vectors.get(j, k));
  });
  return out;
}

/**
 * Reduced row echelon form with pivots taken in column order (rows that vanish are dropped).
 * Tiny entries are set to exact zero so that printed coefficients read like SAS's.
 */
export function reducedRowEchelon(m: Matrix, tolerance = RANK_TOLERANCE): Matrix {
  const a = m.clone();
  const rows = a.rows;
  const cols = a.columns;
  const scale = Math.max(1e-300, a.max(), -a.min());
  let lead = 0;
  for (let c = 0; c < cols && lead < rows; c++) {
    let best = lead;
    for (let r = lead + 1; r < rows; r++) if (Math.abs(a.get(r, c)) > Math.abs(a.get(best, c))) best = r;
    if (Math.abs(a.get(best, c)) <= tolerance * scale) continue;
    if (best !== lead) a.swapRows(best, lead);
    const pivot = a.get(lead, c);
    for (let j = 0; j < cols; j++) a.set(lead, j, a.get(lead, j) / pivot);
    for (let r = 0; r < rows; r++) {
      if (r === lead) continue;
      const f = a.get(r, c);
      if (f === 0) continue;
      for (let j = 0; j < cols; j++) a.set(r, j, a.get(r, j) - f * a.get(lead, j));
    }
    lead++;
  }
  const out = a.subMatrix(0, Math.max(lead, 1) - 1, 0, cols - 1);
  if (lead === 0) return new Matrix(0, cols);
  for (let r = 0; r < out.rows; r++) for (let j = 0; j < cols; j++) if (Math.abs(out.get(r, j)) < 1e-12) out.set(r, j, 0);
  return out;
}

/**
 * Moore-Penrose inverse and rank of a symmetric positive semi-definite matrix (e.g. L C L').
 * Eigenvalues below tolerance x largest count as zero.
 */
export function symmetricPseudoInverse(a: Matrix, tolerance = RANK_TOLERANCE): { inverse: Matrix; rank: number } {
  const n = a.rows;
  const { values, vectors } = symmetricEigen(a);
  const top = Math.max(0, ...values.map(Math.abs));
  const inv = new Matrix(n, n);
  let rank = 0;
  values.forEach((v, k) => {
    if (top === 0 || v <= tolerance * top) return;
    rank++;
    for (let i = 0; i < n; i++) {
      const vi = vectors.get(i, k) / v;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) inv.set(i, j, inv.get(i, j) + vi * vectors.get(j, k));
    }
  });
  return { inverse: inv, rank };
}
