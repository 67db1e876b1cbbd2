/**
 * The whole fixed-effects inference for the ketamine model in one call (reference β̂, Cov(β̂)):
 * every table equals expected.json.
 */
import { describe, expect, it } from 'vitest';
import { denominatorDf, fixedEffectsInference } from '../src/inference/index.js';
import { close, designFor, ketamineSpec, readJson, referenceFit } from './inference-cases.js';

describe('fixedEffectsInference (ketamine-synthetic)', () => {
  it('solution, Type 3, LS-means, Tukey differences and slopes', () => {
    const design = designFor('ketamine-synthetic');
    const fit = referenceFit('ketamine-synthetic', design);
    const ddf = denominatorDf(design, { method: 'between-within', repeatedType: 'UN', hasRandom: false, hasSubjects: true });
    const out = fixedEffectsInference(
      design,
      fit,
      {
        ...ketamineSpec,
        lsmeans: [{ effect: 'time', pairwise: true, adjust: 'tukey' }],
        estimates: [{ kind: 'slope-at-levels', covariate: 'age', factor: 'time', label: 'age slope at infusion #{level}' }],
      },
      ddf,
    );
    const e = readJson('ketamine-synthetic', 'expected.json').expected;
    expect(out.notes).toEqual([]);
    expect(out.type3.map((r) => [r.effect, r.numdf, r.dendf])).toEqual(e.type3.map((r: { effect: string; numdf: number; dendf: number }) => [r.effect, r.numdf, r.dendf]));
    out.type3.forEach((r, i) => close(r.F, e.type3[i].F, { rel: 1e-9 }, `${r.effect} F`));
    out.lsmeans.forEach((r, i) => close(r.estimate, e.lsmeans[i].estimate, { rel: 1e-9 }, `LS-mean ${r.level}`));
    out.diffs.forEach((r, i) => close(r.p_adj, e.diffs[i].p_adj, { rel: 1e-8, abs: 1e-13 }, `p_adj ${r.level}-${r.vs}`));
    out.estimates.forEach((r, i) => close(r.upper, e.estimates[i].upper, { rel: 1e-9 }, `${r.label} upper`));
    expect(out.fixed.filter((r) => !r.aliased).length).toBe(e.fixed.length);
  });

  it('`tests` restricts the Type 3 table', () => {
    const design = designFor('ketamine-synthetic');
    const fit = referenceFit('ketamine-synthetic', design);
    const ddf = denominatorDf(design, { method: 'between-within', repeatedType: 'UN', hasRandom: false, hasSubjects: true });
    const out = fixedEffectsInference(design, fit, { tests: [['age', 'time']], lsmeans: [], estimates: [] }, ddf);
    expect(out.type3.map((r) => r.effect)).toEqual(['time*age']);
  });
});
