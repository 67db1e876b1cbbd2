/**
 * Wald tests of linear hypotheses L β = 0 about the fixed effects, for the Type 3 table, CONTRAST-
 * and ESTIMATE-like requests and LS-means:
 *   F = (Lβ̂)' (L C L')⁻ (Lβ̂) / rank(L C L'),  C = Cov(β̂) = (X'V⁻¹X)⁻,
 * and for a single row the t statistic with its confidence interval.
 * Degrees of freedom come from the caller (inference/ddf.ts), because they depend on the DDFM.
 */
import { Matrix } from 'ml-matrix';
import { fisherFUpper, studentTQuantile, studentTTwoSidedP } from '../distributions/central.js';
import { symmetricPseudoInverse } from './linear-algebra.js';

/** What inference needs from a fit: full-length β̂ (0 at aliased columns) and its covariance. */
export interface FixedEffectsFit {
  beta: Float64Array;
  /** (X'V⁻¹X)⁻, p x p over all GLM columns, zero rows/columns at aliased columns */
  covBeta: Matrix;
}

export interface FTestResult {
  numdf: number;
  F: number;
  p: number;
}

export interface TTestResult {
  estimate: number;
  se: number;
  t: number;
  p: number;
  lower: number;
  upper: number;
}

function asRowMatrix(L: Matrix | ArrayLike<number>): Matrix {
  return L instanceof Matrix ? L : Matrix.rowVector(Array.from(L));
}

/** L β̂ and L C L' for the rows of L. */
export function linearCombination(L: Matrix | ArrayLike<number>, fit: FixedEffectsFit): { estimate: number[]; covariance: Matrix } {
  const l = asRowMatrix(L);
  const b = Matrix.columnVector(Array.from(fit.beta));
  return { estimate: l.mmul(b).getColumn(0), covariance: l.mmul(fit.covBeta).mmul(l.transpose()) };
}

/**
 * F test of L β = 0. The numerator df is the rank of L C L' (SAS uses rank(L C L'), which equals
 * rank(L) for estimable L with C of full rank on the estimable space).
 */
export function fTest(L: Matrix, fit: FixedEffectsFit, denominatorDf: number): FTestResult {
  const { estimate, covariance } = linearCombination(L, fit);
  const { inverse, rank } = symmetricPseudoInverse(covariance);
  if (rank === 0) return { numdf: 0, F: NaN, p: NaN };
  const e = Matrix.columnVector(estimate);
  const F = e.transpose().mmul(inverse).mmul(e).get(0, 0) / rank;
  return { numdf: rank, F, p: fisherFUpper(F, rank, denominatorDf) };
}

/** t test and two-sided (1 − α) confidence interval for a single linear combination l'β. */
export function tTest(l: ArrayLike<number>, fit: FixedEffectsFit, df: number, alpha = 0.05): TTestResult {
  const { estimate, covariance } = linearCombination(l, fit);
  const est = estimate[0]!;
  const se = Math.sqrt(Math.max(0, covariance.get(0, 0)));
  const t = est / se;
  const crit = studentTQuantile(1 - alpha / 2, df);
  return { estimate: est, se, t, p: studentTTwoSidedP(t, df), lower: est - crit * se, upper: est + crit * se };
}
