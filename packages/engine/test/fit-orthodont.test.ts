/**
 * Potthoff-Roy growth data fitted by R nlme::gls with R-side UN, CS and AR(1) over age (REML).
 * R's treatment coding with Male as reference has the same non-aliased columns as SAS GLM coding
 * (levels Female < Male, so "Sex Male" is the aliased one): R's (Intercept), SexFemale, age,
 * SexFemale:age are SAS's Intercept, Sex Female, age, age*Sex Female, and -2RLL is the same.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildDesign } from '../src/design.js';
import { fitModel } from '../src/fit/index.js';
import type { CovarianceType, ModelSpec } from '../src/model-spec.js';
import { expectClose, loadCase, reportWorstErrors } from './fit-helpers.js';

const rToSas: Record<string, string> = {
  '(Intercept)': 'Intercept',
  SexFemale: 'Sex Female',
  age: 'age',
  'SexFemale:age': 'age*Sex Female',
};

const cases: [string, CovarianceType, number][] = [
  ['r-orthodont-un', 'UN', 10],
  ['r-orthodont-cs', 'CS', 2],
  ['r-orthodont-ar1', 'AR1', 2],
];

describe.each(cases)('%s', (id, type, q) => {
  afterAll(() => reportWorstErrors(id));
  const { rows, json } = loadCase(id);
  const exp = json.expected;
  const tol = json.tolerance as { rel: number; abs: number };
  // case notes: covariance-parameter SEs come from a numerical Hessian in R, compare with rel 1e-3
  const seTol = { rel: 1e-3 };
  const spec: ModelSpec = {
    name: id,
    response: 'distance',
    subject: 'Subject',
    classes: ['Sex', 'age_f'],
    fixed: [['Sex'], ['age'], ['age', 'Sex']],
    intercept: true,
    repeated: { effect: 'age_f', type },
    random: [],
    method: 'REML',
    ddfm: 'residual',
    estimates: [],
    lsmeans: [],
  };
  const design = buildDesign(rows, spec);
  const fit = fitModel(design, spec);

  it('dimensions', () => {
    expect(design.n).toBe(exp.n_obs_used);
    expect(design.rankX).toBe(exp.rank_X);
    expect(fit.subjects).toBe(exp.n_subjects);
    expect(design.repeatedLevels).toEqual(['8', '10', '12', '14']);
    expect(fit.q).toBe(q);
    expect(fit.converged).toBe(true);
  });

  it('-2RLL and SAS information criteria', () => {
    for (const k of ['minus2ll', 'aic', 'aicc', 'bic'] as const) expectClose(fit[k], exp[k], tol, `${id} ${k}`);
  });

  it('covariance parameters', () => {
    expect(fit.covParms.map((c) => c.name)).toEqual(exp.covparms.map((c: { name: string }) => c.name));
    exp.covparms.forEach((ref: { name: string; estimate: number; se: number }, k: number) => {
      expectClose(fit.covParms[k].estimate, ref.estimate, tol, `${ref.name} estimate`);
      expectClose(fit.covParms[k].se, ref.se, seTol, `${ref.name} se`);
    });
  });

  it('fixed effects (same columns as R treatment coding)', () => {
    const labels = design.columns.map((c) => c.label);
    for (const ref of exp.fixed) {
      const j = labels.indexOf(rToSas[ref.term]);
      expect(j, ref.term).toBeGreaterThanOrEqual(0);
      expectClose(fit.beta[j], ref.estimate, tol, `${ref.term} estimate`);
      expectClose(Math.sqrt(fit.covBeta.get(j, j)), ref.se, tol, `${ref.term} se`);
    }
    expect(design.columns.filter((c) => c.aliased).map((c) => c.label)).toEqual(['Sex Male', 'age*Sex Male']);
  });
});
