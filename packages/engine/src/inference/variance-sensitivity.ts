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

type SensitivityFit = Pick<
  FitResult,
  'theta' | 'covBeta' | 'covarianceModel' | 'layouts' | 'blockInverse' | 'blockDerivatives' | 'q'
>;

export function varianceSensitivity(design: Pick<Design, 'X' | 'columns' | 'subjects'>, fit: SensitivityFit): VarianceSensitivity {
  const kept = keptColumns(design);
  const p = kept.length;
  const q = fit.q;
  const Phi = fit.covBeta.selection(kept, kept);
  const P = Array.from({ length: q }, () => new Matrix(p, p));
  const Q = Array.from({ length: q }, () => Array.from({ length: q }, () => new Matrix(p, p)));
  const traces = new Matrix(q, q);
  const nonLinear = !fit.covarianceModel.residual.linear;
  const R = nonLinear ? Array.from({ length: q }, () => Array.from({ length: q }, () => new Matrix(p, p))) : null;

  design.subjects.forEach((block, i) => {
    const Xi = design.X.selection(block.rows, kept);
    const Vinv = fit.blockInverse(i);
    const D = fit.blockDerivatives(i);
    const A = Vinv.mmul(Xi); // V⁻¹X
    const active = D.map((d) => maxAbs(d) > 0);
    const DA = D.map((d, k) => (active[k] ? d.mmul(A) : null)); // V_k V⁻¹ X
    const VinvDA = DA.map((m) => (m ? Vinv.mmul(m) : null)); // V⁻¹ V_k V⁻¹ X
    const H = D.map((d, k) => (active[k] ? d.mmul(Vinv) : null)); // V_k V⁻¹
    for (let k = 0; k < q; k++) {
      if (!DA[k]) continue;
      P[k]!.sub(A.transpose().mmul(DA[k]!));
      for (let l = k; l < q; l++) {
        if (!DA[l]) continue;
        const qkl = DA[k]!.transpose().mmul(VinvDA[l]!);
        Q[k]![l]!.add(qkl);
        if (l !== k) Q[l]![k]!.add(qkl.transpose());
        // tr(V⁻¹V_k V⁻¹V_l) = Σ_ab (V_kV⁻¹)_ab (V_lV⁻¹)_ba
        const t = traceOfProduct(H[k]!, H[l]!);
        traces.set(k, l, traces.get(k, l) + t);
        if (l !== k) traces.set(l, k, traces.get(l, k) + t);
      }
    }
    if (R) {
      const layout = fit.layouts[i]!;
      const m = layout.positions.length;
      for (const s of fit.covarianceModel.blockSecondDerivatives(fit.theta, layout)) {
        const S = new Matrix(m, m);
        for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) S.set(a, b, s.matrix[a * m + b]!);
        const r = A.transpose().mmul(S).mmul(A);
        R[s.k]![s.l]!.add(r);
        if (s.l !== s.k) R[s.l]![s.k]!.add(r);
      }
    }
  });
  return { kept, Phi, P, Q, R, traces, q };
}

function maxAbs(m: Matrix): number {
  let v = 0;
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) v = Math.max(v, Math.abs(m.get(i, j)));
  return v;
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
