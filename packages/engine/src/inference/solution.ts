/**
 * The "Solution for Fixed Effects" table: one row per GLM column. Aliased columns (SAS's last
 * levels) are printed with estimate 0 and no SE, df, t or p, as SAS does.
 */
import type { Design } from '../design-types.js';
import type { FixedRow } from '../results.js';
import { studentTQuantile, studentTTwoSidedP } from '../distributions/central.js';
import type { FixedEffectsFit } from './contrasts.js';

export function fixedEffectsSolution(
  design: Pick<Design, 'columns'>,
  fit: FixedEffectsFit,
  columnDf: ArrayLike<number>,
  options: { alpha?: number; confidenceLimits?: boolean } = {},
): FixedRow[] {
  const alpha = options.alpha ?? 0.05;
  return design.columns.map((c, j) => {
    if (c.aliased) return { term: c.label, estimate: 0, se: null, df: null, t: null, p: null, aliased: true };
    const estimate = fit.beta[j]!;
    const se = Math.sqrt(Math.max(0, fit.covBeta.get(j, j)));
    const df = columnDf[j]!;
    const t = estimate / se;
    const row: FixedRow = { term: c.label, estimate, se, df, t, p: studentTTwoSidedP(t, df) };
    if (options.confidenceLimits) {
      const crit = studentTQuantile(1 - alpha / 2, df);
      row.lower = estimate - crit * se;
      row.upper = estimate + crit * se;
    }
    return row;
  });
}
