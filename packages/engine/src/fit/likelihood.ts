/**
 * -2 (restricted) log likelihood of a linear mixed model with beta profiled out, in SAS's form,
 * with its analytic gradient and observed and expected Hessians in the covariance parameters.
 *
 *   REML: -2 l_R = (n - p) log 2pi + log|V| + log|X'V^-1X| + r'V^-1 r
 *   ML:   -2 l   =  n      log 2pi + log|V|                  + r'V^-1 r
 *
 * X holds the non-aliased GLM columns (p = rank X), r = y - X beta_hat. With P = V^-1 - V^-1 X C X' V^-1,
 * C = (X'V^-1X)^-1 (REML; P = V^-1 for the trace terms under ML):
 *   d/dk       = tr(P V_k) - y'P V_k P y
 *   d2/dk dl   = -tr(P V_k P V_l) + tr(P V_kl) + 2 y'P V_k P V_l P y - y'P V_kl P y   (observed)
 *   E d2/dk dl = tr(P V_k P V_l)                                                       (expected)
 * The quadratic terms are those of the profiled criterion under both methods. Every term is a sum over
 * patterns of traces of small matrices against the pattern's data sums (see patterns.ts).
 */
import type { CovarianceModel } from '../covariance/covariance-model.js';
import type { EstimationMethod } from '../model-spec.js';
import {
  cholesky,
  elementwiseDot,
  inverseFromCholesky,
  logDetFromCholesky,
  multiply,
  multiplySparse,
  multiplySparseRight,
  sparseEntries,
  solveCholesky,
  traceProduct,
} from './dense.js';
import type { PatternData } from './patterns.js';
import { SpanningKernel, type SpanningState } from './spanning.js';

export interface LikelihoodEvaluation {
  theta: number[];
  minus2ll: number;
  /** beta on the non-aliased columns */
  beta: Float64Array;
  /** (X'V^-1X)^-1, rank x rank */
  C: Float64Array;
  /** r'V^-1 r */
  rWr: number;
  gradient?: Float64Array;
  /** observed Hessian of -2l, q x q row-major */
  hessian?: Float64Array;
  /** expected (Fisher) information of -2l, q x q */
  expected?: Float64Array;
}

/** 0: value only; 1: with gradient; 2: with gradient and Hessians */
export type EvaluationLevel = 0 | 1 | 2;

export class ProfiledLikelihood {
  readonly q: number;
  /** (n - p) log 2pi under REML, n log 2pi under ML */
  readonly constant: number;

  /** per pattern: the Woodbury kernel of a block a random effect spans across R-subjects (null: dense V) */
  readonly kernels: (SpanningKernel | null)[];

  constructor(
    readonly model: CovarianceModel,
    readonly patterns: PatternData[],
    /** number of observations */
    readonly n: number,
    /** rank of X */
    readonly p: number,
    readonly method: EstimationMethod,
  ) {
    this.q = model.size;
    this.constant = (method === 'REML' ? n - p : n) * Math.log(2 * Math.PI);
    this.kernels = patterns.map((pat) =>
      model.random && pat.layout.rGroups && pat.count === 1 && pat.directX && pat.directY && pat.layout.localColumns.length > 0
        ? new SpanningKernel(model, pat.layout, pat.directX, pat.directY, p)
        : null,
    );
  }

  /** null when theta gives a V (or X'V^-1X) that is not positive definite */
  evaluate(thetaIn: ArrayLike<number>, level: EvaluationLevel = 0): LikelihoodEvaluation | null {
    const theta = Array.from(thetaIn);
    if (!this.model.admissible(theta)) return null;
    const { p, q, patterns } = this;
    const reml = this.method === 'REML';

    const W: Float64Array[] = [];
    const states: (SpanningState | null)[] = [];
    const XtWX = new Float64Array(p * p);
    const XtWy = new Float64Array(p);
    let yWy = 0;
    let logDetV = 0;
    for (const [pi, pat] of patterns.entries()) {
      const kernel = this.kernels[pi];
      if (kernel) {
        const st = kernel.evaluate(theta);
        if (!st) return null;
        states.push(st);
        W.push(new Float64Array(0));
        logDetV += st.logDetV;
        for (let t = 0; t < p * p; t++) XtWX[t] += st.XtWX[t];
        for (let j = 0; j < p; j++) XtWy[j] += st.XtWy[j];
        yWy += st.yWy;
        continue;
      }
      states.push(null);
      const V = this.model.blockCovariance(theta, pat.layout);
      const L = cholesky(V, pat.m);
      if (!L) return null;
      const Wi = inverseFromCholesky(L, pat.m);
      W.push(Wi);
      logDetV += pat.count * logDetFromCholesky(L, pat.m);
      const a = pat.quadX(Wi);
      for (let t = 0; t < p * p; t++) XtWX[t] += a[t];
      const b = pat.quadXY(Wi);
      for (let j = 0; j < p; j++) XtWy[j] += b[j];
      yWy += pat.quadYY(Wi);
    }
    const Lx = p > 0 ? cholesky(XtWX, p) : new Float64Array(0);
    if (!Lx) return null;
    const C = p > 0 ? inverseFromCholesky(Lx, p) : new Float64Array(0);
    const beta = p > 0 ? solveCholesky(Lx, p, XtWy) : new Float64Array(0);
    let rWr = yWy;
    for (let j = 0; j < p; j++) rWr -= beta[j] * XtWy[j];
    const minus2ll = this.constant + logDetV + (reml && p > 0 ? logDetFromCholesky(Lx, p) : 0) + rWr;
    const result: LikelihoodEvaluation = { theta, minus2ll, beta, C, rWr };
    if (level === 0) return result;

    const gradient = new Float64Array(q);
    // b_k = X'V^-1 V_k V^-1 r, M_k = X'V^-1 V_k V^-1 X
    const b: Float64Array[] = Array.from({ length: q }, () => new Float64Array(p));
    const M: Float64Array[] = level === 2 ? Array.from({ length: q }, () => new Float64Array(p * p)) : [];
    const T = new Float64Array(q * q); // tr(V^-1 V_k V^-1 V_l)
    const CN = new Float64Array(q * q); // tr(C X'V^-1 V_k V^-1 V_l V^-1 X)
    const RR = new Float64Array(q * q); // r'V^-1 V_k V^-1 V_l V^-1 r
    const S2 = new Float64Array(q * q); // tr(P V_kl) - y'P V_kl P y

    patterns.forEach((pat, pi) => {
      const st = states[pi];
      if (st) {
        const d = this.kernels[pi]!.derivatives(st, beta, C, level, reml);
        for (let k = 0; k < q; k++) {
          let g = d.trWV[k] - d.uVu[k];
          if (reml) g -= traceProduct(C, d.M[k], p);
          gradient[k] += g;
          for (let j = 0; j < p; j++) b[k][j] += d.b[k][j];
          if (level === 2 && reml) for (let t = 0; t < p * p; t++) M[k][t] += d.M[k][t];
        }
        if (level === 2) {
          for (let t = 0; t < q * q; t++) {
            T[t] += d.T![t];
            RR[t] += d.RR![t];
            if (reml) CN[t] += d.CN![t];
            S2[t] += d.S2![t];
          }
        }
        return;
      }
      const m = pat.m;
      const Wi = W[pi];
      pat.prepare(C, beta);
      const dV = this.model.blockDerivatives(theta, pat.layout);
      // each V_k's non-zeros found once (multiplied by W and by every D_k below)
      const sparseDV = dV.map((Vk) => (Vk ? sparseEntries(Vk, m, m) : null));
      const timesDV = (A: Float64Array, l: number) => (sparseDV[l] ? multiplySparse(A, sparseDV[l]!, m, m, m) : multiply(A, dV[l] as Float64Array, m, m, m));
      const D: (Float64Array | null)[] = dV.map((Vk, k) => (Vk ? multiply(timesDV(Wi, k), Wi, m, m, m) : null));
      for (let k = 0; k < q; k++) {
        const Dk = D[k];
        if (!Dk) continue;
        gradient[k] += pat.count * traceProduct(Wi, dV[k] as Float64Array, m) - elementwiseDot(Dk, pat.Srr);
        if (reml) gradient[k] -= elementwiseDot(Dk, pat.Q);
        const bk = pat.quadXR(Dk);
        for (let j = 0; j < p; j++) b[k][j] += bk[j];
        if (level === 2 && reml) {
          const Mk = pat.quadX(Dk);
          for (let t = 0; t < p * p; t++) M[k][t] += Mk[t];
        }
      }
      if (level < 2) return;
      for (let k = 0; k < q; k++) {
        const Dk = D[k];
        if (!Dk) continue;
        for (let l = k; l < q; l++) {
          const Vl = dV[l];
          if (!Vl) continue;
          const E = multiply(timesDV(Dk, l), Wi, m, m, m);
          const idx = k * q + l;
          T[idx] += pat.count * traceProduct(Dk, Vl, m);
          RR[idx] += elementwiseDot(E, pat.Srr);
          if (reml) CN[idx] += elementwiseDot(E, pat.Q);
        }
      }
      for (const { k, l, matrix } of this.model.blockSecondDerivatives(theta, pat.layout)) {
        const F = multiply(multiplySparseRight(Wi, matrix, m, m, m), Wi, m, m, m);
        let s = pat.count * traceProduct(Wi, matrix, m) - elementwiseDot(F, pat.Srr);
        if (reml) s -= elementwiseDot(F, pat.Q);
        S2[k * q + l] += s;
      }
    });
    result.gradient = gradient;
    if (level < 2) return result;

    const CM = reml ? M.map((Mk) => multiply(C, Mk, p, p, p)) : [];
    const Cb = b.map((bk) => multiply(C, bk, p, p, 1));
    const hessian = new Float64Array(q * q);
    const expected = new Float64Array(q * q);
    for (let k = 0; k < q; k++) {
      for (let l = k; l < q; l++) {
        const idx = k * q + l;
        let trPVkPVl = T[idx];
        if (reml) trPVkPVl += -2 * CN[idx] + traceProduct(CM[k], CM[l], p);
        let bCb = 0;
        for (let j = 0; j < p; j++) bCb += b[k][j] * Cb[l][j];
        const yPVkPVlPy = RR[idx] - bCb;
        const h = -trPVkPVl + 2 * yPVkPVlPy + S2[idx];
        hessian[idx] = hessian[l * q + k] = h;
        expected[idx] = expected[l * q + k] = trPVkPVl;
      }
    }
    result.hessian = hessian;
    result.expected = expected;
    return result;
  }
}
