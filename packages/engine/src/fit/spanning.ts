/**
 * The likelihood of a block that a random effect spans across several R-side subjects (a random site
 * over patients with UN within patient), without forming its V.
 *
 * V = R + Z G Z' with R block diagonal over the block's R-subjects (small t_s x t_s matrices) and Z the
 * block's few random-effect columns. With B = R⁻¹, A = B Z, S = Z'BZ and K = (I + G S)⁻¹ G (symmetric):
 *   V⁻¹ = B − A K A',   log|V| = Σ_s log|R_s| + log|I + G S|      (Woodbury, Sylvester)
 * and for a parameter k, V_k = ∂V/∂θ_k is block diagonal over the R-subjects (R-side parameters) or
 * Z E_k Z' with E_k = ∂G/∂θ_k (G-side). Every trace and quadratic form the likelihood, its gradient and
 * Hessian, and the Satterthwaite/Kenward-Roger pieces need is then a sum over R-subjects of small
 * products plus g x g corrections (MixedModels.jl's blocked algebra in its simplest form): the cost
 * grows linearly with the block's size, where a dense V cost its cube (a site of 100 patients x 6
 * visits is a 600 x 600 V).
 */
import type { BlockLayout, CovarianceModel } from '../covariance/covariance-model.js';
import { cholesky, inverseFromCholesky, logDetFromCholesky } from './dense.js';

interface RSubject {
  /** rows of the block (0..m-1) */
  rows: number[];
  layout: BlockLayout;
}

/** Level-0 state at theta: what the derivatives reuse. */
export interface SpanningState {
  theta: ArrayLike<number>;
  logDetV: number;
  /** X'V⁻¹X (p x p), X'V⁻¹y (p), y'V⁻¹y */
  XtWX: Float64Array;
  XtWy: Float64Array;
  yWy: number;
  /** per R-subject: R_s⁻¹ (t x t) */
  Binv: Float64Array[];
  /** A = B Z (m x g), K (g x g), S = Z'BZ (g x g) */
  A: Float64Array;
  K: Float64Array;
  S: Float64Array;
}

/** The pieces of the derivatives of -2l contributed by the block (see likelihood.ts for their use). */
export interface SpanningDerivatives {
  /** tr(W V_k), u'V_k u with u = W r, b_k = U'V_k u and M_k = U'V_k U with U = W X */
  trWV: Float64Array;
  uVu: Float64Array;
  b: Float64Array[];
  M: Float64Array[];
  /** k <= l (index k q + l): tr(W V_k W V_l), u'V_k W V_l u, tr(C U'V_k W V_l U) and U'V_k W V_l U (p x p) */
  T?: Float64Array;
  RR?: Float64Array;
  CN?: Float64Array;
  QQ?: Map<number, Float64Array>;
  /** second-derivative terms: tr(W V_kl) − u'V_kl u − tr(C U'V_kl U), and U'V_kl U */
  S2?: Float64Array;
  R2?: Map<number, Float64Array>;
}

function matmul(a: Float64Array, b: Float64Array, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let t = 0; t < k; t++) {
      const v = a[i * k + t]!;
      if (v === 0) continue;
      for (let j = 0; j < c; j++) out[i * c + j] += v * b[t * c + j]!;
    }
  }
  return out;
}

/** a' b for a (r x k), b (r x c) */
function crossT(a: Float64Array, b: Float64Array, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(k * c);
  for (let i = 0; i < r; i++) {
    for (let t = 0; t < k; t++) {
      const v = a[i * k + t]!;
      if (v === 0) continue;
      for (let j = 0; j < c; j++) out[t * c + j] += v * b[i * c + j]!;
    }
  }
  return out;
}

/** determinant and inverse of a small general matrix (Gauss-Jordan, partial pivoting); null when singular */
function invertGeneral(a: Float64Array, n: number): { inverse: Float64Array; logAbsDet: number } | null {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  let logAbsDet = 0;
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[piv * n + col]!)) piv = r;
    const pv = m[piv * n + col]!;
    if (!(Math.abs(pv) > 0) || !Number.isFinite(pv)) return null;
    if (piv !== col) {
      for (let j = 0; j < n; j++) {
        [m[col * n + j], m[piv * n + j]] = [m[piv * n + j]!, m[col * n + j]!];
        [inv[col * n + j], inv[piv * n + j]] = [inv[piv * n + j]!, inv[col * n + j]!];
      }
    }
    logAbsDet += Math.log(Math.abs(pv));
    for (let j = 0; j < n; j++) {
      m[col * n + j]! /= pv;
      inv[col * n + j]! /= pv;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r * n + col]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        m[r * n + j]! -= f * m[col * n + j]!;
        inv[r * n + j]! -= f * inv[col * n + j]!;
      }
    }
  }
  return { inverse: inv, logAbsDet };
}

export class SpanningKernel {
  readonly m: number;
  /** number of random-effect columns of the block */
  readonly g: number;
  private readonly subjects: RSubject[];
  /** Z (m x g), row-major */
  private readonly Z: Float64Array;

  constructor(
    private readonly model: CovarianceModel,
    readonly layout: BlockLayout,
    /** the block's rows of X (m x p) and y */
    private readonly X: Float64Array,
    private readonly y: Float64Array,
    readonly p: number,
  ) {
    this.m = layout.positions.length;
    this.g = layout.localColumns.length;
    this.Z = layout.zLocal;
    const byGroup = new Map<number, number[]>();
    (layout.rGroups ?? layout.positions.map(() => 0)).forEach((rg, a) => {
      const list = byGroup.get(rg);
      if (list) list.push(a);
      else byGroup.set(rg, [a]);
    });
    this.subjects = [...byGroup.values()].map((rows) => ({
      rows,
      layout: {
        positions: rows.map((a) => layout.positions[a]!),
        zLocal: new Float64Array(0),
        localColumns: [],
        ...(layout.groups ? { groups: rows.map((a) => layout.groups![a]!) } : {}),
      },
    }));
  }

  /** G of the block (g x g) and, for each G-side parameter, E_k = dG/dtheta_k as (a, b) index pairs */
  private gMatrix(theta: ArrayLike<number>): Float64Array {
    const g = this.g;
    const G = new Float64Array(g * g);
    const cols = this.layout.localColumns;
    for (let a = 0; a < g; a++) for (let b = 0; b < g; b++) G[a * g + b] = this.model.random!.entry(theta, cols[a]!, cols[b]!);
    return G;
  }

  private gDerivative(k: number): Float64Array | null {
    const g = this.g;
    const cols = this.layout.localColumns;
    let E: Float64Array | null = null;
    for (let a = 0; a < g; a++) {
      for (let b = 0; b < g; b++) {
        if (this.model.random!.parameterOf(cols[a]!, cols[b]!) !== k) continue;
        E ??= new Float64Array(g * g);
        E[a * g + b] = 1;
      }
    }
    return E;
  }

  /**
   * The R-side inverses and the Woodbury pieces at theta: B_s = R_s⁻¹, A = B Z, S = Z'BZ,
   * K = (I + G S)⁻¹ G; null when V is not positive definite.
   */
  private woodbury(theta: ArrayLike<number>): { Binv: Float64Array[]; logDetV: number; A: Float64Array; S: Float64Array; K: Float64Array } | null {
    const { m, g, Z } = this;
    const Binv: Float64Array[] = [];
    let logDetR = 0;
    const A = new Float64Array(m * g);
    for (const s of this.subjects) {
      const t = s.rows.length;
      const L = cholesky(this.model.blockCovariance(theta, s.layout), t);
      if (!L) return null;
      logDetR += logDetFromCholesky(L, t);
      const B = inverseFromCholesky(L, t);
      Binv.push(B);
      for (let i = 0; i < t; i++) {
        const ri = s.rows[i]!;
        for (let j = 0; j < t; j++) {
          const bij = B[i * t + j]!;
          if (bij === 0) continue;
          const rj = s.rows[j]!;
          for (let c = 0; c < g; c++) A[ri * g + c] += bij * Z[rj * g + c]!;
        }
      }
    }
    const S = crossT(Z, A, m, g, g);
    const G = this.gMatrix(theta);
    const M = matmul(G, S, g, g, g);
    for (let a = 0; a < g; a++) M[a * g + a] += 1;
    const Minv = invertGeneral(M, g);
    if (!Minv || !(Minv.logAbsDet > -Infinity)) return null;
    const K = matmul(Minv.inverse, G, g, g, g);
    for (let a = 0; a < g; a++) for (let b = 0; b < a; b++) K[a * g + b] = K[b * g + a] = 0.5 * (K[a * g + b]! + K[b * g + a]!);
    return { Binv, logDetV: logDetR + Minv.logAbsDet, A, S, K };
  }

  /** V⁻¹Z (m x g) at theta = A (I − K S): what the random-effect solution needs, without V⁻¹ */
  vInverseZ(theta: ArrayLike<number>): Float64Array | null {
    const w = this.woodbury(theta);
    if (!w) return null;
    const { g } = this;
    const N = matmul(w.K, w.S, g, g, g);
    for (let t = 0; t < g * g; t++) N[t] = (t % (g + 1) === 0 ? 1 : 0) - N[t]!;
    return matmul(w.A, N, this.m, g, g);
  }

  /** -2l's level-0 pieces of the block at theta; null when V is not positive definite */
  evaluate(theta: ArrayLike<number>): SpanningState | null {
    const { m, g, p, X, y } = this;
    const w = this.woodbury(theta);
    if (!w) return null;
    const { Binv, A, K, S } = w;
    const BX = new Float64Array(m * p);
    const By = new Float64Array(m);
    this.subjects.forEach((s, si) => {
      const t = s.rows.length;
      const B = Binv[si]!;
      for (let i = 0; i < t; i++) {
        const ri = s.rows[i]!;
        for (let j = 0; j < t; j++) {
          const bij = B[i * t + j]!;
          if (bij === 0) continue;
          const rj = s.rows[j]!;
          for (let c = 0; c < p; c++) BX[ri * p + c] += bij * X[rj * p + c]!;
          By[ri] += bij * y[rj]!;
        }
      }
    });
    const AX = crossT(A, X, m, g, p); // Z'BX
    const Ay = crossT(A, y, m, g, 1);
    const XtWX = crossT(X, BX, m, p, p);
    const KAX = matmul(K, AX, g, g, p);
    const corr = crossT(AX, KAX, g, p, p);
    for (let t = 0; t < p * p; t++) XtWX[t] -= corr[t]!;
    const XtWy = crossT(X, By, m, p, 1);
    const KAy = matmul(K, Ay, g, g, 1);
    const c2 = crossT(AX, KAy, g, p, 1);
    for (let a = 0; a < p; a++) XtWy[a] -= c2[a]!;
    let yWy = 0;
    for (let i = 0; i < m; i++) yWy += y[i]! * By[i]!;
    for (let a = 0; a < g; a++) yWy -= Ay[a]! * KAy[a]!;
    return { theta, logDetV: w.logDetV, XtWX, XtWy, yWy, Binv, A, K, S };
  }

  /** W v for an m x c matrix v: B v − A K (A'v) */
  private applyW(st: SpanningState, v: Float64Array, c: number): Float64Array {
    const { m, g } = this;
    const out = new Float64Array(m * c);
    this.subjects.forEach((s, si) => {
      const B = st.Binv[si]!;
      const t = s.rows.length;
      for (let i = 0; i < t; i++) {
        for (let j = 0; j < t; j++) {
          const bij = B[i * t + j]!;
          for (let k = 0; k < c; k++) out[s.rows[i]! * c + k] += bij * v[s.rows[j]! * c + k]!;
        }
      }
    });
    const Av = crossT(st.A, v, m, g, c);
    const KAv = matmul(st.K, Av, g, g, c);
    const corr = matmul(st.A, KAv, m, g, c);
    for (let t = 0; t < m * c; t++) out[t] -= corr[t]!;
    return out;
  }

  /** V_k v = Z E_k Z' v for a G-side parameter, v an m x c matrix */
  private applyVk(E: Float64Array, v: Float64Array, c: number): Float64Array {
    const { m, g, Z } = this;
    const Zv = crossT(Z, v, m, g, c);
    return matmul(Z, matmul(E, Zv, g, g, c), m, g, c);
  }

  /** per R-subject: the non-zero entries of dR_s/dθ_k, kept when R is linear in θ (they do not depend on it) */
  private entryCache: DerivativeEntries[][] | null = null;

  private subjectEntries(theta: ArrayLike<number>, si: number): DerivativeEntries[] {
    if (!this.model.residual.linear) return this.entriesOf(theta, si);
    this.entryCache ??= this.subjects.map((_, i) => this.entriesOf(theta, i));
    return this.entryCache[si]!;
  }

  private entriesOf(theta: ArrayLike<number>, si: number): DerivativeEntries[] {
    const sub = this.subjects[si]!;
    const t = sub.rows.length;
    const out: DerivativeEntries[] = [];
    this.model.blockDerivatives(theta, sub.layout).forEach((D, k) => {
      if (!D || (this.model.random && k < this.model.gSize)) return;
      const i: number[] = [];
      const j: number[] = [];
      const d: number[] = [];
      for (let a = 0; a < t; a++) for (let b = 0; b < t; b++) if (D[a * t + b] !== 0) (i.push(a), j.push(b), d.push(D[a * t + b]!));
      if (d.length > 0) out.push({ k, i: Int32Array.from(i), j: Int32Array.from(j), d: Float64Array.from(d) });
    });
    return out;
  }

  /**
   * The derivative pieces at the state's theta, for beta (the GLS estimate) and C = (X'V⁻¹X)⁻¹.
   * level 1: trWV, uVu, b, M; level 2 also T, RR, CN, S2 (likelihood) and, with `withQQ`, QQ and R2
   * (the Kenward-Roger pieces).
   *
   * With W = B − A K A', every R-side term splits into a sum over R-subjects of small forms in the
   * non-zero entries of D_k = ∂R_s/∂θ_k (an unstructured σ_ij has two) and a g-sized correction:
   *   u'V_kWV_lu     = Σ_s u_s'D_kB_sD_lu_s        − (A'V_ku)'K(A'V_lu)
   *   tr(C U'V_kWV_lU) = Σ_s tr(D_kB_sD_l U_sCU_s') − tr(C (A'V_kU)'K(A'V_lU))
   *   tr(WV_kWV_l)   = Σ_s tr(D_kB_sD_lB_s) − 2 tr(K A'V_kBV_lA) + tr(K A'V_kA K A'V_lA)
   * and a G-side V_k = Z E_k Z' enters through Z'u, Z'U, Z'WZ = S N and Z'W = N'A' (N = I − K S).
   * Nothing of size m is formed per parameter, so one evaluation costs O(R-subjects · q²) small terms.
   */
  derivatives(st: SpanningState, beta: Float64Array, C: Float64Array, level: 1 | 2, reml: boolean, withQQ = false): SpanningDerivatives {
    const { m, g, p, X, y } = this;
    const q = this.model.size;
    const two = level === 2;
    const gg = g * g;
    // r = y − X beta, u = W r, U = W X
    const r = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let f = 0;
      for (let a = 0; a < p; a++) f += X[i * p + a]! * beta[a]!;
      r[i] = y[i]! - f;
    }
    const u = this.applyW(st, r, 1);
    const U = this.applyW(st, X, p);
    const E = Array.from({ length: q }, (_, k) => (this.model.random && k < this.model.gSize ? this.gDerivative(k) : null));
    const sums = new DerivativeSums(q, p, g, two, this.subjects.reduce((a, sub) => Math.max(a, sub.rows.length), 0));
    for (let si = 0; si < this.subjects.length; si++) this.subjectSums(st, si, u, U, C, reml, sums);

    // first order
    const N = new Float64Array(gg);
    const KS = matmul(st.K, st.S, g, g, g);
    for (let a = 0; a < g; a++) N[a * g + a] = 1;
    for (let t = 0; t < gg; t++) N[t] -= KS[t]!;
    const SN = matmul(st.S, N, g, g, g);
    const Zu = crossT(this.Z, u, m, g, 1);
    const ZU = crossT(this.Z, U, m, g, p);
    const trWV = new Float64Array(q);
    const uVu = new Float64Array(q);
    const b: Float64Array[] = [];
    const M: Float64Array[] = [];
    const moves = new Array<boolean>(q).fill(false);
    for (let k = 0; k < q; k++) {
      const Ek = E[k];
      if (Ek) {
        moves[k] = true;
        // V_k = Z E_k Z': u'V_ku = Zu'E Zu, U'V_ku = ZU'E Zu, U'V_kU = ZU'E ZU, tr(WV_k) = tr(E Z'WZ)
        const EZu = matmul(Ek, Zu, g, g, 1);
        const EZU = matmul(Ek, ZU, g, g, p);
        uVu[k] = dotOf(Zu, EZu);
        b.push(crossT(ZU, EZu, g, p, 1));
        M.push(crossT(ZU, EZU, g, p, p));
        trWV[k] = traceOf(Ek, SN, g);
        continue;
      }
      moves[k] = sums.moves[k]!;
      uVu[k] = sums.uVu[k]!;
      b.push(sums.b[k]!);
      const Mk = sums.M[k]!;
      for (let a = 0; a < p; a++) for (let c = 0; c < a; c++) Mk[a * p + c] = Mk[c * p + a]!;
      M.push(Mk);
      trWV[k] = moves[k] ? sums.trBD[k]! - traceOf(st.K, sums.AVA[k]!, g) : 0;
    }
    const out: SpanningDerivatives = { trWV, uVu, b, M };
    if (!two) return out;

    // second order
    const Nt = new Float64Array(gg);
    for (let a = 0; a < g; a++) for (let c = 0; c < g; c++) Nt[a * g + c] = N[c * g + a]!;
    const NAVAN = sums.AVA.map((ava) => matmul(matmul(Nt, ava, g, g, g), N, g, g, g));
    const KAVA = sums.AVA.map((ava) => matmul(st.K, ava, g, g, g));
    const KAVu = sums.AVu.map((v) => matmul(st.K, v, g, g, 1));
    const KAVU = sums.AVU.map((v) => matmul(st.K, v, g, g, p));
    // N'(A'V_l u) and N'(A'V_l U): Z'W V_l for R-side l
    const NtAVu = sums.AVu.map((v) => matmul(Nt, v, g, g, 1));
    const NtAVU = sums.AVU.map((v) => matmul(Nt, v, g, g, p));
    const ZUC = matmul(ZU, C, g, p, p);
    const AVUC = sums.AVU.map((v) => matmul(v, C, g, p, p));
    const T = new Float64Array(q * q);
    const RR = new Float64Array(q * q);
    const CN = new Float64Array(q * q);
    for (let k = 0; k < q; k++) {
      if (!moves[k]) continue;
      for (let l = k; l < q; l++) {
        if (!moves[l]) continue;
        const idx = k * q + l;
        const Ek = E[k];
        const El = E[l];
        if (Ek && El) {
          // Z'WZ between the two G-side derivatives
          // Z'WZ = S N between the two: tr(E_k SN E_l SN), Zu'E_k SN E_l Zu, tr(C ZU'E_k SN E_l ZU)
          const SNEl = matmul(SN, El, g, g, g);
          T[idx] = traceOf(matmul(Ek, SN, g, g, g), matmul(El, SN, g, g, g), g);
          RR[idx] = dotOf(matmul(Ek, Zu, g, g, 1), matmul(SNEl, Zu, g, g, 1));
          if (reml) CN[idx] = sumProduct(matmul(Ek, ZUC, g, g, p), matmul(SNEl, ZU, g, g, p));
        } else if (Ek || El) {
          const e = (Ek ?? El)!;
          const rs = Ek ? l : k;
          T[idx] = traceOf(e, NAVAN[rs]!, g);
          // u'Z E Z'W V_r u = Zu' E N'(A'V_r u)
          RR[idx] = dotOf(matmul(e, Zu, g, g, 1), NtAVu[rs]!);
          if (reml) CN[idx] = sumProduct(matmul(e, ZUC, g, g, p), NtAVU[rs]!);
        } else {
          T[idx] = sums.T1![idx]! - 2 * traceOf(st.K, sums.AVBVA!.subarray(idx * gg, (idx + 1) * gg), g) + traceOf(KAVA[k]!, KAVA[l]!, g);
          RR[idx] = sums.RR1![idx]! - dotOf(sums.AVu[k]!, KAVu[l]!);
          if (reml) CN[idx] = sums.CN1![idx]! - sumProduct(AVUC[k]!, KAVU[l]!);
        }
      }
    }
    out.T = T;
    out.RR = RR;
    out.CN = CN;
    out.S2 = sums.S2!;
    if (withQQ) {
      out.QQ = this.qqTerms(st, U, E, moves);
      out.R2 = sums.R2;
    }
    return out;
  }

  /**
   * R-subject si's share of every R-side sum, from the non-zero entries (i, j, d) of each D_k and the
   * R-subject's B_s, A_s, u_s, U_s (and, level 2 under REML, Ω_s = U_s C U_s').
   */
  private subjectSums(st: SpanningState, si: number, u: Float64Array, U: Float64Array, C: Float64Array, reml: boolean, sums: DerivativeSums): void {
    const { g, p } = this;
    const gg = g * g;
    const q = sums.q;
    const sub = this.subjects[si]!;
    const t = sub.rows.length;
    const rows = sub.rows;
    const B = st.Binv[si]!;
    const { As, us, Us, Om, UCs } = sums;
    for (let i = 0; i < t; i++) {
      const ri = rows[i]!;
      us[i] = u[ri]!;
      for (let a = 0; a < g; a++) As[i * g + a] = st.A[ri * g + a]!;
      for (let c = 0; c < p; c++) Us[i * p + c] = U[ri * p + c]!;
    }
    const two = sums.two;
    const withOmega = two && reml;
    if (withOmega) {
      // Ω_s = U_s C U_s'
      UCs.fill(0, 0, t * p);
      for (let i = 0; i < t; i++) for (let a = 0; a < p; a++) {
        const v = Us[i * p + a]!;
        if (v !== 0) for (let c = 0; c < p; c++) UCs[i * p + c] += v * C[a * p + c]!;
      }
      for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) {
        let s = 0;
        for (let c = 0; c < p; c++) s += UCs[i * p + c]! * Us[j * p + c]!;
        Om[i * t + j] = s;
      }
    }
    const entries = this.subjectEntries(st.theta, si);
    for (const en of entries) {
      const k = en.k;
      sums.moves[k] = true;
      const bk = sums.b[k]!;
      const Mk = sums.M[k]!;
      const ava = sums.AVA[k]!;
      const avu = sums.AVu[k]!;
      const avU = sums.AVU[k]!;
      let tr = 0;
      let uvu = 0;
      for (let e = 0; e < en.d.length; e++) {
        const i = en.i[e]!;
        const j = en.j[e]!;
        const d = en.d[e]!;
        tr += d * B[j * t + i]!;
        const uj = us[j]!;
        uvu += d * us[i]! * uj;
        const oi = i * p;
        const oj = j * p;
        for (let a = 0; a < p; a++) {
          const ua = d * Us[oi + a]!;
          if (ua === 0) continue;
          bk[a] += ua * uj;
          // Σ d U_i U_j' is symmetric (D_k is): its upper triangle, mirrored later
          for (let c = a; c < p; c++) Mk[a * p + c] += ua * Us[oj + c]!;
        }
        for (let a = 0; a < g; a++) {
          const aa = d * As[i * g + a]!;
          if (aa === 0) continue;
          for (let c = 0; c < g; c++) ava[a * g + c] += aa * As[j * g + c]!;
          if (two) {
            avu[a] += aa * uj;
            for (let c = 0; c < p; c++) avU[a * p + c] += aa * Us[oj + c]!;
          }
        }
      }
      sums.trBD[k] += tr;
      sums.uVu[k] += uvu;
    }
    if (!two) return;
    // pairs: tr(D_k B D_l Γ) = Σ d_k(i, j) B(j, c) d_l(c, e) Γ(e, i) for Γ = B, u u', Ω; and A'D_k B D_l A
    const T1 = sums.T1!;
    const RR1 = sums.RR1!;
    const CN1 = sums.CN1!;
    const AVBVA = sums.AVBVA!;
    for (let x = 0; x < entries.length; x++) {
      const ek = entries[x]!;
      for (let z = x; z < entries.length; z++) {
        const el = entries[z]!;
        const idx = ek.k < el.k ? ek.k * q + el.k : el.k * q + ek.k;
        const o = idx * gg;
        let t1 = 0;
        let rr = 0;
        let cn = 0;
        for (let e1 = 0; e1 < ek.d.length; e1++) {
          const i = ek.i[e1]!;
          const j = ek.j[e1]!;
          const d = ek.d[e1]!;
          for (let e2 = 0; e2 < el.d.length; e2++) {
            const c = el.i[e2]!;
            const e = el.j[e2]!;
            const coef = d * el.d[e2]! * B[j * t + c]!;
            if (coef === 0) continue;
            t1 += coef * B[e * t + i]!;
            rr += coef * us[e]! * us[i]!;
            if (withOmega) cn += coef * Om[e * t + i]!;
            for (let a = 0; a < g; a++) {
              const v = coef * As[i * g + a]!;
              if (v !== 0) for (let b2 = 0; b2 < g; b2++) AVBVA[o + a * g + b2] += v * As[e * g + b2]!;
            }
          }
        }
        T1[idx] += t1;
        RR1[idx] += rr;
        CN1[idx] += cn;
      }
    }
    if (this.model.residual.linear) return;
    // second derivatives (R-side structures non-linear in θ), this R-subject's share
    for (const sd of this.model.blockSecondDerivatives(st.theta, sub.layout)) {
      const M2 = sd.matrix;
      let tr = 0;
      let uvu = 0;
      let cu = 0;
      const ava = new Float64Array(gg);
      const UvU = new Float64Array(p * p);
      for (let i = 0; i < t; i++) {
        for (let j = 0; j < t; j++) {
          const v = M2[i * t + j]!;
          if (v === 0) continue;
          tr += v * B[j * t + i]!;
          uvu += us[i]! * v * us[j]!;
          if (withOmega) cu += v * Om[j * t + i]!;
          for (let a = 0; a < g; a++) for (let c = 0; c < g; c++) ava[a * g + c] += As[i * g + a]! * v * As[j * g + c]!;
          for (let a = 0; a < p; a++) {
            const ua = v * Us[i * p + a]!;
            if (ua !== 0) for (let c = 0; c < p; c++) UvU[a * p + c] += ua * Us[j * p + c]!;
          }
        }
      }
      for (let a = 0; a < g; a++) for (let c = 0; c < g; c++) tr -= st.K[a * g + c]! * ava[c * g + a]!;
      const idx = sd.k * q + sd.l;
      sums.S2![idx] += tr - uvu - cu;
      const prev = sums.R2.get(idx);
      if (prev) for (let x = 0; x < p * p; x++) prev[x] += UvU[x]!;
      else sums.R2.set(idx, UvU);
    }
  }

  /** U'V_k W V_l U (p x p, k <= l) for the Kenward-Roger sensitivities: from V_k U and W V_l U (m x p) */
  private qqTerms(st: SpanningState, U: Float64Array, E: (Float64Array | null)[], moves: boolean[]): Map<number, Float64Array> {
    const { m, p } = this;
    const q = this.model.size;
    const VU: (Float64Array | null)[] = new Array(q).fill(null);
    for (let k = 0; k < q; k++) {
      if (!moves[k]) continue;
      if (E[k]) {
        VU[k] = this.applyVk(E[k]!, U, p);
        continue;
      }
      const out = new Float64Array(m * p);
      this.subjects.forEach((sub, si) => {
        for (const en of this.subjectEntries(st.theta, si)) {
          if (en.k !== k) continue;
          for (let e = 0; e < en.d.length; e++) {
            const ri = sub.rows[en.i[e]!]!;
            const rj = sub.rows[en.j[e]!]!;
            for (let c = 0; c < p; c++) out[ri * p + c] += en.d[e]! * U[rj * p + c]!;
          }
        }
      });
      VU[k] = out;
    }
    const WVU = VU.map((v) => (v ? this.applyW(st, v, p) : null));
    const QQ = new Map<number, Float64Array>();
    for (let k = 0; k < q; k++) {
      if (!VU[k]) continue;
      for (let l = k; l < q; l++) if (VU[l]) QQ.set(k * q + l, crossT(VU[k]!, WVU[l]!, m, p, p));
    }
    return QQ;
  }
}

/** The non-zero entries (i, j, d) of an R-subject's ∂R_s/∂θ_k, in local row indices. */
interface DerivativeEntries {
  k: number;
  i: Int32Array;
  j: Int32Array;
  d: Float64Array;
}

/** What one derivatives() pass sums over the R-subjects of a block, with the scratch it reuses. */
class DerivativeSums {
  /** whether any R-subject's R moves with θ_k */
  readonly moves: boolean[];
  /** Σ_s tr(B_s D_k), u_s'D_ku_s, U_s'D_ku_s, U_s'D_kU_s (upper triangle), A_s'D_kA_s, A_s'D_ku_s, A_s'D_kU_s */
  readonly trBD: Float64Array;
  readonly uVu: Float64Array;
  readonly b: Float64Array[];
  readonly M: Float64Array[];
  readonly AVA: Float64Array[];
  readonly AVu: Float64Array[];
  readonly AVU: Float64Array[];
  /** level 2, index k q + l (k <= l): Σ_s tr(D_kB_sD_lB_s), u_s'D_kB_sD_lu_s, tr(D_kB_sD_lΩ_s), A_s'D_kB_sD_lA_s */
  readonly T1: Float64Array | null;
  readonly RR1: Float64Array | null;
  readonly CN1: Float64Array | null;
  readonly AVBVA: Float64Array | null;
  /** second-derivative terms and U'V_klU */
  readonly S2: Float64Array | null;
  readonly R2 = new Map<number, Float64Array>();
  /** scratch for the current R-subject: A_s, u_s, U_s, U_s C, Ω_s */
  readonly As: Float64Array;
  readonly us: Float64Array;
  readonly Us: Float64Array;
  readonly UCs: Float64Array;
  readonly Om: Float64Array;

  constructor(
    readonly q: number,
    p: number,
    g: number,
    readonly two: boolean,
    tMax: number,
  ) {
    const each = (size: number) => Array.from({ length: q }, () => new Float64Array(size));
    const gg = g * g;
    this.moves = new Array<boolean>(q).fill(false);
    this.trBD = new Float64Array(q);
    this.uVu = new Float64Array(q);
    this.b = each(p);
    this.M = each(p * p);
    this.AVA = each(gg);
    this.AVu = each(two ? g : 0);
    this.AVU = each(two ? g * p : 0);
    this.T1 = two ? new Float64Array(q * q) : null;
    this.RR1 = two ? new Float64Array(q * q) : null;
    this.CN1 = two ? new Float64Array(q * q) : null;
    this.AVBVA = two ? new Float64Array(q * q * gg) : null;
    this.S2 = two ? new Float64Array(q * q) : null;
    this.As = new Float64Array(tMax * g);
    this.us = new Float64Array(tMax);
    this.Us = new Float64Array(tMax * p);
    this.UCs = new Float64Array(tMax * p);
    this.Om = new Float64Array(tMax * tMax);
  }
}

function dotOf(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Σ a ∘ b = tr(a'b) for equal-shaped matrices */
function sumProduct(a: Float64Array, b: Float64Array): number {
  return dotOf(a, b);
}

/** tr(a b) for g x g matrices */
function traceOf(a: Float64Array, b: Float64Array, g: number): number {
  let s = 0;
  for (let i = 0; i < g; i++) for (let j = 0; j < g; j++) s += a[i * g + j]! * b[j * g + i]!;
  return s;
}

/** V⁻¹Z (m x g) of a block spanning several R-subjects, at theta; null when V is not positive definite */
export function spanningVInverseZ(model: CovarianceModel, layout: BlockLayout, theta: ArrayLike<number>): Float64Array | null {
  return new SpanningKernel(model, layout, new Float64Array(0), new Float64Array(0), 0).vInverseZ(theta);
}
