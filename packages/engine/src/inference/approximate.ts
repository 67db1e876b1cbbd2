/**
 * The hypothesis-dependent df methods wired for a fit: what `denominatorDf` (approximate option)
 * and `fixedEffectsInference` (fit and fScale) need for DDFM=SATTERTHWAITE and DDFM=KENWARDROGER.
 */
import type { Design } from '../design-types.js';
import type { FitResult } from '../fit/fit-model.js';
import type { DfMethod } from '../model-spec.js';
import type { Matrix } from 'ml-matrix';
import type { FixedEffectsFit } from './contrasts.js';
import type { ApproximateDf } from './ddf.js';
import { kenwardRoger, type KenwardRogerOptions } from './kenward-roger.js';
import { satterthwaite } from './satterthwaite.js';

export interface ApproximateInference {
  approximate: ApproximateDf;
  /** the fit to draw inference from: the fit itself (Satterthwaite) or β̂ with Φ_A (Kenward-Roger) */
  fit: FixedEffectsFit;
  /** Kenward-Roger's F scaling λ, for the Type 3 tests */
  fScale?: (termIndex: number, L: Matrix) => number;
  notes: string[];
}

/** null for the methods that do not depend on the hypothesis (residual, between-within, containment). */
export function approximateInference(
  design: Design,
  fit: FitResult,
  method: DfMethod,
  options: { kenwardRoger?: KenwardRogerOptions } = {},
): ApproximateInference | null {
  if (method === 'satterthwaite') {
    const s = satterthwaite(design, fit);
    return { approximate: s.approximate, fit, notes: s.notes };
  }
  if (method === 'kenward-roger') {
    if (fit.method !== 'REML') throw new Error('DDFM=KENWARDROGER needs a REML fit');
    const kr = kenwardRoger(design, fit, options.kenwardRoger);
    return { approximate: kr.approximate, fit: { beta: fit.beta, covBeta: kr.covBeta }, fScale: kr.fScale, notes: kr.notes };
  }
  return null;
}
