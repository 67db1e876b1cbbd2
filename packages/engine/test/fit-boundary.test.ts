/**
 * A variance estimated on the boundary: SAS holds it at 0, notes that G is not positive definite,
 * and leaves it out of the parameter count of the information criteria. Reference: lme4's singular
 * fit (test/conformance/r-boundary-ri).
 */
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../src/design.js';
import { fitModel } from '../src/fit/index.js';
import type { ModelSpec } from '../src/model-spec.js';
import { expectClose, loadCase } from './fit-helpers.js';

describe('r-boundary-ri', () => {
  const { rows, json } = loadCase('r-boundary-ri');
  const exp = json.expected;
  const tol = json.tolerance as { rel: number; abs: number };
  const spec: ModelSpec = {
    name: 'boundary',
    response: 'y',
    classes: ['cluster'],
    fixed: [['x']],
    intercept: true,
    random: [{ terms: [[]], subject: 'cluster', type: 'VC' }],
    method: 'REML',
    ddfm: 'containment',
    estimates: [],
    lsmeans: [],
  };
  const design = buildDesign(rows, spec);
  const fit = fitModel(design, spec);

  it('holds the cluster variance at 0 and says so', () => {
    expect(exp.is_singular).toBe(true);
    expect(fit.converged).toBe(true);
    expect(fit.covParms[0].name).toBe('Intercept');
    expect(fit.covParms[0].subject).toBe('cluster');
    expectClose(fit.covParms[0].estimate, exp.covparms[0].estimate, tol, 'Intercept estimate');
    expect(fit.covParms[0].se).toBeNull();
    expect(fit.notes.some((n) => /G matrix is not positive definite/.test(n.message))).toBe(true);
    expect(fit.qEffective).toBe(1);
  });

  it('-2RLL, residual variance and fixed effects equal the fit without the random effect', () => {
    expectClose(fit.minus2ll, exp.minus2ll, tol, 'boundary minus2ll');
    expectClose(fit.minus2ll, exp.minus2ll_without_random, tol, 'boundary minus2ll');
    expectClose(fit.covParms[1].estimate, exp.covparms[1].estimate, tol, 'Residual estimate');
    const names: Record<string, string> = { '(Intercept)': 'Intercept', x: 'x' };
    const labels = design.columns.map((c) => c.label);
    for (const ref of exp.fixed) {
      const j = labels.indexOf(names[ref.term]);
      expectClose(fit.beta[j], ref.estimate, tol, `${ref.term} estimate`);
      expectClose(Math.sqrt(fit.covBeta.get(j, j)), ref.se, tol, `${ref.term} se`);
    }
  });

  it('counts one covariance parameter in AIC (SAS: boundary parameters are not counted)', () => {
    expectClose(fit.aic, exp.minus2ll + 2 * 1, tol, 'boundary aic');
    expectClose(fit.bic, exp.minus2ll + 1 * Math.log(12), tol, 'boundary bic');
  });

  it('the model without the random effect (R = sigma^2 I, no SUBJECT=) gives gls REML -2LL', () => {
    const plain: ModelSpec = { ...spec, random: [], classes: [] };
    const plainDesign = buildDesign(rows, plain);
    expect(plainDesign.subjects.length).toBe(1);
    const plainFit = fitModel(plainDesign, plain);
    expect(plainFit.covParms.map((c) => c.name)).toEqual(['Residual']);
    expectClose(plainFit.minus2ll, exp.minus2ll_without_random, tol, 'plain minus2ll');
    expectClose(plainFit.covParms[0].estimate, exp.covparms[1].estimate, tol, 'plain Residual estimate');
  });

});
