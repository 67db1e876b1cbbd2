/**
 * DDFM=KENWARDROGER against pbkrtest 0.5.2 (through lmerTest summary / anova type 3 with
 * ddf = "Kenward-Roger", and emmeans lmer.df = "kenward-roger"): Φ_A standard errors, KR df, the
 * scaled F. pbkrtest uses the expected information for W, which is the engine's default.
 */
import { afterAll, describe, expect, it } from 'vitest';
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

function tolerances(json: { tolerance: { rel: number; abs: number } }): Tolerances {
  const t = json.tolerance;
  return { value: { rel: t.rel, abs: t.abs }, df: { rel: t.rel }, p: { rel: 1e-3, abs: 1e-12 } };
}

describe('r-sleepstudy-rs: Kenward-Roger (pbkrtest)', () => {
  afterAll(() => reportWorstErrors('r-sleepstudy-rs kenward-roger'));
  const { rows, json } = loadCase('r-sleepstudy-rs');
  const tol = tolerances(json);
  const run = runCase(rows, sleepstudySpec, 'kenward-roger');

  it('fixed effects: Φ_A SE, df, t, p', () => {
    checkFixed(run, json.expected.fixed_kr, sleepstudyMap, tol, 'sleepstudy');
    checkSolutionRows(run, json.expected.fixed_kr, { '(Intercept)': 'Intercept', Days: 'Days' }, tol, 'sleepstudy');
  });
  it('Type 3 (one-row F: λ = 1)', () => checkType3(run, json.expected.type3_kr, tol, 'sleepstudy'));
});

describe('r-chickweight-ri: Kenward-Roger (pbkrtest, emmeans)', () => {
  afterAll(() => reportWorstErrors('r-chickweight-ri kenward-roger'));
  const { rows, json } = loadCase('r-chickweight-ri');
  const tol = tolerances(json);
  const run = runCase(rows, chickweightSpec, 'kenward-roger');

  it('fixed effects (R coefficients): Φ_A SE, df, t, p', () => checkFixed(run, json.expected.fixed_kr, chickweightMap(), tol, 'chickweight'));
  it('Type 3: scaled F and KR df', () => checkType3(run, json.expected.type3_kr, tol, 'chickweight'));
  it('LS-means of Diet: Φ_A SE and KR df', () => checkLsMeans(run, json.expected.lsmeans_kr, tol, 'chickweight'));
  it('pairwise differences', () => checkDiffs(run, json.expected.diffs_kr, tol, 'chickweight'));
  it('the Solution table carries the adjusted SE', () => {
    const unadjusted = runCase(rows, chickweightSpec, 'satterthwaite', { design: run.design, fit: run.fit });
    const a = run.inference.fixed.find((r) => r.term === 'Time')!;
    const b = unadjusted.inference.fixed.find((r) => r.term === 'Time')!;
    expect(a.se!).toBeGreaterThan(b.se!);
  });
});

describe('r-orthodont-kr: Kenward-Roger for R-side CS (pbkrtest on the equivalent random intercept)', () => {
  afterAll(() => reportWorstErrors('r-orthodont-kr CS kenward-roger'));
  const { rows, json } = loadCase('r-orthodont-kr');
  const tol = tolerances(json);
  const cs = runCase(rows, orthodontKrSpec('CS'), 'kenward-roger');
  it('fixed effects', () => checkFixed(cs, json.expected.fixed_kr, orthodontKrMap(), tol, 'orthodont CS'));
  it('Type 3 (scaled F)', () => checkType3(cs, json.expected.type3_kr, tol, 'orthodont CS'));
  it('LS-means and differences', () => {
    checkLsMeans(cs, json.expected.lsmeans_kr, tol, 'orthodont CS');
    checkDiffs(cs, json.expected.diffs_kr, tol, 'orthodont CS');
  });
});

describe('r-orthodont-kr: Kenward-Roger for R-side AR(1) (formulas in R at the gls fit)', () => {
  afterAll(() => reportWorstErrors('r-orthodont-kr AR1 kenward-roger'));
  const { rows, json } = loadCase('r-orthodont-kr');
  const tol = tolerances(json);
  const ar = json.expected.ar1;
  const base = runCase(rows, orthodontKrSpec('AR1'), 'kenward-roger');
  const variants = [
    { name: 'default (expected information, with the second-derivative term)', key: '_kr', run: base },
    {
      name: 'observed information (SAS-style W)',
      key: '_kr_observed',
      run: runCase(rows, orthodontKrSpec('AR1'), 'kenward-roger', { design: base.design, fit: base.fit, kenwardRoger: { information: 'observed' } }),
      // the R side uses a numDeriv Hessian (relative step 0.005) for W
      tol: { value: { rel: 1e-3, abs: 1e-6 }, df: { rel: 1e-3 }, p: { rel: 1e-2, abs: 1e-12 } },
    },
    {
      name: 'first order (no second-derivative term)',
      key: '_kr_firstorder',
      run: runCase(rows, orthodontKrSpec('AR1'), 'kenward-roger', { design: base.design, fit: base.fit, kenwardRoger: { firstOrder: true } }),
    },
  ];
  for (const v of variants) {
    it(`${v.name}: fixed effects, Type 3, LS-means`, () => {
      const t = v.tol ?? tol;
      checkFixed(v.run, ar[`fixed${v.key}`], orthodontKrMap(), t, `orthodont AR1${v.key}`);
      checkType3(v.run, ar[`type3${v.key}`], t, `orthodont AR1${v.key}`);
      checkLsMeans(v.run, ar[`lsmeans${v.key}`], t, `orthodont AR1${v.key}`);
    });
  }
  it('the second-derivative term matters for AR(1): default and first-order SEs differ', () => {
    const a = ar.fixed_kr[4].se;
    const b = ar.fixed_kr_firstorder[4].se;
    expect(Math.abs(a - b) / a).toBeGreaterThan(1e-4);
  });
});

describe('r-sleepstudy-unbalanced: Kenward-Roger (pbkrtest, emmeans), random intercept and slope with missing visits', () => {
  afterAll(() => reportWorstErrors('r-sleepstudy-unbalanced kenward-roger'));
  const { rows, json } = loadCase('r-sleepstudy-unbalanced');
  const tol = tolerances(json);
  const run = runCase(rows, sleepstudyUnbalancedSpec, 'kenward-roger');
  it('fixed effects (R coefficients): Φ_A SE, df, t, p', () =>
    checkFixed(run, json.expected.fixed_kr, sleepstudyUnbalancedMap(), tol, 'sleepstudy-unbalanced'));
  it('Type 3: scaled F and KR df', () => checkType3(run, json.expected.type3_kr, tol, 'sleepstudy-unbalanced'));
  it('LS-means of Group and differences', () => {
    checkLsMeans(run, json.expected.lsmeans_kr, tol, 'sleepstudy-unbalanced');
    checkDiffs(run, json.expected.diffs_kr, tol, 'sleepstudy-unbalanced');
  });
});

describe('r-ketamine-un-kr: runModel with ddfm kenward-roger on the ketamine UN R-side model (formulas in R at the gls fit)', () => {
  afterAll(() => reportWorstErrors('r-ketamine-un-kr kenward-roger'));
  const { json } = loadCase('r-ketamine-un-kr');
  const e = json.expected;
  const tol: Tolerances = { value: { rel: 1e-4, abs: 1e-6 }, df: { rel: 1e-4 }, p: { rel: 1e-3, abs: 1e-12 } };
  const lsmeans = [{ effect: 'time', pairwise: true, adjust: 'none' as const }];
  const report = runModel(ketamineRows(), { spec: { ...ketamineSpec, ddfm: 'kenward-roger', lsmeans }, filters: [] });

  it('Solution for Fixed Effects: Φ_A SE, KR df, t, p', () => {
    expect(report.info.dfMethod).toBe('kenward-roger');
    for (const ref of e.fixed_kr) {
      const row = report.fixed.find((r) => r.term === ref.term)!;
      expect(row, ref.term).toBeDefined();
      expectClose(row.estimate, ref.estimate, tol.value, `ketamine ${ref.term} estimate`);
      expectClose(row.se, ref.se, tol.value, `ketamine ${ref.term} se`);
      expectClose(row.df, ref.df, tol.df, `ketamine ${ref.term} df`);
      expectClose(row.t, ref.t, tol.value, `ketamine ${ref.term} t`);
      expectClose(row.p, ref.p, tol.p, `ketamine ${ref.term} p`);
    }
  });
  it('Type 3: scaled F and KR df', () => {
    for (const ref of e.type3_kr) {
      const row = report.type3.find((r) => r.effect === ref.effect)!;
      expect(row.numdf).toBe(ref.numdf);
      expectClose(row.dendf, ref.dendf, tol.df, `ketamine ${ref.effect} dendf`);
      expectClose(row.F, ref.F, tol.value, `ketamine ${ref.effect} F`);
      expectClose(row.p, ref.p, tol.p, `ketamine ${ref.effect} p`);
    }
  });
  it('LS-means of time and differences', () => {
    for (const ref of e.lsmeans_kr) {
      const row = report.lsmeans.find((r) => r.level === ref.level)!;
      expectClose(row.estimate, ref.estimate, tol.value, `ketamine lsmean ${ref.level} estimate`);
      expectClose(row.se, ref.se, tol.value, `ketamine lsmean ${ref.level} se`);
      expectClose(row.df, ref.df, tol.df, `ketamine lsmean ${ref.level} df`);
    }
    for (const ref of e.diffs_kr) {
      const row = report.diffs.find((r) => r.level === ref.level && r.vs === ref.vs)!;
      expectClose(row.se, ref.se, tol.value, `ketamine diff ${ref.level}-${ref.vs} se`);
      expectClose(row.df, ref.df, tol.df, `ketamine diff ${ref.level}-${ref.vs} df`);
      expectClose(row.t, ref.t, tol.value, `ketamine diff ${ref.level}-${ref.vs} t`);
    }
  });
  it('observed-information variant', () => {
    const run = runCase(ketamineRows(), ketamineSpec, 'kenward-roger', { kenwardRoger: { information: 'observed' } });
    const t: Tolerances = { value: { rel: 1e-3, abs: 1e-6 }, df: { rel: 1e-3 }, p: { rel: 1e-2, abs: 1e-12 } };
    const names = Object.fromEntries(e.fixed_kr_observed.map((r: { term: string }) => [r.term, r.term]));
    checkSolutionRows(run, e.fixed_kr_observed, names, t, 'ketamine observed');
    checkType3(run, e.type3_kr_observed, t, 'ketamine observed');
  });
});
