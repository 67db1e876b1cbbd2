/**
 * Inference after the fit: Solution for Fixed Effects, Type 3 tests, LS-means with differences,
 * and estimates, from β̂, Cov(β̂) and the denominator df method. The fit is consumed through
 * `FixedEffectsFit` only, so any estimation method (REML, ML, OLS) can be plugged in.
 */
import type { Matrix } from 'ml-matrix';
import type { Design } from '../design-types.js';
import type { ModelSpec } from '../model-spec.js';
import type { DiffRow, EstimateRow, FitNote, FixedRow, LsMeanRow, SliceTestRow, Type3Row } from '../results.js';
import { chiSquareUpper, fisherFUpper } from '../distributions/central.js';
import type { FixedEffectsFit } from './contrasts.js';
import type { DenominatorDf } from './ddf.js';
import { estimateContrasts } from './estimates.js';
import { findTerm, leastSquaresMeans } from './lsmeans.js';
import { fixedEffectsSolution } from './solution.js';
import { typeIIIHypotheses, typeIIITests } from './type3.js';

export * from './contrasts.js';
export * from './ddf.js';
export * from './estimates.js';
export * from './lsmeans.js';
export * from './solution.js';
export * from './random-solution.js';
export * from './type3.js';
export * from './satterthwaite.js';
export * from './kenward-roger.js';
export * from './approximate.js';

export interface FixedEffectsInference {
  fixed: FixedRow[];
  type3: Type3Row[];
  lsmeans: LsMeanRow[];
  diffs: DiffRow[];
  slices: SliceTestRow[];
  estimates: EstimateRow[];
  notes: FitNote[];
}

const sameTerm = (a: string[], b: string[]) => a.length === b.length && [...a].sort().join('*') === [...b].sort().join('*');

export function fixedEffectsInference(
  design: Design,
  fit: FixedEffectsFit,
  spec: Pick<ModelSpec, 'tests' | 'estimates' | 'lsmeans'>,
  ddf: DenominatorDf,
  options: {
    alpha?: number;
    /**
     * Kenward-Roger: the F of a Type 3 test is the Wald F from `fit.covBeta` (Φ_A) times this
     * scaling λ of the hypothesis (the p-value is recomputed); absent for the other methods.
     */
    fScale?: (termIndex: number, L: Matrix) => number;
  } = {},
): FixedEffectsInference {
  const notes: FitNote[] = ddf.notes.map((message) => ({ severity: 'info', message }));
  const fixed = fixedEffectsSolution(design, fit, ddf.columnDf, { alpha: options.alpha, confidenceLimits: true });
  let hypotheses = typeIIIHypotheses(design);
  if (spec.tests) hypotheses = hypotheses.filter((h) => spec.tests!.some((t) => sameTerm(t, design.terms[h.termIndex]!)));
  // SAS's CHISQ option: the Wald chi-square numdf x F, before Kenward-Roger's scaling of F
  let type3 = typeIIITests(design, fit, (t, L) => ddf.forHypothesis(t, L), hypotheses).map((row) =>
    row.numdf > 0 && row.F !== null ? { ...row, chisq: row.numdf * row.F, p_chisq: chiSquareUpper(row.numdf * row.F, row.numdf) } : row,
  );
  for (const row of type3) {
    if (row.numdf === 0) notes.push({ severity: 'info', message: `${row.effect} has no estimable Type 3 hypothesis (it is confounded with other effects of the model): 0 numerator df, no test, as SAS prints it` });
  }
  if (options.fScale) {
    const scale = options.fScale;
    type3 = type3.map((row, k) => {
      if (!(row.numdf > 0) || row.F === null || row.dendf === null) return row;
      const F = row.F * scale(hypotheses[k]!.termIndex, hypotheses[k]!.L);
      return { ...row, F, p: fisherFUpper(F, row.numdf, row.dendf) };
    });
  }
  const lsmeans: LsMeanRow[] = [];
  const diffs: DiffRow[] = [];
  const slices: SliceTestRow[] = [];
  for (const request of spec.lsmeans) {
    const r = leastSquaresMeans(design, fit, request, ddf, options);
    lsmeans.push(...r.lsmeans);
    diffs.push(...r.diffs);
    for (const { row, L } of r.slices) {
      // Kenward-Roger scales the F of a slice as it scales a Type 3 F
      const F = options.fScale && row.numdf > 0 ? row.F * options.fScale(findTerm(design, request.effect), L) : row.F;
      slices.push(F === row.F ? row : { ...row, F, p: fisherFUpper(F, row.numdf, row.dendf) });
    }
    for (const level of r.nonEstimable) notes.push({ severity: 'warning', message: `LS-mean of ${request.effect} ${level} is not estimable` });
  }
  const est = estimateContrasts(design, fit, spec.estimates, ddf, options);
  for (const label of est.nonEstimable) notes.push({ severity: 'warning', message: `estimate '${label}' is not estimable` });
  return { fixed, type3, lsmeans, diffs, slices, estimates: est.estimates, notes };
}
