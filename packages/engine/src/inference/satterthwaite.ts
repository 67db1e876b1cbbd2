/**
 * Satterthwaite denominator degrees of freedom (SAS DDFM=SATTERTHWAITE, lmerTest's default).
 *
 * For one estimable row l (over the GLM columns) with variance d = l Φ l', Φ = Cov(β̂) = (X'V⁻¹X)⁻¹:
 *   ν = 2 d² / (g' A g),   g_k = ∂(l Φ l')/∂θ_k = −(Φl')' P_k (Φl'),
 * where A is the asymptotic covariance of θ̂: the inverse observed information, FitResult.thetaCov
 * = 2H⁻¹ with H the Hessian of −2l (as SAS and lmerTest use; parameters held on a boundary have
 * zero rows). The gradient is exact (analytic ∂V/∂θ); lmerTest differentiates numerically, so its
 * df agree to about 1e-4 relative.
 *
 * For a hypothesis with several rows (Type 3 F): L Φ L' = U diag(d) U' (eigenvalues above
 * √eps·largest), each direction u_m'L gets its own t df ν_m, and
 *   E = Σ ν_m/(ν_m − 2),  ν = 2E/(E − q)
 * (Fai & Cornelius 1996; SAS's F-test Satterthwaite; lmerTest's contestMD / get_Fstat_ddf: ν = 2 when
 * some ν_m ≤ 2, the common value when all ν_m are equal).
 */
import { Matrix } from 'ml-matrix';
import type { Design } from '../design-types.js';
import type { FitResult } from '../fit/fit-model.js';
import type { ApproximateDf } from './ddf.js';
import { invertInformationMatrix } from '../fit/information.js';
import { hypothesisDirections, restrictColumns, varianceSensitivity, type VarianceSensitivity } from './variance-sensitivity.js';

export interface SatterthwaiteDf {
  /** df for the hypothesis L (rows over all GLM columns); one row: the t df */
  df(L: Matrix): number;
  /** the per-direction t df ν_m of a multi-row hypothesis, before they are combined */
  componentDf(L: Matrix): number[];
  /** as `denominatorDf`'s `approximate` option */
  approximate: ApproximateDf;
  /** the asymptotic covariance of θ̂ used */
  thetaCov: Matrix;
  notes: string[];
  sensitivity: VarianceSensitivity;
}

type SatterthwaiteFit = Pick<
  FitResult,
  'theta' | 'covBeta' | 'covarianceModel' | 'likelihood' | 'q' | 'thetaCov' | 'hessian' | 'atBound'
>;

/**
 * The asymptotic covariance of θ̂ the approximations use: the fit's 2H⁻¹, or when H is singular
 * 2H⁺ over the parameters not on a boundary (equilibrated: fit/information.ts), with a note.
 */
export function asymptoticThetaCov(fit: Pick<FitResult, 'q' | 'thetaCov' | 'hessian' | 'atBound'>, notes: string[]): Matrix {
  if (fit.thetaCov) return fit.thetaCov;
  const free = Array.from({ length: fit.q }, (_, k) => k).filter((k) => !fit.atBound[k]);
  const { inverse } = invertInformationMatrix(fit.hessian.selection(free, free));
  const out = new Matrix(fit.q, fit.q);
  free.forEach((a, i) => free.forEach((b, j) => out.set(a, b, 2 * inverse.get(i, j))));
  notes.push('the Hessian of the covariance parameters is singular: its generalized inverse is used for the approximate df');
  return out;
}

/** lmerTest's get_Fstat_ddf: combines the t df of the independent directions of an F test. */
export function combineComponentDf(nu: number[], tolerance = 1e-8): number {
  if (nu.length === 0) return NaN;
  if (nu.length === 1) return nu[0]!;
  if (nu.every((v) => Math.abs(v - nu[0]!) < tolerance)) return nu.reduce((a, b) => a + b, 0) / nu.length;
  if (nu.some((v) => v <= 2)) return 2;
  const E = nu.reduce((s, v) => s + v / (v - 2), 0);
  return (2 * E) / (E - nu.length);
}

export function satterthwaite(
  design: Pick<Design, 'columns'>,
  fit: SatterthwaiteFit,
  options: { thetaCov?: Matrix; sensitivity?: VarianceSensitivity } = {},
): SatterthwaiteDf {
  const notes: string[] = [];
  const sensitivity = options.sensitivity ?? varianceSensitivity(design, fit);
  const A = options.thetaCov ?? asymptoticThetaCov(fit, notes);
  const { Phi, P, kept, q } = sensitivity;

  /** t df of one row r over the kept columns, with its variance d = r Φ r' */
  const rowDf = (r: Matrix, d: number): number => {
    const a = Phi.mmul(r.transpose()); // p x 1
    const g = P.map((Pk) => -a.transpose().mmul(Pk).mmul(a).get(0, 0));
    let v = 0;
    for (let k = 0; k < q; k++) for (let l = 0; l < q; l++) v += g[k]! * A.get(k, l) * g[l]!;
    return (2 * d * d) / v;
  };

  const componentDf = (L: Matrix): number[] => {
    const { rows, d } = hypothesisDirections(restrictColumns(L, kept), Phi);
    return d.map((dm, m) => rowDf(rows.subMatrixRow([m]), dm));
  };
  const df = (L: Matrix): number => {
    if (L.rows === 1) {
      const r = restrictColumns(L, kept);
      const d = r.mmul(Phi).mmul(r.transpose()).get(0, 0);
      return d > 0 ? rowDf(r, d) : NaN;
    }
    return combineComponentDf(componentDf(L));
  };
  return { df, componentDf, approximate: (L) => df(L), thetaCov: A, notes, sensitivity };
}
