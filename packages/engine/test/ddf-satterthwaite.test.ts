/**
 * DDFM=SATTERTHWAITE against lmerTest (summary / anova type 3) and emmeans (lmer.df = "satterthwaite").
 * lmerTest differentiates Cov(β̂) numerically, so its df carry ~1e-5 relative error (16.99998 where
 * the exact value is 17): df are compared with the case's satterthwaite_df_rel (1e-3) and p-values,
 * which move with the df, with a matching relative tolerance.
 */
import { Matrix } from 'ml-matrix';
import { afterAll, describe, expect, it } from 'vitest';
import { combineComponentDf, satterthwaite } from '../src/inference/satterthwaite.js';
import {
  checkDiffs,
  checkFixed,
  checkLsMeans,
  checkSolutionRows,
  checkType3,
  chickweightMap,
  chickweightSpec,
  orthodontKrMap,
  orthodontKrSpec,
  runCase,
  sleepstudyMap,
  sleepstudySpec,
  sleepstudyUnbalancedMap,
  sleepstudyUnbalancedSpec,
  type Tolerances,
} from './ddf-helpers.js';
import { runModel } from '../src/run-study.js';
import { expectClose, loadCase, reportWorstErrors } from './fit-helpers.js';
import { ketamineRows, ketamineSpec } from './inference-cases.js';

function tolerances(json: { tolerance: { rel: number; abs: number; satterthwaite_df_rel: number } }): Tolerances {
  const t = json.tolerance;
  return { value: { rel: t.rel, abs: t.abs }, df: { rel: t.satterthwaite_df_rel }, p: { rel: 2e-2, abs: 1e-12 } };
}

describe('Satterthwaite: combining the t df of an F test (lmerTest get_Fstat_ddf)', () => {
  it('one component, equal components, some ν ≤ 2, general', () => {
    expect(combineComponentDf([7.5])).toBe(7.5);
    expect(combineComponentDf([10, 10, 10])).toBe(10);
    expect(combineComponentDf([1.5, 30])).toBe(2);
    const nu = [10, 20, 40];
    const E = nu.reduce((s, v) => s + v / (v - 2), 0);
    expect(combineComponentDf(nu)).toBeCloseTo((2 * E) / (E - 3), 12);
  });
});

describe('r-sleepstudy-rs: Satterthwaite (lmerTest)', () => {
  afterAll(() => reportWorstErrors('r-sleepstudy-rs satterthwaite'));
  const { rows, json } = loadCase('r-sleepstudy-rs');
  const tol = tolerances(json);
  const run = runCase(rows, sleepstudySpec, 'satterthwaite');

  it('fixed effects: SE, df, t, p', () => {
    checkFixed(run, json.expected.fixed, sleepstudyMap, tol, 'sleepstudy');
    checkSolutionRows(run, json.expected.fixed, { '(Intercept)': 'Intercept', Days: 'Days' }, tol, 'sleepstudy');
  });
  it('Type 3', () => checkType3(run, json.expected.type3, tol, 'sleepstudy'));
  it('balanced random-slope model: the exact df is 17 (= subjects − 1)', () => {
    for (const row of run.inference.fixed) expect(row.df).toBeCloseTo(17, 6);
  });
  it('the gradient of L C L\' matches a finite difference of the likelihood-based C', () => {
    // dC/dθ_k = −C P_k C: check with a central difference of C(θ) computed from the profiled likelihood
    const s = satterthwaite(run.design, run.fit);
    const { Phi, P } = s.sensitivity;
    const theta = run.fit.theta;
    const k = 3;
    const h = 1e-4 * theta[k]!;
    const C = (t: number[]) => {
      const ev = run.fit.likelihood.evaluate(t, 0)!;
      const p = Phi.rows;
      return new Matrix(Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => ev.C[i * p + j]!)));
    };
    const up = theta.slice();
    const dn = theta.slice();
    up[k] += h;
    dn[k] -= h;
    const numeric = C(up).sub(C(dn)).div(2 * h);
    const analytic = Phi.mmul(P[k]!).mmul(Phi).mul(-1);
    for (let i = 0; i < Phi.rows; i++) for (let j = 0; j < Phi.rows; j++) expect(numeric.get(i, j)).toBeCloseTo(analytic.get(i, j), 6);
  });
});

describe('r-chickweight-ri: Satterthwaite (lmerTest, emmeans)', () => {
  afterAll(() => reportWorstErrors('r-chickweight-ri satterthwaite'));
  const { rows, json } = loadCase('r-chickweight-ri');
  const tol = tolerances(json);
  const run = runCase(rows, chickweightSpec, 'satterthwaite');

  it('fixed effects (R coefficients): SE, df, t, p', () => checkFixed(run, json.expected.fixed, chickweightMap(), tol, 'chickweight'));
  it('Type 3: Diet, Time, Diet*Time (multi-row F df from the eigen-decomposition)', () =>
    checkType3(run, json.expected.type3, tol, 'chickweight'));
  it('LS-means of Diet at mean Time', () => checkLsMeans(run, json.expected.lsmeans, tol, 'chickweight'));
  it('pairwise differences', () => checkDiffs(run, json.expected.diffs, tol, 'chickweight'));
});

describe('r-orthodont-kr: Satterthwaite for R-side CS (lmerTest on the equivalent random intercept) and AR(1) (by hand)', () => {
  afterAll(() => reportWorstErrors('r-orthodont-kr satterthwaite'));
  const { rows, json } = loadCase('r-orthodont-kr');
  const tol = tolerances(json);
  const cs = runCase(rows, orthodontKrSpec('CS'), 'satterthwaite');
  it('CS: fixed effects', () => checkFixed(cs, json.expected.fixed, orthodontKrMap(), tol, 'orthodont CS'));
  it('CS: Type 3', () => checkType3(cs, json.expected.type3, tol, 'orthodont CS'));
  it('CS: LS-means and differences', () => {
    checkLsMeans(cs, json.expected.lsmeans, tol, 'orthodont CS');
    checkDiffs(cs, json.expected.diffs, tol, 'orthodont CS');
  });
  const ar1 = runCase(rows, orthodontKrSpec('AR1'), 'satterthwaite');
  const ar = json.expected.ar1;
  it('AR(1): fit matches gls', () => {
    expect(ar1.fit.converged).toBe(true);
    expectClose(ar1.fit.theta[0], ar.covparms[0].estimate, { rel: 1e-4 }, 'orthodont AR1 rho estimate');
    expectClose(ar1.fit.theta[1], ar.covparms[1].estimate, { rel: 1e-4 }, 'orthodont AR1 residual estimate');
  });
  it('AR(1): fixed effects, Type 3, LS-means', () => {
    checkFixed(ar1, ar.fixed, orthodontKrMap(), tol, 'orthodont AR1');
    checkType3(ar1, ar.type3, tol, 'orthodont AR1');
    checkLsMeans(ar1, ar.lsmeans, tol, 'orthodont AR1');
  });
});

describe('r-sleepstudy-unbalanced: Satterthwaite (lmerTest, emmeans), random intercept and slope with missing visits', () => {
  afterAll(() => reportWorstErrors('r-sleepstudy-unbalanced satterthwaite'));
  const { rows, json } = loadCase('r-sleepstudy-unbalanced');
  const tol = tolerances(json);
  const run = runCase(rows, sleepstudyUnbalancedSpec, 'satterthwaite');
  it('fit matches lme4', () => {
    expect(run.fit.converged).toBe(true);
    expect(run.design.n).toBe(json.expected.n_obs_used);
    // lme4 stops slightly short of the optimum here (its -2RLL is 3e-8 higher than the engine's):
    // covariance parameters agree to ~3e-4 relative, the inference below to the case tolerance
    expect(run.fit.minus2ll).toBeLessThanOrEqual(json.expected.minus2ll + 1e-9);
    json.expected.covparms.forEach((c: { estimate: number }, k: number) => expectClose(run.fit.theta[k], c.estimate, { rel: 1e-3 }, 'covparm estimate'));
  });
  it('fixed effects (R coefficients)', () => checkFixed(run, json.expected.fixed, sleepstudyUnbalancedMap(), tol, 'sleepstudy-unbalanced'));
  it('Type 3', () => checkType3(run, json.expected.type3, tol, 'sleepstudy-unbalanced'));
  it('LS-means of Group and differences', () => {
    checkLsMeans(run, json.expected.lsmeans, tol, 'sleepstudy-unbalanced');
    checkDiffs(run, json.expected.diffs, tol, 'sleepstudy-unbalanced');
  });
});

describe('r-ketamine-un-kr: runModel with ddfm satterthwaite on the ketamine UN R-side model (formulas in R)', () => {
  afterAll(() => reportWorstErrors('r-ketamine-un-kr satterthwaite'));
  const { json } = loadCase('r-ketamine-un-kr');
  const e = json.expected;
  // the R side uses a numDeriv Hessian for A = 2H⁻¹ (15 parameters): df compared with rel 1e-3
  const tol: Tolerances = { value: { rel: 1e-4, abs: 1e-6 }, df: { rel: 1e-3 }, p: { rel: 1e-2, abs: 1e-12 } };
  const lsmeans = [{ effect: 'time', pairwise: true, adjust: 'none' as const }];
  const report = runModel(ketamineRows(), { spec: { ...ketamineSpec, ddfm: 'satterthwaite', lsmeans }, filters: [] });
  it('Solution, Type 3, LS-means', () => {
    for (const ref of e.fixed) {
      const row = report.fixed.find((r) => r.term === ref.term)!;
      expectClose(row.se, ref.se, tol.value, `ketamine ${ref.term} se`);
      expectClose(row.df, ref.df, tol.df, `ketamine ${ref.term} df`);
      expectClose(row.p, ref.p, tol.p, `ketamine ${ref.term} p`);
    }
    for (const ref of e.type3) {
      const row = report.type3.find((r) => r.effect === ref.effect)!;
      expectClose(row.dendf, ref.dendf, tol.df, `ketamine ${ref.effect} dendf`);
      expectClose(row.F, ref.F, tol.value, `ketamine ${ref.effect} F`);
    }
    for (const ref of e.lsmeans) {
      const row = report.lsmeans.find((r) => r.level === ref.level)!;
      expectClose(row.se, ref.se, tol.value, `ketamine lsmean ${ref.level} se`);
      expectClose(row.df, ref.df, tol.df, `ketamine lsmean ${ref.level} df`);
    }
  });
});
