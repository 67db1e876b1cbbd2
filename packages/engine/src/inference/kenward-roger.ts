/**
 * Kenward-Roger (1997) inference for the fixed effects (SAS DDFM=KENWARDROGER, pbkrtest::KRmodcomp,
 * lmerTest ddf = "Kenward-Roger", emmeans lmer.df = "kenward-roger").
 *
 * Adjusted covariance of β̂ (Kackar-Harville correction plus the bias correction of Φ(θ̂);
 * Prasad-Rao / Harville-Jeske when the second-derivative term is dropped):
 *   Φ_A = Φ + 2 Φ Λ Φ,   Λ = Σ_kl W_kl (Q_kl − P_k Φ P_l − ¼ R_kl)
 * (P, Q, R: see variance-sensitivity.ts), W the asymptotic covariance of θ̂.
 *
 * For H0: Lβ = 0 with q = rank(L), Θ = L'(LΦL')⁻¹L:
 *   A1 = Σ_kl W_kl tr(ΘΦP_kΦ) tr(ΘΦP_lΦ),  A2 = Σ_kl W_kl tr(ΘΦP_kΦΘΦP_lΦ)
 *   B = (A1 + 6A2)/(2q),  g = ((q+1)A1 − (q+4)A2)/((q+2)A2),  c1 = g/(3q+2(1−g)),
 *   c2 = (q−g)/(3q+2(1−g)),  c3 = (q+2−g)/(3q+2(1−g)),
 *   ρ = (1/q)·((1 − A2/q)/(1 − c2B))²·(1 + c1B)/(1 − c3B)
 *   m = 4 + (q+2)/(qρ − 1)           (the denominator df)
 *   λ = m(1 − A2/q)/(m − 2)          (F scaling; 1 when |m − 2| < 0.01, as pbkrtest)
 *   F* = λ/q · (Lβ̂)'(LΦ_AL')⁻¹(Lβ̂)  ~ F(q, m)
 * For one row λ = 1 exactly and m is pbkrtest's Lb_ddf; the t test uses the SE from Φ_A.
 *
 * Variants (options):
 * - information 'expected' (default): W = 2·I_E⁻¹ with I_E the expected REML information of −2l,
 *   exactly as pbkrtest::vcovAdj (which lmerTest and emmeans call). 'observed': W = FitResult.thetaCov
 *   (2H⁻¹, the inverse observed information, PROC MIXED's ASYCOV and what mmrm uses to match SAS).
 * - firstOrder (default false): drop the R_kl term (SAS DDFM=KR(FIRSTORDER), mmrm
 *   "Kenward-Roger-Linear"). R_kl is zero for structures linear in θ (VC/UN G-side, CS, UN, TOEP
 *   R-side...), so it only matters for AR(1)/ARH(1)/CSH-like structures. pbkrtest fits only
 *   linear (lme4) structures, so it never has the term.
 * Not implemented: SAS's DDFM=KENWARDROGER2 (Kenward & Roger 2009 improved Φ_A).
 * Parameters held on a boundary (atBound) are left out of W (as SAS leaves them out of ASYCOV).
 */
import { Matrix } from 'ml-matrix';
import type { Design } from '../design-types.js';
import type { FitResult } from '../fit/fit-model.js';
import type { ApproximateDf } from './ddf.js';
import { invertInformationMatrix } from '../fit/information.js';
import { asymptoticThetaCov } from './satterthwaite.js';
import {
  expectedRemlInformation,
  hypothesisDirections,
  restrictColumns,
  traceProduct,
  varianceSensitivity,
  type VarianceSensitivity,
} from './variance-sensitivity.js';

export interface KenwardRogerOptions {
  /** asymptotic covariance of θ̂: 'expected' (pbkrtest / lmerTest, default) or 'observed' (SAS, mmrm) */
  information?: 'expected' | 'observed';
  /** leave out the second-derivative term R (SAS KR(FIRSTORDER)); default false */
  firstOrder?: boolean;
}

export interface KenwardRogerTest {
  /** rank of the hypothesis */
  q: number;
  /** denominator df m */
  df: number;
  /** F scaling λ */
  scale: number;
  A1: number;
  A2: number;
}

export interface KenwardRoger {
  /** Φ_A in the full GLM layout (zero rows/columns at aliased columns) */
  covBeta: Matrix;
  /** Φ_A over the kept columns */
  PhiA: Matrix;
  /** the asymptotic covariance of θ̂ used (q x q, zeros at boundary parameters) */
  W: Matrix;
  test(L: Matrix): KenwardRogerTest;
  /** as `denominatorDf`'s `approximate` option */
  approximate: ApproximateDf;
  /** λ of the hypothesis (for the Type 3 F) */
  fScale: (termIndex: number, L: Matrix) => number;
  notes: string[];
  sensitivity: VarianceSensitivity;
}

type KrFit = Pick<
  FitResult,
  'theta' | 'covBeta' | 'covarianceModel' | 'likelihood' | 'q' | 'thetaCov' | 'hessian' | 'atBound'
>;

/**
 * 2·I⁻¹ over the parameters not on a boundary (generalized inverse when I is singular, as pbkrtest),
 * equilibrated first so that the decision does not depend on the units of y (fit/information.ts).
 */
function inverseInformation(I: Matrix, atBound: boolean[], notes: string[]): Matrix {
  const q = I.rows;
  const free = Array.from({ length: q }, (_, k) => k).filter((k) => !atBound[k]);
  const { inverse, rank } = invertInformationMatrix(I.selection(free, free));
  if (rank < free.length) notes.push('Kenward-Roger: the expected information of the covariance parameters is singular; its generalized inverse is used');
  const W = new Matrix(q, q);
  free.forEach((a, i) => free.forEach((b, j) => W.set(a, b, 2 * inverse.get(i, j))));
  return W;
}

export function kenwardRoger(
  design: Pick<Design, 'columns'>,
  fit: KrFit,
  options: KenwardRogerOptions = {},
): KenwardRoger {
  const notes: string[] = [];
  const s = varianceSensitivity(design, fit);
  const { Phi, P, Q, R, kept, q } = s;
  const W = options.information === 'observed' ? asymptoticThetaCov(fit, notes) : inverseInformation(expectedRemlInformation(s), fit.atBound, notes);

  // Λ = Σ_kl W_kl (Q_kl − P_k Φ P_l − ¼ R_kl)
  const p = kept.length;
  const Lambda = new Matrix(p, p);
  const PhiP = P.map((Pk) => Phi.mmul(Pk));
  const useR = R && !options.firstOrder;
  for (let k = 0; k < q; k++) {
    for (let l = 0; l < q; l++) {
      const w = W.get(k, l);
      if (w === 0) continue;
      const term = Q[k]![l]!.clone().sub(P[k]!.mmul(PhiP[l]!));
      if (useR) term.sub(R![k]![l]!.clone().mul(0.25));
      Lambda.add(term.mul(w));
    }
  }
  const PhiA = Phi.clone().add(Phi.mmul(Lambda).mmul(Phi).mul(2));
  // symmetrize (rounding)
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) {
    const v = 0.5 * (PhiA.get(i, j) + PhiA.get(j, i));
    PhiA.set(i, j, v);
    PhiA.set(j, i, v);
  }
  const P_ = design.columns.length;
  const covBeta = new Matrix(P_, P_);
  kept.forEach((c, i) => kept.forEach((d, j) => covBeta.set(c, d, PhiA.get(i, j))));

  const test = (L: Matrix): KenwardRogerTest => {
    const { rows, d } = hypothesisDirections(restrictColumns(L, kept), Phi);
    const r = d.length;
    if (r === 0) return { q: 0, df: NaN, scale: NaN, A1: NaN, A2: NaN };
    // Θ = L'(LΦL')⁻¹L over the independent directions
    const scaled = rows.clone();
    for (let m = 0; m < r; m++) for (let j = 0; j < p; j++) scaled.set(m, j, scaled.get(m, j) / d[m]!);
    const Theta = rows.transpose().mmul(scaled);
    const ThetaPhi = Theta.mmul(Phi);
    const u = P.map((Pk) => ThetaPhi.mmul(Pk).mmul(Phi)); // ΘΦ P_k Φ
    const tr = u.map((uk) => uk.trace());
    let A1 = 0;
    let A2 = 0;
    for (let k = 0; k < q; k++) {
      for (let l = 0; l < q; l++) {
        const w = W.get(k, l);
        if (w === 0) continue;
        A1 += w * tr[k]! * tr[l]!;
        A2 += w * traceProduct(u[k]!, u[l]!);
      }
    }
    const B = (A1 + 6 * A2) / (2 * r);
    const g = ((r + 1) * A1 - (r + 4) * A2) / ((r + 2) * A2);
    const den = 3 * r + 2 * (1 - g);
    const c1 = g / den;
    const c2 = (r - g) / den;
    const c3 = (r + 2 - g) / den;
    let V0 = 1 + c1 * B;
    const V1 = 1 - c2 * B;
    const V2 = 1 - c3 * B;
    if (Math.abs(V0) < 1e-10) V0 = 0;
    const ratio = Math.abs(V1) < 1e-12 ? 0 : (1 - A2 / r) / V1; // pbkrtest .divZero
    const rho = (1 / r) * ratio * ratio * (V0 / V2);
    const df = 4 + (r + 2) / (r * rho - 1);
    const scale = Math.abs(df - 2) < 1e-2 ? 1 : (df * (1 - A2 / r)) / (df - 2);
    return { q: r, df, scale, A1, A2 };
  };
  return {
    covBeta,
    PhiA,
    W,
    test,
    approximate: (L) => test(L).df,
    fScale: (_t, L) => test(L).scale,
    notes,
    sensitivity: s,
  };
}
