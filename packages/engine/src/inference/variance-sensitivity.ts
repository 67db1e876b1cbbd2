/**
 * How Cov(β̂) depends on the covariance parameters θ: the pieces shared by the Satterthwaite and
 * Kenward-Roger approximations, accumulated subject block by subject block (V is block diagonal).
 *
 * Over the non-aliased GLM columns (X of full column rank), with V_k = ∂V/∂θ_k and Φ = (X'V⁻¹X)⁻¹:
 *   P_k  = ∂(X'V⁻¹X)/∂θ_k = −X'V⁻¹V_kV⁻¹X                  (Kenward & Roger 1997, P_i)
 *   Q_kl = X'V⁻¹V_kV⁻¹V_lV⁻¹X                               (Q_ij)
 *   R_kl = X'V⁻¹(∂²V/∂θ_k∂θ_l)V⁻¹X                          (R_ij; zero for structures linear in θ)
 *   T_kl = tr(V⁻¹V_kV⁻¹V_l)
 * so that ∂Φ/∂θ_k = −Φ P_k Φ, and the expected REML information (of −2l) is
 *   I_kl = T_kl − 2 tr(Φ Q_kl) + tr(Φ P_k Φ P_l) = tr(Π V_k Π V_l),  Π = V⁻¹ − V⁻¹XΦX'V⁻¹.
 */
import { Matrix } from 'ml-matrix';
import type { Design } from '../design-types.js';
import type { FitResult } from '../fit/fit-model.js';
import { cholesky, inverseFromCholesky, multiply, traceProduct as denseTraceProduct } from '../fit/dense.js';

export interface VarianceSensitivity {
  /** the non-aliased GLM columns, in order: the rows/columns of every matrix below */
  kept: number[];
  /** Φ = (X'V⁻¹X)⁻¹ over the kept columns (the fit's Cov(β̂)) */
  Phi: Matrix;
  /** P_k, one per covariance parameter */
  P: Matrix[];
  /** Q_kl (Q_lk = Q_kl') */
  Q: Matrix[][];
  /** R_kl, or null when no structure in the model has second derivatives */
  R: Matrix[][] | null;
  /** tr(V⁻¹V_kV⁻¹V_l) */
  traces: Matrix;
  /** number of covariance parameters */
  q: number;
}

/** Columns of the design that are not aliased (the fit's full-rank X). */
export function keptColumns(design: Pick<Design, 'columns'>): number[] {
  return design.columns.flatMap((c, j) => (c.aliased ? [] : [j]));
}

/** L over all GLM columns -> L over the kept columns. */
export function restrictColumns(L: Matrix, kept: number[]): Matrix {
  return L.subMatrixColumn(kept);
}

type SensitivityFit = Pick<FitResult, 'theta' | 'covBeta' | 'covarianceModel' | 'likelihood' | 'q'>;

/**
 * P, Q, R and the traces as sums over the likelihood's patterns (subjects with the same V share it):
 * Σ_i X_i'A X_i comes from each pattern's cross-product tensors, so the cost depends on the number of
 * patterns and the block size, not on the number of subjects.
 */
export function varianceSensitivity(design: Pick<Design, 'columns'>, fit: SensitivityFit): VarianceSensitivity {
  const kept = keptColumns(design);
  const p = kept.length;
  const q = fit.q;
  const Phi = fit.covBeta.selection(kept, kept);
  const P = Array.from({ length: q }, () => new Matrix(p, p));
  const Q = Array.from({ length: q }, () => Array.from({ length: q }, () => new Matrix(p, p)));
  const traces = new Matrix(q, q);
  const model = fit.covarianceModel;
  const R = model.residual.linear ? null : Array.from({ length: q }, () => Array.from({ length: q }, () => new Matrix(p, p)));
  const addTo = (M: Matrix, flat: Float64Array, sign = 1) => {
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) M.set(a, b, M.get(a, b) + sign * flat[a * p + b]!);
  };

  // blocks a random effect spans across R-subjects: the Woodbury kernel's sums, linear in the block's size
  const kernels = fit.likelihood.kernels;
  // P, Q, R and the traces do not involve the residuals: any beta will do
  const anyBeta = new Float64Array(p);
  const PhiFlat = Float64Array.from({ length: p * p }, (_, t) => Phi.get(Math.floor(t / p), t % p));
  fit.likelihood.patterns.forEach((pat, pi) => {
    const kernel = kernels[pi];
    if (!kernel) return;
    const st = kernel.evaluate(fit.theta);
    if (!st) throw new Error('V is not positive definite at the estimate');
    const d = kernel.derivatives(st, anyBeta, PhiFlat, 2, true, true);
    for (let k = 0; k < q; k++) {
      addTo(P[k]!, d.M[k]!, -1);
      for (let l = k; l < q; l++) {
        const idx = k * q + l;
        const qkl = d.QQ!.get(idx);
        if (qkl) {
          addTo(Q[k]![l]!, qkl);
          if (l !== k) {
            const t = Q[l]![k]!;
            for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) t.set(a, b, t.get(a, b) + qkl[b * p + a]!);
          }
        }
        const tr = d.T![idx]!;
        traces.set(k, l, traces.get(k, l) + tr);
        if (l !== k) traces.set(l, k, traces.get(l, k) + tr);
      }
    }
    if (R) {
      for (const [idx, r] of d.R2!) {
        const k = Math.floor(idx / q);
        const l = idx % q;
        addTo(R[k]![l]!, r);
        if (l !== k) addTo(R[l]![k]!, r);
      }
    }
  });

  fit.likelihood.patterns.forEach((pat, pi) => {
    if (kernels[pi]) return;
    const m = pat.m;
    const L = cholesky(model.blockCovariance(fit.theta, pat.layout), m);
    if (!L) throw new Error('V is not positive definite at the estimate');
    const W = inverseFromCholesky(L, m);
    const dV = model.blockDerivatives(fit.theta, pat.layout);
    // H_k = V_k W, D_k = W V_k W (m x m)
    const H = dV.map((Vk) => (Vk ? multiply(Vk, W, m, m, m) : null));
    const D = H.map((Hk) => (Hk ? multiply(W, Hk, m, m, m) : null));
    for (let k = 0; k < q; k++) {
      if (!D[k]) continue;
      addTo(P[k]!, pat.quadX(D[k]!), -1);
      for (let l = k; l < q; l++) {
        if (!D[l]) continue;
        // Q_kl = Σ X' W V_k W V_l W X = quadX(D_k V_l W) = quadX(D_k H_l)
        const qkl = pat.quadX(multiply(D[k]!, H[l]!, m, m, m));
        addTo(Q[k]![l]!, qkl);
        if (l !== k) {
          const t = Q[l]![k]!;
          for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) t.set(a, b, t.get(a, b) + qkl[b * p + a]!);
        }
        // tr(W V_k W V_l) = tr(H_k H_l)
        const tr = pat.count * denseTraceProduct(H[k]!, H[l]!, m);
        traces.set(k, l, traces.get(k, l) + tr);
        if (l !== k) traces.set(l, k, traces.get(l, k) + tr);
      }
    }
    if (R) {
      for (const sd of model.blockSecondDerivatives(fit.theta, pat.layout)) {
        const r = pat.quadX(multiply(multiply(W, sd.matrix, m, m, m), W, m, m, m));
        addTo(R[sd.k]![sd.l]!, r);
        if (sd.l !== sd.k) addTo(R[sd.l]![sd.k]!, r);
      }
    }
  });
  return { kept, Phi, P, Q, R, traces, q };
}

/** tr(A B) for square A, B */
function traceOfProduct(a: Matrix, b: Matrix): number {
  let s = 0;
  const n = a.rows;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += a.get(i, j) * b.get(j, i);
  return s;
}

/** tr(A B) for square A, B (exported for the df modules) */
export function traceProduct(a: Matrix, b: Matrix): number {
  return traceOfProduct(a, b);
}

/**
 * The expected information of θ for −2l under REML: I_kl = tr(Π V_k Π V_l)
 * = T_kl − 2 tr(Φ Q_kl) + tr(Φ P_k Φ P_l) (pbkrtest's IE2).
 */
export function expectedRemlInformation(s: VarianceSensitivity): Matrix {
  const I = new Matrix(s.q, s.q);
  const PhiP = s.P.map((Pk) => s.Phi.mmul(Pk));
  for (let k = 0; k < s.q; k++) {
    for (let l = k; l < s.q; l++) {
      const v = s.traces.get(k, l) - 2 * traceOfProduct(s.Phi, s.Q[k]![l]!) + traceOfProduct(PhiP[k]!, PhiP[l]!);
      I.set(k, l, v);
      I.set(l, k, v);
    }
  }
  return I;
}

/**
 * Symmetric eigen decomposition with eigenvalues in decreasing order (columns of `vectors`).
 */
export function symmetricEigen(a: Matrix): { values: number[]; vectors: Matrix } {
  const n = a.rows;
  // Jacobi rotations: small matrices, accurate eigenvectors
  const A = a.clone();
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) {
    const v = 0.5 * (A.get(i, j) + A.get(j, i));
    A.set(i, j, v);
    A.set(j, i, v);
  }
  const V = Matrix.eye(n, n);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += A.get(i, j) ** 2;
    if (off < 1e-30 * Math.max(1e-300, frob(A))) break;
    for (let p = 0; p < n; p++) {
      for (let r = p + 1; r < n; r++) {
        const apr = A.get(p, r);
        if (Math.abs(apr) < 1e-300) continue;
        const theta = (A.get(r, r) - A.get(p, p)) / (2 * apr);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A.get(k, p);
          const akr = A.get(k, r);
          A.set(k, p, c * akp - s * akr);
          A.set(k, r, s * akp + c * akr);
        }
        for (let k = 0; k < n; k++) {
          const apk = A.get(p, k);
          const ark = A.get(r, k);
          A.set(p, k, c * apk - s * ark);
          A.set(r, k, s * apk + c * ark);
        }
        for (let k = 0; k < n; k++) {
          const vkp = V.get(k, p);
          const vkr = V.get(k, r);
          V.set(k, p, c * vkp - s * vkr);
          V.set(k, r, s * vkp + c * vkr);
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => A.get(y, y) - A.get(x, x));
  return { values: order.map((i) => A.get(i, i)), vectors: V.subMatrixColumn(order) };
}

function frob(a: Matrix): number {
  let s = 0;
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.columns; j++) s += a.get(i, j) ** 2;
  return s;
}

/**
 * The independent directions of a hypothesis: L (over the kept columns) rotated by the eigenvectors
 * of L Φ L' with eigenvalue above eps·(largest), as lmerTest's contestMD does (eps = √machine-eps).
 * Returns the rows u_m'L and their variances d_m.
 */
export function hypothesisDirections(Lk: Matrix, Phi: Matrix, eps = Math.sqrt(Number.EPSILON)): { rows: Matrix; d: number[] } {
  const M = Lk.mmul(Phi).mmul(Lk.transpose());
  const { values, vectors } = symmetricEigen(M);
  const tol = Math.max(eps * (values[0] ?? 0), 0);
  const pos = values.map((v, i) => (v > tol ? i : -1)).filter((i) => i >= 0);
  if (pos.length === 0) return { rows: new Matrix(0, Lk.columns), d: [] };
  const U = vectors.subMatrixColumn(pos);
  return { rows: U.transpose().mmul(Lk), d: pos.map((i) => values[i]!) };
}
