/**
 * Least-squares means (SAS LSMEANS) of a classification effect, and their pairwise differences.
 *
 * The LS-mean of a level combination of effect F is l'β̂ where l puts, in every term:
 *   - covariates at their means over the observations used (SAS's default, not the subject means);
 *   - for F's own class variables, weight on the columns of that level only;
 *   - for class variables not in F, equal weights 1/(number of levels) — a population where
 *     the other factors are balanced, whatever the cell counts.
 * Differences are listed in SAS order (level i vs j for i < j, estimate = i − j), with Tukey-Kramer
 * (p = P(Q > |t|·√2) for the studentized range over k means with the test's df), Bonferroni
 * (min(1, m·p) over the m pairs) or no adjustment.
 */
import { Matrix } from 'ml-matrix';
import type { Design } from '../design-types.js';
import type { Adjustment, LsMeansSpec, Term } from '../model-spec.js';
import type { DiffRow, LsMeanRow, SliceTestRow } from '../results.js';
import { ptukey } from '../distributions/studentized-range.js';
import { fTest, tTest, type FixedEffectsFit } from './contrasts.js';
import type { DenominatorDf } from './ddf.js';
import { aliasingRelations, isEstimable } from './type3.js';

export type LsMeansDesign = Pick<Design, 'X' | 'columns' | 'terms' | 'termNames' | 'classLevels' | 'covariateMeans'>;

export interface LsMeanCoefficients {
  termIndex: number;
  effect: string;
  /** one entry per level combination, in SAS order (last variable varying fastest) */
  levels: Record<string, string>[];
  /** printed level: the levels joined by spaces */
  labels: string[];
  /** one row per level combination over all GLM columns */
  L: Matrix;
  /** covariates the means are taken at */
  at: Record<string, number>;
}

/** Find the model term an LSMEANS effect names ("time", "A*B", or "B*A"). */
export function findTerm(design: Pick<Design, 'terms' | 'termNames'>, effect: string): number {
  const wanted = effect.split('*').map((s) => s.trim()).sort().join('*');
  const t = design.terms.findIndex((term, i) => design.termNames[i] === effect || [...term].sort().join('*') === wanted);
  if (t < 0) throw new Error(`LSMEANS effect '${effect}' is not a fixed effect of the model`);
  return t;
}

function levelCombinations(vars: string[], classLevels: Map<string, string[]>): Record<string, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const v of vars) {
    const levels = classLevels.get(v);
    if (!levels) throw new Error(`LSMEANS: '${v}' is not a class variable`);
    combos = combos.flatMap((c) => levels.map((l) => ({ ...c, [v]: l })));
  }
  return combos;
}

/**
 * The L rows of SAS's LSMEANS for effect `termIndex` (which must consist of class variables), with
 * covariates at their means over the rows used, or at the values given in `atValues` (SAS's AT option).
 */
export function lsMeanCoefficients(
  design: LsMeansDesign,
  termIndex: number,
  atValues: Record<string, number> = {},
  /** the variables in the order the LSMEANS request writes them (SAS prints and orders levels so) */
  order?: string[],
): LsMeanCoefficients {
  const termVars = design.terms[termIndex]!;
  const effectVars = order && order.length === termVars.length && order.every((v) => termVars.includes(v)) ? order : termVars;
  const isClass = (v: string) => design.classLevels.has(v);
  if (effectVars.length === 0 || !effectVars.every(isClass)) {
    throw new Error(`LSMEANS needs a classification effect; '${design.termNames[termIndex]}' is not one`);
  }
  const combos = levelCombinations(effectVars, design.classLevels);
  const p = design.columns.length;
  const L = new Matrix(combos.length, p);
  const at: Record<string, number> = {};
  combos.forEach((combo, r) => {
    design.columns.forEach((col, j) => {
      const term: Term = col.termIndex >= 0 ? design.terms[col.termIndex]! : [];
      let w = 1;
      for (const v of term) {
        if (isClass(v)) {
          if (v in combo) {
            if (col.levels[v] !== combo[v]) w = 0;
          } else w /= design.classLevels.get(v)!.length;
        } else {
          const mean = atValues[v] ?? design.covariateMeans.get(v);
          if (mean === undefined) throw new Error(`LSMEANS: no mean for covariate '${v}'`);
          w *= mean;
          at[v] = mean;
        }
      }
      L.set(r, j, w);
    });
  });
  return {
    termIndex,
    effect: effectVars === termVars ? design.termNames[termIndex]! : effectVars.join('*'),
    levels: combos,
    labels: combos.map((c) => effectVars.map((v) => c[v]).join(' ')),
    L,
    at,
  };
}

export interface LsMeansResult {
  lsmeans: LsMeanRow[];
  diffs: DiffRow[];
  /** with a slice: SAS's Tests of Effect Slices, one F test of equal LS-means per slice level, with its L */
  slices: { row: SliceTestRow; L: Matrix }[];
  /** levels whose LS-mean is not estimable (SAS prints "Non-est"); they are left out of the tables */
  nonEstimable: string[];
}

/** LS-means with SE, df, t, p and (1 − α) limits, and (when asked) all pairwise differences. */
export function leastSquaresMeans(
  design: LsMeansDesign,
  fit: FixedEffectsFit,
  request: LsMeansSpec,
  ddf: Pick<DenominatorDf, 'forHypothesis'>,
  options: { alpha?: number } = {},
): LsMeansResult {
  const alpha = options.alpha ?? 0.05;
  const termIndex = findTerm(design, request.effect);
  // an interaction written out (compare AVISIT*ARMCD) is labelled in that order, as SAS's LSMEANS; a
  // sliced comparison (compare sex at each visit) keeps the model term's order
  const order = request.slice ? undefined : request.effect.split('*').map((v) => v.trim());
  const coef = lsMeanCoefficients(design, termIndex, request.at, order);
  const relations = aliasingRelations(design);
  const hasAt = Object.keys(coef.at).length > 0;

  const estimable: number[] = [];
  const nonEstimable: string[] = [];
  coef.labels.forEach((label, r) => (isEstimable(coef.L.getRow(r), relations) ? estimable.push(r) : nonEstimable.push(label)));

  const lsmeans: LsMeanRow[] = estimable.map((r) => {
    const l = coef.L.getRow(r);
    const df = ddf.forHypothesis(termIndex, Matrix.rowVector(l));
    const t = tTest(l, fit, df, alpha);
    const row: LsMeanRow = {
      effect: coef.effect,
      level: coef.labels[r]!,
      estimate: t.estimate,
      se: t.se,
      df,
      t: t.t,
      p: t.p,
      lower: t.lower,
      upper: t.upper,
    };
    if (hasAt) row.at = { ...coef.at };
    return row;
  });

  const diffs: DiffRow[] = [];
  const slices: { row: SliceTestRow; L: Matrix }[] = [];
  if (request.slice) {
    // SAS LSMEANS effect / SLICE=slice: within each level of the slice, H0: the LS-means are equal
    const members = new Map<string, number[]>();
    for (const r of estimable) {
      const level = coef.levels[r]![request.slice]!;
      members.set(level, [...(members.get(level) ?? []), r]);
    }
    for (const [level, rows] of members) {
      if (rows.length < 2) continue;
      const L = new Matrix(rows.length - 1, coef.L.columns);
      rows.slice(1).forEach((r, i) => {
        for (let j = 0; j < coef.L.columns; j++) L.set(i, j, coef.L.get(rows[0]!, j) - coef.L.get(r, j));
      });
      const dendf = ddf.forHypothesis(termIndex, L);
      const test = fTest(L, fit, dendf);
      slices.push({ row: { effect: coef.effect, by: { [request.slice]: level }, level, numdf: test.numdf, dendf, F: test.F, p: test.p }, L });
    }
  }
  if (request.pairwise) {
    // the families of comparisons: every estimable level, or (sliced) the levels sharing a slice level
    const sliceOf = (r: number) => (request.slice ? coef.levels[r]![request.slice]! : '');
    const families = new Map<string, number[]>();
    for (const r of estimable) families.set(sliceOf(r), [...(families.get(sliceOf(r)) ?? []), r]);
    for (const [sliceLevel, members] of families) {
      const k = members.length;
      const pairs = (k * (k - 1)) / 2;
      for (let a = 0; a < k; a++) {
        for (let b = a + 1; b < k; b++) {
          const ra = members[a]!;
          const rb = members[b]!;
          const l = coef.L.getRow(ra).map((v, j) => v - coef.L.get(rb, j));
          const df = ddf.forHypothesis(termIndex, Matrix.rowVector(l));
          const t = tTest(l, fit, df, alpha);
          const row: DiffRow = {
            effect: coef.effect,
            level: coef.labels[ra]!,
            vs: coef.labels[rb]!,
            estimate: t.estimate,
            se: t.se,
            df,
            t: t.t,
            p: t.p,
            lower: t.lower,
            upper: t.upper,
          };
          if (hasAt) row.at = { ...coef.at };
          if (request.slice) row.by = { [request.slice]: sliceLevel };
          const adjusted = adjustP(request.adjust, t.p, t.t, k, df, pairs);
          if (adjusted !== undefined) {
            row.adjust = request.adjust;
            row.p_adj = adjusted;
          }
          diffs.push(row);
        }
      }
    }
  }
  return { lsmeans, diffs, slices, nonEstimable };
}

/** Multiplicity-adjusted p-value of one pairwise difference; undefined for no adjustment. */
export function adjustP(adjust: Adjustment, p: number, t: number, nMeans: number, df: number, nPairs: number): number | undefined {
  switch (adjust) {
    case 'none':
      return undefined;
    case 'bonferroni':
      return Math.min(1, p * nPairs);
    case 'tukey':
      // Tukey-Kramer: the pairwise t times √2 is a studentized range of k means
      return ptukey(Math.abs(t) * Math.SQRT2, nMeans, df, 1, false);
  }
}
