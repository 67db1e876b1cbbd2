/**
 * What the optimizer minimises, in which parameters.
 *
 * SAS profiles the residual variance out of the likelihood whenever the covariance has a common scale
 * ("Residual Variance Method: Profile"): V = sigma^2 V*(psi), where psi are the other parameters
 * divided by sigma^2 (correlations stay as they are), and sigma^2 has a closed form given psi
 * (r'V*^-1 r / (n - p) under REML, / n under ML). Newton-Raphson then runs on psi. This is what
 * reproduces the documented iteration history of the heights example (Getting Started) to all 8
 * printed decimals at every iteration; iterating on theta directly takes another path and stops at
 * another point. Structures without a common scale (UN, CSH, ARH(1), TOEPH, ANTE(1), any structure
 * with GROUP=) iterate on theta.
 */
import type { CovarianceModel } from '../covariance/covariance-model.js';
import { scalesWithVariance, type ParameterKind } from '../covariance/structure.js';
import type { LikelihoodEvaluation, ProfiledLikelihood } from './likelihood.js';

export interface ObjectiveValue {
  value: number;
  gradient: Float64Array;
  hessian: Float64Array;
  expected: Float64Array;
  /** the full likelihood evaluation at the corresponding covariance parameters */
  evaluation: LikelihoodEvaluation;
  /**
   * Profiled objectives: the Hessian of -2l in all the optimizer's coordinates u = (psi, sigma^2)
   * (n x n, including the curvature of theta(u)) and the Jacobian d theta / d u (q x n). SAS's
   * asymptotic covariance of theta is 2 J H_u^-1 J' (equal to 2 H_theta^-1 at a stationary point).
   */
  profiled?: { hessian: Float64Array; jacobian: Float64Array; n: number };
}

export interface Objective {
  /** the optimizer's parameters */
  kinds: ParameterKind[];
  /** null when the point is not admissible (V not positive definite) */
  evaluate(x: number[]): ObjectiveValue | null;
  /** the additive constant of -2l ((n - p) log 2pi or n log 2pi), which SAS's criterion leaves out of |f| */
  constant: number;
  /** the optimizer's parameters for covariance parameters theta */
  fromTheta(theta: number[]): number[];
  /** index in theta of each optimizer parameter */
  thetaIndex: number[];
}

/** Newton-Raphson directly in the covariance parameters (structures without a common scale, e.g. UN). */
export function directObjective(likelihood: ProfiledLikelihood, model: CovarianceModel): Objective {
  return {
    kinds: model.parameters.map((p) => p.kind),
    constant: likelihood.constant,
    thetaIndex: model.parameters.map((_, k) => k),
    fromTheta: (theta) => theta.slice(),
    evaluate(x) {
      const ev = likelihood.evaluate(x, 2);
      if (!ev) return null;
      return {
        value: ev.minus2ll,
        gradient: ev.gradient as Float64Array,
        hessian: ev.hessian as Float64Array,
        expected: ev.expected as Float64Array,
        evaluation: ev,
      };
    },
  };
}


/**
 * The index of the residual variance that scales all of V, or -1: the R side must be one of SAS's
 * structures with a "Residual" parameter (VC, CS, AR(1), TOEP); G parameters are variances and
 * covariances, which scale with it.
 */
export function commonScaleIndex(model: CovarianceModel): number {
  const k = model.parameters.findIndex((p) => p.side === 'R' && p.name === 'Residual');
  if (k < 0) return -1;
  return ['VC', 'CS', 'AR1', 'TOEP', 'SPPOW', 'SPEXP', 'SPGAU'].includes(model.structure) ? k : -1;
}

/** Newton-Raphson in psi = theta / sigma^2 with sigma^2 profiled out (SAS's default when possible). */
export function profiledObjective(likelihood: ProfiledLikelihood, model: CovarianceModel, residual: number): Objective {
  const q = model.size;
  const scaled = model.parameters.map((p) => scalesWithVariance(p.kind));
  const thetaIndex = model.parameters.map((_, k) => k).filter((k) => k !== residual);
  const r = thetaIndex.length;
  const denominator = likelihood.method === 'REML' ? likelihood.n - likelihood.p : likelihood.n;
  const expand = (x: number[], s: number): number[] => {
    const theta = new Array<number>(q);
    thetaIndex.forEach((k, i) => (theta[k] = scaled[k] ? s * x[i] : x[i]));
    theta[residual] = s;
    return theta;
  };
  return {
    kinds: thetaIndex.map((k) => model.parameters[k].kind),
    constant: likelihood.constant,
    thetaIndex,
    fromTheta: (theta) => thetaIndex.map((k) => (scaled[k] ? theta[k] / theta[residual] : theta[k])),
    evaluate(x) {
      const unit = likelihood.evaluate(expand(x, 1), 0);
      if (!unit) return null;
      const s = unit.rWr / denominator;
      if (!(s > 0)) return null;
      const theta = expand(x, s);
      const ev = likelihood.evaluate(theta, 2);
      if (!ev) return null;
      const coordinates = profiledCoordinates(model, residual, theta, ev);
      const { jacobian: J, n } = coordinates;
      const g = ev.gradient as Float64Array;
      // s at its optimum given psi: the Hessian of the profiled function is the Schur complement
      const schur = (full: Float64Array): Float64Array => {
        const out = new Float64Array(r * r);
        const hss = full[r * n + r];
        for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) out[a * r + b] = full[a * n + b] - (full[a * n + r] * full[r * n + b]) / hss;
        return out;
      };
      // envelope: d f_profiled / d psi = the psi part of the chain rule (the s part is 0 at the optimum)
      const gradient = new Float64Array(r);
      for (let i = 0; i < r; i++) {
        let v = 0;
        for (let k = 0; k < q; k++) v += J[k * n + i] * g[k];
        gradient[i] = v;
      }
      return {
        value: ev.minus2ll,
        gradient,
        hessian: schur(coordinates.hessian),
        expected: schur(coordinates.expected),
        evaluation: ev,
        profiled: { hessian: coordinates.hessian, jacobian: J, n },
      };
    },
  };
}

/**
 * The Hessian and expected information of -2l in the profiling coordinates u = (psi, sigma^2), psi =
 * the other parameters over sigma^2 (correlations and ranges as they are), at any theta: J'HJ plus, for
 * the observed Hessian, the curvature of theta(u) (d2 theta_k / d psi_k d sigma^2 = 1). J = d theta / du
 * (q x n, columns: the parameters other than `residual` in order, then sigma^2).
 */
export function profiledCoordinates(
  model: CovarianceModel,
  residual: number,
  theta: ArrayLike<number>,
  ev: LikelihoodEvaluation,
): { hessian: Float64Array; expected: Float64Array; jacobian: Float64Array; n: number } {
  const q = model.size;
  const scaled = model.parameters.map((p) => scalesWithVariance(p.kind));
  const thetaIndex = model.parameters.map((_, k) => k).filter((k) => k !== residual);
  const r = thetaIndex.length;
  const n = r + 1;
  const s = theta[residual];
  const g = ev.gradient as Float64Array;
  const J = new Float64Array(q * n);
  thetaIndex.forEach((k, i) => (J[k * n + i] = scaled[k] ? s : 1));
  for (let k = 0; k < q; k++) if (scaled[k]) J[k * n + r] = theta[k] / s;
  const transform = (M: Float64Array, withCurvature: boolean): Float64Array => {
    const full = new Float64Array(n * n);
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        let v = 0;
        for (let k = 0; k < q; k++) {
          const jka = J[k * n + a];
          if (jka === 0) continue;
          for (let l = 0; l < q; l++) v += jka * M[k * q + l] * J[l * n + b];
        }
        full[a * n + b] = v;
      }
    }
    if (withCurvature) {
      thetaIndex.forEach((k, i) => {
        if (!scaled[k]) return;
        full[i * n + r] += g[k];
        full[r * n + i] += g[k];
      });
    }
    return full;
  };
  return { hessian: transform(ev.hessian as Float64Array, true), expected: transform(ev.expected as Float64Array, false), jacobian: J, n };
}
