/**
 * SAS's "Solution for Random Effects" (RANDOM … / SOLUTION; R's ranef with its conditional variances):
 * the empirical BLUPs of the G-side effects and their prediction standard errors.
 *
 * For subject block i, with V_i = Z_i G_i Z_i' + R_i at the estimated covariance parameters,
 *   gamma_i = G_i Z_i' V_i^-1 (y_i - X_i beta)
 * and its prediction error variance Var(gamma_i - gamma_i_true), the random-effects block of the
 * inverse of the mixed model equations, is
 *   C22_i = G_i - G_i Z_i' V_i^-1 Z_i G_i + (G_i Z_i' V_i^-1 X_i) C11 (X_i' V_i^-1 Z_i G_i),
 * with C11 = (X'V^-1X)^- — the last term is what estimating beta adds (SAS's "Std Err Pred").
 * Blocks are independent, so only the diagonal blocks of C22 are needed for the standard errors.
 *
 * The t tests use the residual df n − rank[X Z] with DDFM=CONTAIN (checked against SAS's
 * Random Coefficients example, df 78) and n − rank(X) with DDFM=RESIDUAL (SAS: every test uses the
 * residual df). Other df methods are not offered for this table (the language says so).
 */
import type { Design } from '../design-types.js';
import type { FitResult } from '../fit/fit-model.js';
import type { DfMethod } from '../model-spec.js';
import type { RandomSolutionRow } from '../results.js';
import { studentTTwoSidedP } from '../distributions/central.js';
import { containmentDf, residualDf } from './ddf.js';

type FitPieces = Pick<FitResult, 'beta' | 'covBeta' | 'theta' | 'covarianceModel' | 'layouts' | 'blockVInverseZ'>;

/** One subject block's EBLUPs: the block's G columns, G_i, GA = G_i Z_i' V_i^-1 (g x m) and gamma_i. */
interface BlockBlup {
  columns: number[];
  G: Float64Array;
  GA: Float64Array;
  gamma: Float64Array;
}

/** The EBLUPs of every block that has G-side columns (undefined for the others). */
function blockBlups(design: Design, fit: FitPieces): (BlockBlup | undefined)[] {
  const random = fit.covarianceModel.random;
  if (!random || !design.zColumns) return [];
  return design.subjects.map((block, i) => {
    const layout = fit.layouts[i]!;
    const columns = layout.localColumns;
    const g = columns.length;
    if (g === 0) return undefined;
    const m = block.rows.length;
    const VinvZ = fit.blockVInverseZ(i); // m x g
    const G = new Float64Array(g * g);
    for (let a = 0; a < g; a++) for (let b = 0; b < g; b++) G[a * g + b] = random.entry(fit.theta, columns[a]!, columns[b]!);
    // A = Z_i' V_i^-1 (g x m), then GA = G_i A: the BLUP operator on y_i - X_i beta
    const A = new Float64Array(g * m);
    for (let a = 0; a < g; a++) for (let r = 0; r < m; r++) A[a * m + r] = VinvZ[r * g + a]!;
    const GA = new Float64Array(g * m);
    for (let a = 0; a < g; a++) {
      for (let r = 0; r < m; r++) {
        let s = 0;
        for (let b = 0; b < g; b++) s += G[a * g + b]! * A[b * m + r]!;
        GA[a * m + r] = s;
      }
    }
    // gamma = GA (y_i - X_i beta); aliased columns carry beta 0
    const gamma = new Float64Array(g);
    block.rows.forEach((row, r) => {
      const resid = design.y[row]! - design.X.rowDot(row, fit.beta);
      for (let a = 0; a < g; a++) gamma[a] += GA[a * m + r]! * resid;
    });
    return { columns, G, GA, gamma };
  });
}

/**
 * Zγ̂ for every used row (0 without G-side effects): what the conditional fitted values Xβ̂ + Zγ̂ add
 * to the marginal ones (R: fitted(lmer) − X fixef).
 */
export function randomEffectsFitted(design: Design, fit: FitPieces): Float64Array {
  const out = new Float64Array(design.n);
  blockBlups(design, fit).forEach((b, i) => {
    if (!b) return;
    const g = b.columns.length;
    const Z = fit.layouts[i]!.zLocal;
    design.subjects[i]!.rows.forEach((row, r) => {
      let s = 0;
      for (let a = 0; a < g; a++) s += Z[r * g + a]! * b.gamma[a]!;
      out[row] = s;
    });
  });
  return out;
}

export function randomEffectsSolution(design: Design, fit: FitPieces, ddfm: DfMethod): RandomSolutionRow[] {
  if (!fit.covarianceModel.random || !design.zColumns) return [];
  if (ddfm !== 'containment' && ddfm !== 'residual') {
    throw new Error(`the solution for random effects is computed with df containment or residual, not ${ddfm}`);
  }
  const df = ddfm === 'containment' ? containmentDf(design).residual : residualDf(design);
  const p = design.columns.length;
  const rows: RandomSolutionRow[] = [];
  blockBlups(design, fit).forEach((b, i) => {
    if (!b) return;
    const block = design.subjects[i]!;
    const Z = fit.layouts[i]!.zLocal;
    const g = b.columns.length;
    const m = block.rows.length;
    const { G, GA } = b;
    // GAZ = G Z' V^-1 Z (g x g) and GAX = G Z' V^-1 X_i (g x p)
    const GAZ = new Float64Array(g * g);
    for (let a = 0; a < g; a++) {
      for (let c = 0; c < g; c++) {
        let s = 0;
        for (let r = 0; r < m; r++) s += GA[a * m + r]! * Z[r * g + c]!;
        GAZ[a * g + c] = s;
      }
    }
    const GAX = new Float64Array(g * p);
    for (let a = 0; a < g; a++) {
      for (let j = 0; j < p; j++) {
        let s = 0;
        block.rows.forEach((row, r) => (s += GA[a * m + r]! * design.X.get(row, j)));
        GAX[a * p + j] = s;
      }
    }
    for (let a = 0; a < g; a++) {
      // diagonal of G - G Z'V^-1 Z G + GAX C11 GAX'
      let pev = G[a * g + a]!;
      for (let c = 0; c < g; c++) pev -= GAZ[a * g + c]! * G[c * g + a]!;
      for (let j = 0; j < p; j++) {
        const u = GAX[a * p + j]!;
        if (u === 0) continue;
        for (let k = 0; k < p; k++) pev += u * fit.covBeta.get(j, k) * GAX[a * p + k]!;
      }
      const column = design.zColumns![b.columns[a]!]!;
      const term = design.randomTerms[column.term]!;
      const estimate = b.gamma[a]!;
      const se = Math.sqrt(Math.max(0, pev));
      const row: RandomSolutionRow = {
        effect: term.name,
        ...(term.subject ? { subject: `${term.subject} ${column.group}` } : {}),
        ...(Object.keys(column.levels).length > 0 ? { levels: column.levels } : {}),
        estimate,
        se,
        df,
        t: null,
        p: null,
      };
      // a zero prediction variance (a variance estimated as 0) has no t test; SAS prints no t either
      if (se > 0) {
        row.t = estimate / se;
        row.p = studentTTwoSidedP(row.t, df);
      }
      rows.push(row);
    }
  });
  return rows;
}
