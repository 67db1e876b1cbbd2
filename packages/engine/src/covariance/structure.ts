/**
 * What every covariance structure provides to the likelihood. Parameters are on SAS's scale and in
 * SAS's order (the order of the Covariance Parameter Estimates table), so estimates, their standard
 * errors and the Hessian need no transformation before they are reported.
 */
import type { CovarianceType } from '../model-spec.js';

/**
 * `variance`: bounded below by 0 (SAS keeps variance components non-negative);
 * `covariance`: unbounded; `correlation`: strictly inside (-1, 1).
 */
export type ParameterKind = 'variance' | 'covariance' | 'correlation';

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
}
