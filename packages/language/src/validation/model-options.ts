/** Checks of a model's options that are plain values: `alpha`. */
import { literalText, literalValue, type EffectiveModel } from '../semantics.js';
import { Codes } from './codes.js';
import type { CheckContext } from './covariance-checks.js';

/** `alpha 0.10`: a probability strictly between 0 and 1 (SAS ALPHA=). */
export function checkAlpha(ctx: Pick<CheckContext, 'report'>, m: EffectiveModel): void {
  const lit = m.alpha?.value;
  if (!lit) return;
  const v = literalValue(lit);
  if (typeof v === 'number' && v > 0 && v < 1) return;
  const written = typeof v === 'number' ? literalText(lit) : `"${v}"`;
  ctx.report('error', `alpha must be a number between 0 and 1, not ${written}: the confidence limits are at level 1 − alpha (alpha 0.05 gives 95% limits)`, lit, {}, Codes.alphaRange);
}
