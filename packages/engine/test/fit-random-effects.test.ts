/**
 * G-side models fitted by R lme4 (REML): random intercept and slope with unstructured G
 * (sleepstudy), and a random intercept in unbalanced data (ChickWeight). lme4 reports covariance
 * parameters on SAS's scale (variances, covariances); fixed effects are in R treatment coding,
 * compared here as the same linear combinations of the SAS GLM parameters.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildDesign } from '../src/design.js';
import { fitModel } from '../src/fit/index.js';
import type { ModelSpec } from '../src/model-spec.js';
import { contrast, expectClose, loadCase, reportWorstErrors } from './fit-helpers.js';

const baseSpec = { intercept: true, estimates: [], lsmeans: [], ddfm: 'satterthwaite' as const, method: 'REML' as const };
// case notes: covariance-parameter SEs come from a numerical Hessian in R, compare with rel 1e-3
const seTol = { rel: 1e-3 };

describe('r-sleepstudy-rs (Reaction ~ Days + (Days | Subject))', () => {
  afterAll(() => reportWorstErrors('r-sleepstudy-rs'));
  const { rows, json } = loadCase('r-sleepstudy-rs');
  const exp = json.expected;
  const tol = json.tolerance as { rel: number; abs: number };
  const spec: ModelSpec = {
    ...baseSpec,
    name: 'sleepstudy',
    response: 'Reaction',
    subject: 'Subject',
    classes: ['Subject'],
    fixed: [['Days']],
    random: [{ terms: [[], ['Days']], subject: 'Subject', type: 'UN' }],
  };
  const design = buildDesign(rows, spec);
  const fit = fitModel(design, spec);

  it('dimensions', () => {
    expect(design.n).toBe(exp.n_obs_used);
    expect(design.rankX).toBe(exp.rank_X);
    expect(fit.subjects).toBe(exp.n_subjects);
    expect(design.Z?.columns).toBe(2 * exp.n_subjects);
    expect(fit.converged).toBe(true);
  });

  it('-2RLL and SAS information criteria', () => {
    for (const k of ['minus2ll', 'aic', 'aicc', 'bic'] as const) expectClose(fit[k], exp[k], tol, `sleepstudy ${k}`);
  });

  it('covariance parameters UN(1,1), UN(2,1), UN(2,2), Residual', () => {
    expect(fit.covParms.map((c) => c.name)).toEqual(exp.covparms.map((c: { name: string }) => c.name));
    exp.covparms.forEach((ref: { name: string; subject?: string; estimate: number; se: number }, k: number) => {
      expect(fit.covParms[k].subject).toBe(ref.subject);
      expectClose(fit.covParms[k].estimate, ref.estimate, tol, `${ref.name} estimate`);
      expectClose(fit.covParms[k].se, ref.se, seTol, `${ref.name} se`);
    });
  });

  it('a fit stopped by the iteration limit is reported as not converged', () => {
    const stopped = fitModel(design, spec, undefined, { maxIterations: 0 });
    expect(stopped.converged).toBe(false);
    expect(stopped.notes.some((n) => n.severity === 'warning' && /Did not converge/.test(n.message))).toBe(true);
  });

  it('fixed effects', () => {
    const names: Record<string, string> = { '(Intercept)': 'Intercept', Days: 'Days' };
    const labels = design.columns.map((c) => c.label);
    for (const ref of exp.fixed) {
      const j = labels.indexOf(names[ref.term]);
      expectClose(fit.beta[j], ref.estimate, tol, `${ref.term} estimate`);
      expectClose(Math.sqrt(fit.covBeta.get(j, j)), ref.se, tol, `${ref.term} se`);
    }
  });
});

describe('r-chickweight-ri (weight ~ Diet * Time + (1 | Chick), unbalanced)', () => {
  afterAll(() => reportWorstErrors('r-chickweight-ri'));
  const { rows, json } = loadCase('r-chickweight-ri');
  const exp = json.expected;
  const tol = json.tolerance as { rel: number; abs: number };
  const spec: ModelSpec = {
    ...baseSpec,
    name: 'chickweight',
    response: 'weight',
    subject: 'Chick',
    classes: ['Diet', 'Chick'],
    fixed: [['Diet'], ['Time'], ['Diet', 'Time']],
    random: [{ terms: [[]], subject: 'Chick', type: 'VC' }],
  };
  const design = buildDesign(rows, spec);
  const fit = fitModel(design, spec);

  it('dimensions', () => {
    expect(design.n).toBe(exp.n_obs_used);
    expect(design.rankX).toBe(exp.rank_X);
    expect(fit.subjects).toBe(exp.n_subjects);
    expect(design.classLevels.get('Diet')).toEqual(json.model.class_levels.Diet);
    expect(fit.converged).toBe(true);
  });

  it('-2RLL and SAS information criteria', () => {
    for (const k of ['minus2ll', 'aic', 'aicc', 'bic'] as const) expectClose(fit[k], exp[k], tol, `chickweight ${k}`);
  });

  it('covariance parameters Intercept (Chick) and Residual', () => {
    expect(fit.covParms.map((c) => c.name)).toEqual(exp.covparms.map((c: { name: string }) => c.name));
    exp.covparms.forEach((ref: { name: string; subject?: string; estimate: number; se: number }, k: number) => {
      expect(fit.covParms[k].subject).toBe(ref.subject);
      expectClose(fit.covParms[k].estimate, ref.estimate, tol, `${ref.name} estimate`);
      expectClose(fit.covParms[k].se, ref.se, seTol, `${ref.name} se`);
    });
  });

  it('fixed effects: R treatment coefficients as combinations of SAS GLM parameters', () => {
    const labels = design.columns.map((c) => c.label);
    expect(design.columns.filter((c) => c.aliased).map((c) => c.label)).toEqual(['Diet 4', 'Diet*Time 4']);
    // SAS: mean of diet d at Time 0 = Intercept + Diet d; slope = Time + Diet*Time d (level 4 aliased = 0)
    const L: Record<string, Record<string, number>> = {
      '(Intercept)': { Intercept: 1, 'Diet 1': 1 },
      Time: { Time: 1, 'Diet*Time 1': 1 },
    };
    for (const d of ['2', '3', '4']) {
      L[`Diet${d}`] = d === '4' ? { 'Diet 1': -1 } : { [`Diet ${d}`]: 1, 'Diet 1': -1 };
      L[`Diet${d}:Time`] = d === '4' ? { 'Diet*Time 1': -1 } : { [`Diet*Time ${d}`]: 1, 'Diet*Time 1': -1 };
    }
    for (const ref of exp.fixed) {
      const c = contrast(fit, labels, L[ref.term]);
      expectClose(c.estimate, ref.estimate, tol, `${ref.term} estimate`);
      expectClose(c.se, ref.se, tol, `${ref.term} se`);
    }
  });
});
