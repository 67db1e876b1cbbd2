/**
 * Shared checks for the Satterthwaite / Kenward-Roger tests: fit a conformance case with the engine,
 * run the inference with the approximate df method, and compare with the R (lmerTest / pbkrtest /
 * emmeans) numbers. R's fixed effects are in treatment coding: each R coefficient is given as a
 * linear combination of the SAS GLM columns (by label); df are invariant to that reparametrisation.
 */
import { Matrix } from 'ml-matrix';
import { expect } from 'vitest';
import { buildDesign } from '../src/design.js';
import type { Design } from '../src/design-types.js';
import { fitModel, type FitResult } from '../src/fit/index.js';
import { approximateInference, denominatorDf, fixedEffectsInference, tTest, type ApproximateInference, type FixedEffectsInference } from '../src/inference/index.js';
import type { KenwardRogerOptions } from '../src/inference/kenward-roger.js';
import type { CovarianceType, ModelSpec, Value } from '../src/model-spec.js';
import { expectClose } from './fit-helpers.js';

export interface CaseRun {
  design: Design;
  fit: FitResult;
  approx: ApproximateInference;
  inference: FixedEffectsInference;
}

export function runCase(
  rows: Record<string, Value>[],
  spec: ModelSpec,
  method: 'satterthwaite' | 'kenward-roger',
  options: { structure?: CovarianceType; kenwardRoger?: KenwardRogerOptions; design?: Design; fit?: FitResult } = {},
): CaseRun {
  const s: ModelSpec = { ...spec, ddfm: method };
  const design = options.design ?? buildDesign(rows, s);
  const fit = options.fit ?? fitModel(design, s, options.structure);
  const approx = approximateInference(design, fit, method, { kenwardRoger: options.kenwardRoger })!;
  const ddf = denominatorDf(design, { method, hasRandom: s.random.length > 0, hasSubjects: true }, { approximate: approx.approximate });
  const inference = fixedEffectsInference(design, approx.fit, s, ddf, approx.fScale ? { fScale: approx.fScale } : {});
  return { design, fit, approx, inference };
}

export interface Tolerances {
  value: { rel?: number; abs?: number };
  df: { rel?: number; abs?: number };
  p: { rel?: number; abs?: number };
}

/** an R coefficient (by name) as a combination of GLM columns (by label) */
export type CoefficientMap = Record<string, Record<string, number>>;

interface RFixed {
  term: string;
  estimate: number;
  se: number;
  df: number;
  t: number;
  p: number;
}

export function checkFixed(run: CaseRun, expected: RFixed[], map: CoefficientMap, tol: Tolerances, tag: string): void {
  const labels = run.design.columns.map((c) => c.label);
  for (const ref of expected) {
    const coef = map[ref.term];
    expect(coef, `no mapping for ${ref.term}`).toBeDefined();
    for (const l of Object.keys(coef!)) expect(labels, `column ${l}`).toContain(l);
    const L = Matrix.rowVector(labels.map((l) => coef![l] ?? 0));
    const df = run.approx.approximate(L, -1);
    const t = tTest(L.getRow(0), run.approx.fit, df);
    expectClose(t.estimate, ref.estimate, tol.value, `${tag} ${ref.term} estimate`);
    expectClose(t.se, ref.se, tol.value, `${tag} ${ref.term} se`);
    expectClose(df, ref.df, tol.df, `${tag} ${ref.term} df`);
    expectClose(t.t, ref.t, tol.value, `${tag} ${ref.term} t`);
    expectClose(t.p, ref.p, tol.p, `${tag} ${ref.term} p`);
  }
}

/** Solution-table rows whose R coefficient is a single GLM column (SE, df, t, p as printed) */
export function checkSolutionRows(run: CaseRun, expected: RFixed[], names: Record<string, string>, tol: Tolerances, tag: string): void {
  for (const ref of expected) {
    if (!(ref.term in names)) continue;
    const row = run.inference.fixed.find((r) => r.term === names[ref.term]);
    expect(row, `${tag} solution row ${names[ref.term]}`).toBeDefined();
    expectClose(row!.se, ref.se, tol.value, `${tag} solution ${ref.term} se`);
    expectClose(row!.df, ref.df, tol.df, `${tag} solution ${ref.term} df`);
    expectClose(row!.t, ref.t, tol.value, `${tag} solution ${ref.term} t`);
    expectClose(row!.p, ref.p, tol.p, `${tag} solution ${ref.term} p`);
  }
}

export function checkType3(
  run: CaseRun,
  expected: { effect: string; numdf: number; dendf: number; F: number; p: number }[],
  tol: Tolerances,
  tag: string,
): void {
  for (const ref of expected) {
    const name = ref.effect.replace(/:/g, '*');
    const row = run.inference.type3.find((r) => r.effect === name);
    expect(row, `${tag} type3 ${name}`).toBeDefined();
    expect(row!.numdf).toBe(ref.numdf);
    expectClose(row!.dendf, ref.dendf, tol.df, `${tag} ${name} dendf`);
    expectClose(row!.F, ref.F, tol.value, `${tag} ${name} F`);
    expectClose(row!.p, ref.p, tol.p, `${tag} ${name} p`);
  }
}

export function checkLsMeans(
  run: CaseRun,
  expected: { effect: string; level: string; estimate: number; se: number; df: number; lower?: number; upper?: number }[],
  tol: Tolerances,
  tag: string,
): void {
  for (const ref of expected) {
    const row = run.inference.lsmeans.find((r) => r.effect === ref.effect && r.level === ref.level);
    expect(row, `${tag} lsmean ${ref.effect} ${ref.level}`).toBeDefined();
    expectClose(row!.estimate, ref.estimate, tol.value, `${tag} lsmean ${ref.level} estimate`);
    expectClose(row!.se, ref.se, tol.value, `${tag} lsmean ${ref.level} se`);
    expectClose(row!.df, ref.df, tol.df, `${tag} lsmean ${ref.level} df`);
  }
}

export function checkDiffs(
  run: CaseRun,
  expected: { effect: string; level: string; vs: string; estimate: number; se: number; df: number; t: number; p: number; p_adj?: number }[],
  tol: Tolerances,
  tag: string,
): void {
  for (const ref of expected) {
    let sign = 1;
    let row = run.inference.diffs.find((r) => r.effect === ref.effect && r.level === ref.level && r.vs === ref.vs);
    if (!row) {
      row = run.inference.diffs.find((r) => r.effect === ref.effect && r.level === ref.vs && r.vs === ref.level);
      sign = -1;
    }
    expect(row, `${tag} diff ${ref.level} - ${ref.vs}`).toBeDefined();
    const what = `${tag} diff ${ref.level}-${ref.vs}`;
    expectClose(sign * row!.estimate, ref.estimate, tol.value, `${what} estimate`);
    expectClose(row!.se, ref.se, tol.value, `${what} se`);
    expectClose(row!.df, ref.df, tol.df, `${what} df`);
    expectClose(sign * row!.t, ref.t, tol.value, `${what} t`);
    expectClose(row!.p, ref.p, tol.p, `${what} p`);
  }
}

// ---- the lme4 cases ----

const baseSpec = { intercept: true, estimates: [], lsmeans: [], ddfm: 'satterthwaite' as const, method: 'REML' as const };

export const sleepstudySpec: ModelSpec = {
  ...baseSpec,
  name: 'sleepstudy',
  response: 'Reaction',
  subject: 'Subject',
  classes: ['Subject'],
  fixed: [['Days']],
  random: [{ terms: [[], ['Days']], subject: 'Subject', type: 'UN' }],
};
export const sleepstudyMap: CoefficientMap = { '(Intercept)': { Intercept: 1 }, Days: { Days: 1 } };

export const chickweightSpec: ModelSpec = {
  ...baseSpec,
  name: 'chickweight',
  response: 'weight',
  subject: 'Chick',
  classes: ['Diet', 'Chick'],
  fixed: [['Diet'], ['Time'], ['Diet', 'Time']],
  random: [{ terms: [[]], subject: 'Chick', type: 'VC' }],
  lsmeans: [{ effect: 'Diet', pairwise: true, adjust: 'tukey' }],
};
/** R treatment coefficients of weight ~ Diet * Time as SAS GLM combinations (Diet 4 aliased) */
export function chickweightMap(): CoefficientMap {
  const L: CoefficientMap = { '(Intercept)': { Intercept: 1, 'Diet 1': 1 }, Time: { Time: 1, 'Diet*Time 1': 1 } };
  for (const d of ['2', '3', '4']) {
    L[`Diet${d}`] = d === '4' ? { 'Diet 1': -1 } : { [`Diet ${d}`]: 1, 'Diet 1': -1 };
    L[`Diet${d}:Time`] = d === '4' ? { 'Diet*Time 1': -1 } : { [`Diet*Time ${d}`]: 1, 'Diet*Time 1': -1 };
  }
  return L;
}


// ---- Orthodont, Sex * age_f with R-side CS / AR(1) ----

export function orthodontKrSpec(type: 'CS' | 'AR1'): ModelSpec {
  return {
    ...baseSpec,
    name: `orthodont-kr-${type}`,
    response: 'distance',
    subject: 'Subject',
    classes: ['Sex', 'age_f'],
    fixed: [['Sex'], ['age_f'], ['Sex', 'age_f']],
    repeated: { effect: 'age_f', type },
    random: [],
    lsmeans: [
      { effect: 'Sex', pairwise: true, adjust: 'tukey' },
      { effect: 'age_f', pairwise: true, adjust: 'tukey' },
    ],
  };
}

/** coefficient map of the cell mean of a two-factor A*B model at levels (a, b), SAS GLM labels */
function cell(A: string, a: string, B: string, b: string): Record<string, number> {
  return { Intercept: 1, [`${A} ${a}`]: 1, [`${B} ${b}`]: 1, [`${A}*${B} ${a} ${b}`]: 1 };
}
function combine(...parts: [number, Record<string, number>][]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [w, m] of parts) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + w * v;
  return out;
}
/** R treatment coefficients of distance ~ Sex * age_f (reference Male, 8) */
export function orthodontKrMap(): CoefficientMap {
  const mu = (s: string, a: string) => cell('Sex', s, 'age_f', a);
  const map: CoefficientMap = { '(Intercept)': mu('Male', '8'), SexFemale: combine([1, mu('Female', '8')], [-1, mu('Male', '8')]) };
  for (const a of ['10', '12', '14']) {
    map[`age_f${a}`] = combine([1, mu('Male', a)], [-1, mu('Male', '8')]);
    map[`SexFemale:age_f${a}`] = combine([1, mu('Female', a)], [-1, mu('Female', '8')], [-1, mu('Male', a)], [1, mu('Male', '8')]);
  }
  return map;
}

// ---- sleepstudy with missing visits, Group * Days + (Days | Subject) ----

export const sleepstudyUnbalancedSpec: ModelSpec = {
  ...baseSpec,
  name: 'sleepstudy-unbalanced',
  response: 'Reaction',
  subject: 'Subject',
  classes: ['Group', 'Subject'],
  fixed: [['Group'], ['Days'], ['Group', 'Days']],
  random: [{ terms: [[], ['Days']], subject: 'Subject', type: 'UN' }],
  lsmeans: [{ effect: 'Group', pairwise: true, adjust: 'tukey' }],
};
/** R treatment coefficients of Reaction ~ Group * Days (reference A; SAS GLM has C aliased) */
export function sleepstudyUnbalancedMap(): CoefficientMap {
  return {
    '(Intercept)': { Intercept: 1, 'Group A': 1 },
    GroupB: { 'Group B': 1, 'Group A': -1 },
    GroupC: { 'Group A': -1 },
    Days: { Days: 1, 'Group*Days A': 1 },
    'GroupB:Days': { 'Group*Days B': 1, 'Group*Days A': -1 },
    'GroupC:Days': { 'Group*Days A': -1 },
  };
}
