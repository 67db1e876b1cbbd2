/**
 * LS-means, pairwise differences (Tukey-Kramer), estimates and the Solution table against the
 * references, from the reference fits' β̂ and Cov(β̂) (fixtures/inference-fits.json).
 */
import { describe, expect, it } from 'vitest';
import { denominatorDf, residualDf } from '../src/inference/ddf.js';
import { leastSquaresMeans, lsMeanCoefficients } from '../src/inference/lsmeans.js';
import { estimateContrasts } from '../src/inference/estimates.js';
import { fixedEffectsSolution } from '../src/inference/solution.js';
import { close, designFor, printedTolerance, readJson, referenceFit } from './inference-cases.js';

describe('ketamine-synthetic: LS-means at mean age, Tukey-Kramer differences, age slopes, solution', () => {
  const design = designFor('ketamine-synthetic');
  const fit = referenceFit('ketamine-synthetic', design);
  const ddf = denominatorDf(design, { method: 'between-within', repeatedType: 'UN', hasRandom: false, hasSubjects: true });
  const expected = readJson('ketamine-synthetic', 'expected.json').expected;
  const tol = { rel: 1e-9 };
  let worst = 0;
  let worstAdjusted = 0;

  it('LS-means of time', () => {
    const res = leastSquaresMeans(design, fit, { effect: 'time', pairwise: true, adjust: 'tukey' }, ddf);
    expect(res.nonEstimable).toEqual([]);
    expect(res.lsmeans.map((r) => r.level)).toEqual(expected.lsmeans.map((r: { level: string }) => r.level));
    res.lsmeans.forEach((got, i) => {
      const e = expected.lsmeans[i];
      expect(got.effect).toBe(e.effect);
      expect(got.df).toBe(e.df);
      for (const k of ['estimate', 'se', 't', 'p'] as const) worst = Math.max(worst, close(got[k], e[k], tol, `lsmean ${e.level} ${k}`));
      worst = Math.max(worst, close(got.at!.age, e.at.age, { rel: 1e-14 }, 'at age'));
    });
  });

  it('pairwise differences in SAS order with Tukey-Kramer p', () => {
    const res = leastSquaresMeans(design, fit, { effect: 'time', pairwise: true, adjust: 'tukey' }, ddf);
    expect(res.diffs.map((d) => `${d.level}-${d.vs}`)).toEqual(expected.diffs.map((d: { level: string; vs: string }) => `${d.level}-${d.vs}`));
    res.diffs.forEach((got, i) => {
      const e = expected.diffs[i];
      expect(got.df).toBe(e.df);
      expect(got.adjust).toBe('tukey');
      for (const k of ['estimate', 'se', 't', 'p'] as const) worst = Math.max(worst, close(got[k], e[k], tol, `diff ${e.level}-${e.vs} ${k}`));
      // p_adj = 1 − ptukey: ~1e-13 absolute, as in R
      worstAdjusted = Math.max(worstAdjusted, close(got.p_adj, e.p_adj, { rel: 1e-8, abs: 1e-13 }, `diff ${e.level}-${e.vs} p_adj`));
    });
  });

  it('Bonferroni and unadjusted differences', () => {
    const bon = leastSquaresMeans(design, fit, { effect: 'time', pairwise: true, adjust: 'bonferroni' }, ddf);
    bon.diffs.forEach((got, i) => close(got.p_adj, Math.min(1, expected.diffs[i].p * 10), { rel: 1e-9 }, 'bonferroni'));
    const none = leastSquaresMeans(design, fit, { effect: 'time', pairwise: true, adjust: 'none' }, ddf);
    expect(none.diffs[0]!.p_adj).toBeUndefined();
  });

  it('age slope at each infusion (ESTIMATE age 1 age*time ...)', () => {
    const res = estimateContrasts(
      design,
      fit,
      [{ kind: 'slope-at-levels', covariate: 'age', factor: 'time', label: 'age slope at infusion #{level}' }],
      ddf,
    );
    expect(res.estimates.length).toBe(expected.estimates.length);
    res.estimates.forEach((got, i) => {
      const e = expected.estimates[i];
      expect(got.label).toBe(e.label);
      expect(e.L.startsWith(got.L + ' (')).toBe(true); // the reference appends a unit comment
      expect(got.df).toBe(e.df);
      for (const k of ['estimate', 'se', 't', 'p', 'lower', 'upper'] as const) worst = Math.max(worst, close(got[k], e[k], tol, `${e.label} ${k}`));
    });
  });

  it('Solution for Fixed Effects (aliased time 6, time*age 6 printed as 0 without SE)', () => {
    const rows = fixedEffectsSolution(design, fit, ddf.columnDf);
    const printedName = (label: string) => label.replace('time*age', 'age*time'); // the reference writes age*time
    const listed = rows.filter((r) => !r.aliased);
    expect(listed.map((r) => printedName(r.term))).toEqual(expected.fixed.map((r: { term: string }) => r.term));
    listed.forEach((got, i) => {
      const e = expected.fixed[i];
      expect(got.df).toBe(e.df);
      for (const k of ['estimate', 'se', 't', 'p'] as const) worst = Math.max(worst, close(got[k], e[k], tol, `${e.term} ${k}`));
    });
    const aliased = rows.filter((r) => r.aliased);
    expect(aliased.map((r) => r.term)).toEqual(['time 6', 'time*age 6']);
    for (const r of aliased) expect([r.estimate, r.se, r.df, r.t, r.p]).toEqual([0, null, null, null, null]);
    console.log(
      `ketamine LS-means/diffs/estimates/solution: max rel err ${worst.toExponential(2)}; Tukey p_adj max rel err ${worstAdjusted.toExponential(2)}`,
    );
  });
});

describe('orthodont-un: LS-means of Sex at mean age, estimates (R gls + emmeans, df 104)', () => {
  const design = designFor('orthodont-un');
  const fit = referenceFit('orthodont-un', design);
  const df = residualDf(design);
  const ddf = { forHypothesis: () => df };
  const expected = readJson('r-orthodont-un', 'case.json').expected;
  const tol = { rel: 1e-6 };

  it('LS-means with confidence limits', () => {
    const coef = lsMeanCoefficients(design, 1);
    expect(coef.at).toEqual({ age: 11 });
    const res = leastSquaresMeans(design, fit, { effect: 'Sex', pairwise: true, adjust: 'tukey' }, ddf);
    for (const e of expected.lsmeans) {
      const got = res.lsmeans.find((r) => r.level === e.level)!;
      expect(got.df).toBe(e.df);
      for (const k of ['estimate', 'se', 'lower', 'upper'] as const) close(got[k], e[k], tol, `${e.level} ${k}`);
    }
    // SAS order is Female vs Male (sorted levels); the reference lists Male − Female
    expect(res.diffs.length).toBe(1);
    const got = res.diffs[0]!;
    const e = expected.diffs[0];
    expect([got.level, got.vs]).toEqual([e.vs, e.level]);
    close(-got.estimate, e.estimate, tol, 'diff estimate');
    close(got.se, e.se, tol, 'diff se');
    close(-got.t, e.t, tol, 'diff t');
    close(got.p, e.p, tol, 'diff p');
    close(got.p_adj, e.p_adj, tol, 'diff p_adj (Tukey with 2 means = unadjusted)');
  });

  it('explicit contrasts by column label', () => {
    const res = estimateContrasts(
      design,
      fit,
      [
        // in GLM coding `age` alone is not estimable: the Male slope is age + Sex*age Male
        { kind: 'contrast', label: 'age slope, Sex=Male', coefficients: { age: 1, 'Sex*age Male': 1 } },
        { kind: 'contrast', label: 'age slope, Sex=Female', coefficients: { age: 1, 'Sex*age Female': 1 } },
        {
          kind: 'contrast',
          label: 'Female - Male at age 14',
          coefficients: { 'Sex Female': 1, 'Sex Male': -1, 'Sex*age Female': 14, 'Sex*age Male': -14 },
        },
      ],
      ddf,
    );
    expect(res.estimates.map((r) => r.L)).toEqual(['age 1 Sex*age 0 1', 'age 1 Sex*age 1 0', 'Sex 1 -1 Sex*age 14 -14']);
    res.estimates.forEach((got, i) => {
      const e = expected.estimates[i];
      expect(got.label).toBe(e.label);
      for (const k of ['estimate', 'se', 't', 'p', 'lower', 'upper'] as const) close(got[k], e[k], tol, `${e.label} ${k}`);
    });
    // a non-estimable contrast (a single GLM level) is reported, not computed
    const bad = estimateContrasts(
      design,
      fit,
      [
        { kind: 'contrast', label: 'Sex Female alone', coefficients: { 'Sex Female': 1 } },
        { kind: 'contrast', label: 'age alone', coefficients: { age: 1 } },
      ],
      ddf,
    );
    expect(bad.nonEstimable).toEqual(['Sex Female alone', 'age alone']);
  });
});

describe('Pothoff-Roy (SAS Example 79.2): Solution for Fixed Effects', () => {
  it('matches the printed table (df 25)', () => {
    const design = designFor('pothoff-roy-un-ml');
    const fit = referenceFit('pothoff-roy-un-ml', design);
    const ddf = denominatorDf(design, { method: 'between-within', repeatedType: 'UN', hasRandom: false, hasSubjects: true });
    const rows = fixedEffectsSolution(design, fit, ddf.columnDf);
    const expected = readJson('sas-pothoff-roy-un-ml', 'case.json').expected.fixed;
    const name = (sas: string) => sas.replace('Age*Gender', 'Gender*Age');
    for (const e of expected) {
      const got = rows.find((r) => r.term === name(e.term))!;
      expect(got.df).toBe(e.df);
      for (const k of ['estimate', 'se', 't'] as const) close(got[k], e[k], printedTolerance(e.printed[k]), `${e.term} ${k}`);
      if (e.p === null) expect(got.p!).toBeLessThan(e.p_lt);
      else close(got.p, e.p, { abs: 1e-4 }, `${e.term} p`); // see the Gender note in inference-type3.test.ts
    }
    expect(rows.filter((r) => r.aliased).map((r) => r.term)).toEqual(['Gender M', 'Gender*Age M']);
  });
});
