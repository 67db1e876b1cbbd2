/**
 * Inverting a Hessian or information matrix of the covariance parameters.
 *
 * The parameters mix units (a variance in y², a correlation without units, a range in the units of a
 * coordinate), so the entries of H can differ by many orders of magnitude, and do when y is rescaled:
 * multiplying y by 100 multiplies a variance row of H by 1e-8 and leaves a correlation row alone. Any
 * tolerance relative to the largest entry or eigenvalue of H then depends on the units. Equilibrating
 * first, A = D H D with D = diag(|H_kk|)^(-1/2), makes every diagonal entry 1 whatever the units, so:
 *   - positive definiteness is decided by the Cholesky factor of A (a relative pivot test);
 *   - when A is not positive definite, a pseudo-inverse of A with eigenvalues below tol * max|eigenvalue|
 *     dropped (the directions H says nothing about), mapped back: H⁻ = D A⁺ D.
 * The fit (Cov(θ̂) = 2H⁻¹), Satterthwaite and Kenward-Roger (their W) all use this one function.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { cholesky, inverseFromCholesky } from './dense.js';

export interface InformationInverse {
  /** H⁻¹, or the pseudo-inverse when H is not positive definite (n × n, row-major) */
  inverse: Float64Array;
  /** H is positive definite (after equilibration) */
  positiveDefinite: boolean;
  /** number of directions kept */
  rank: number;
}

/** Relative eigenvalue (of the equilibrated matrix) below which a direction counts as singular. */
export const INFORMATION_TOLERANCE = 1e-10;

export function invertInformation(H: ArrayLike<number>, n: number, tolerance = INFORMATION_TOLERANCE): InformationInverse {
  if (n === 0) return { inverse: new Float64Array(0), positiveDefinite: true, rank: 0 };
  const d = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const h = Math.abs(H[k * n + k]);
    d[k] = h > 0 && Number.isFinite(h) ? 1 / Math.sqrt(h) : 0;
  }
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] = d[i] * H[i * n + j] * d[j];
  const scaleBack = (inv: ArrayLike<number>) => {
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = d[i] * inv[i * n + j] * d[j];
    return out;
  };
  const allFinite = Array.prototype.every.call(A, (v: number) => Number.isFinite(v));
  const L = allFinite && d.every((v) => v > 0) ? cholesky(A, n) : null;
  if (L) return { inverse: scaleBack(inverseFromCholesky(L, n)), positiveDefinite: true, rank: n };
  if (!allFinite) return { inverse: new Float64Array(n * n), positiveDefinite: false, rank: 0 };
  // not positive definite: the pseudo-inverse over the directions with a clearly positive eigenvalue
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) m.set(i, j, 0.5 * (A[i * n + j] + A[j * n + i]));
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const values = e.realEigenvalues;
  const vectors = e.eigenvectorMatrix;
  const top = Math.max(0, ...values.map(Math.abs));
  const inv = new Float64Array(n * n);
  let rank = 0;
  values.forEach((v, k) => {
    if (!(top > 0) || v <= tolerance * top) return;
    rank++;
    for (let i = 0; i < n; i++) {
      const vi = vectors.get(i, k) / v;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) inv[i * n + j] += vi * vectors.get(j, k);
    }
  });
  return { inverse: scaleBack(inv), positiveDefinite: false, rank };
}

/** invertInformation on an ml-matrix Matrix, returning a Matrix. */
export function invertInformationMatrix(H: Matrix, tolerance = INFORMATION_TOLERANCE): { inverse: Matrix; positiveDefinite: boolean; rank: number } {
  const n = H.rows;
  const flat = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) flat[i * n + j] = H.get(i, j);
  const r = invertInformation(flat, n, tolerance);
  const inverse = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) inverse.set(i, j, r.inverse[i * n + j]);
  return { inverse, positiveDefinite: r.positiveDefinite, rank: r.rank };
}
