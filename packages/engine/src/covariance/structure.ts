/**
 * What every covariance structure provides to the likelihood. Parameters are on SAS's scale and in
 * SAS's order (the order of the Covariance Parameter Estimates table), so estimates, their standard
 * errors and the Hessian need no transformation before they are reported.
 */
import type { CovarianceType } from '../model-spec.js';

/**
 * `variance`: bounded below by 0 (SAS keeps variance components non-negative);
 * `covariance`: unbounded; `correlation`: strictly inside (-1, 1);
 * `range`: the range of a spatial correlation (SP(EXP), SP(GAU)), strictly positive. Variances and
 * covariances are in the units of the response squared; correlations and ranges are not.
 */
export type ParameterKind = 'variance' | 'covariance' | 'correlation' | 'range';

/** Whether a parameter of this kind scales with the residual variance (V = sigma^2 V*). */
export function scalesWithVariance(kind: ParameterKind): boolean {
  return kind === 'variance' || kind === 'covariance';
}

/**
 * Whether SAS bounds the parameter below by 0: its confidence limits (PROC MIXED CL) are then
 * Satterthwaite chi-square limits, the others Wald limits, and COVTEST's p-value is one-sided.
 */
export function boundedBelowByZero(kind: ParameterKind): boolean {
  return kind === 'variance' || kind === 'range';
}

export interface CovarianceParameter {
  /** SAS row name: "UN(2,1)", "CS", "AR(1)", "Var(1)", "Residual", "Block" */
  name: string;
  kind: ParameterKind;
}

/** An R-side (REPEATED) structure over `dimension` positions (levels of the repeated effect). */
export interface ResidualStructure {
  readonly type: CovarianceType;
  /** what SAS's Model Information table calls it */
  readonly description: string;
  readonly dimension: number;
  readonly parameters: CovarianceParameter[];
  /** true when R is linear in the parameters (then all second derivatives are zero) */
  readonly linear: boolean;
  /** R[i][j] for positions i, j */
  entry(theta: ArrayLike<number>, i: number, j: number): number;
  /** calls visit(k, dR[i][j]/dtheta_k) for each parameter k on which the entry depends */
  entryGradient(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, value: number) => void): void;
  /** calls visit(k, l, d2R[i][j]/dtheta_k dtheta_l) for k <= l, non-zero terms only */
  entrySecond(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, l: number, value: number) => void): void;
  /** the parameter values at which R = I (the MIVQUE0 expansion point) */
  identity(): number[];
  /**
   * Candidate values of the parameters that enter R non-linearly and that the MIVQUE0 step cannot
   * start (a spatial range): the starting values try each and keep the best likelihood.
   */
  startGrid?(): { index: number; values: number[] }[];
}
