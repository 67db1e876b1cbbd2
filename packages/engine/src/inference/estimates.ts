/**
 * ESTIMATE-like requests: a covariate's slope at each level of a class factor, and explicit linear
 * combinations given by column label. Each gives l'β̂, SE, t, p and a (1 − α) interval, with the
 * df of the final effect in the contrast (SAS: "the final effect you list in the ESTIMATE
 * statement"). The contrast is also written as SAS's ESTIMATE statement would spell it,
 * e.g. "age 1 age*time 0 1 0 0 0".
 */
import { Matrix } from 'ml-matrix';
import type { Design } from '../design-types.js';
import type { EstimateSpec, Term } from '../model-spec.js';
import type { EstimateRow } from '../results.js';
import { tTest, type FixedEffectsFit } from './contrasts.js';
import type { DenominatorDf } from './ddf.js';
import { aliasingRelations, isEstimable } from './type3.js';

export type EstimateDesign = Pick<Design, 'X' | 'columns' | 'terms' | 'termNames' | 'classLevels'>;

export interface ContrastVector {
  label: string;
  /** coefficients over all GLM columns */
  l: Float64Array;
  /** SAS ESTIMATE spelling */
  text: string;
  /** the effect whose df is used (the last one listed) */
  dfTerm: number;
}

function sameVariables(a: Term, b: Term): boolean {
  return a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
}

function formatCoefficient(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(12)));
}

/**
 * SAS spelling of a contrast: for each effect with a non-zero coefficient, in `effectOrder`, the
 * effect name and its coefficients over the effect's columns (trailing zeros kept, since SAS's
 * positional lists need them only up to the last non-zero; we print them all for readability).
 */
function describeContrast(design: EstimateDesign, l: ArrayLike<number>, effectOrder: number[], names: Map<number, string>): string {
  const parts: string[] = [];
  for (const t of effectOrder) {
    const cols = design.columns.flatMap((c, j) => (c.termIndex === t ? [j] : []));
    if (!cols.some((j) => l[j] !== 0)) continue;
    const name = names.get(t) ?? design.termNames[t]!;
    parts.push(`${name} ${cols.map((j) => formatCoefficient(l[j]!)).join(' ')}`);
  }
  return parts.join(' ');
}

/** "{level}" in a user label is replaced by the level; otherwise the level is appended. */
function slopeLabel(label: string | undefined, covariate: string, factor: string, level: string): string {
  if (!label) return `${covariate} slope at ${factor} ${level}`;
  return label.includes('{level}') ? label.split('{level}').join(level) : `${label} ${level}`;
}

/**
 * The slope of `covariate` at each level of `factor`: the coefficient of the covariate plus the
 * covariate x factor column of that level (aliased last-level columns are 0, so the last level's
 * slope is the covariate's own coefficient).
 */
export function slopeAtLevels(design: EstimateDesign, covariate: string, factor: string, label?: string): ContrastVector[] {
  const slopeTerm = design.terms.findIndex((t) => sameVariables(t, [covariate]));
  const interaction = design.terms.findIndex((t) => sameVariables(t, [covariate, factor]));
  if (slopeTerm < 0) throw new Error(`estimate: '${covariate}' is not a fixed effect`);
  if (interaction < 0) throw new Error(`estimate: the model has no ${covariate}*${factor} interaction`);
  const levels = design.classLevels.get(factor);
  if (!levels) throw new Error(`estimate: '${factor}' is not a class variable`);
  const p = design.columns.length;
  const slopeColumn = design.columns.findIndex((c) => c.termIndex === slopeTerm);
  return levels.map((level) => {
    const l = new Float64Array(p);
    l[slopeColumn] = 1;
    const j = design.columns.findIndex((c) => c.termIndex === interaction && c.levels[factor] === level);
    if (j < 0) throw new Error(`estimate: no ${covariate}*${factor} column for level ${level}`);
    l[j] = 1;
    // written covariate first ("age 1 age*time 0 1 0 0 0"), as the slope contrast reads in SAS
    const text = `${covariate} 1 ${covariate}*${factor} ${levels.map((lv) => (lv === level ? 1 : 0)).join(' ')}`;
    return { label: slopeLabel(label, covariate, factor, level), l, text, dfTerm: interaction };
  });
}

/** An explicit contrast from coefficients keyed by column label ("Intercept", "time 2", "age*time 2"). */
export function explicitContrast(design: EstimateDesign, label: string, coefficients: Record<string, number>): ContrastVector {
  const p = design.columns.length;
  const l = new Float64Array(p);
  const order: number[] = [];
  for (const [key, value] of Object.entries(coefficients)) {
    const j = design.columns.findIndex((c) => c.label === key);
    if (j < 0) throw new Error(`estimate '${label}': no fixed-effect column '${key}'`);
    l[j] = value;
    const t = design.columns[j]!.termIndex;
    const at = order.indexOf(t);
    if (at >= 0) order.splice(at, 1);
    order.push(t);
  }
  // SAS lists effects in model order inside an ESTIMATE; the df follow the last effect the user wrote
  const modelOrder = [...order].sort((a, b) => a - b);
  return { label, l, text: describeContrast(design, l, modelOrder, new Map()), dfTerm: order[order.length - 1] ?? 0 };
}

export function contrastVectors(design: EstimateDesign, spec: EstimateSpec): ContrastVector[] {
  return spec.kind === 'slope-at-levels'
    ? slopeAtLevels(design, spec.covariate, spec.factor, spec.label)
    : [explicitContrast(design, spec.label, spec.coefficients)];
}

export interface EstimatesResult {
  estimates: EstimateRow[];
  /** labels of non-estimable contrasts (SAS prints "Non-est"), left out of `estimates` */
  nonEstimable: string[];
}

export function estimateContrasts(
  design: EstimateDesign,
  fit: FixedEffectsFit,
  specs: EstimateSpec[],
  ddf: Pick<DenominatorDf, 'forHypothesis'>,
  options: { alpha?: number } = {},
): EstimatesResult {
  const relations = aliasingRelations(design);
  const estimates: EstimateRow[] = [];
  const nonEstimable: string[] = [];
  for (const spec of specs) {
    for (const c of contrastVectors(design, spec)) {
      if (!isEstimable(c.l, relations)) {
        nonEstimable.push(c.label);
        continue;
      }
      const df = ddf.forHypothesis(c.dfTerm, Matrix.rowVector(Array.from(c.l)));
      const t = tTest(c.l, fit, df, options.alpha ?? 0.05);
      estimates.push({ label: c.label, L: c.text, estimate: t.estimate, se: t.se, df, t: t.t, p: t.p, lower: t.lower, upper: t.upper });
    }
  }
  return { estimates, nonEstimable };
}
