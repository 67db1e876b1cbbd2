/**
 * End to end: the engine's own fit (fitModel, another module) followed by this module's inference,
 * against the printed / reference numbers with each case's tolerance. The fixture-based tests
 * (inference-type3, inference-lsmeans) test the inference alone; these check the two together.
 */
import { describe, expect, it } from 'vitest';
import { fitModel } from '../src/fit/index.js';
import { denominatorDf, fixedEffectsInference } from '../src/inference/index.js';
import type { ModelSpec } from '../src/model-spec.js';
import { close, designFor, ketamineSpec, orthodontSpec, pothoffSpec, printedTolerance, readJson, splitPlotSpec } from './inference-cases.js';

type CaseId = Parameters<typeof designFor>[0];

function run(id: CaseId, spec: ModelSpec, context: Parameters<typeof denominatorDf>[1]) {
  const design = designFor(id);
  const fit = fitModel(design, spec);
  expect(fit.converged).toBe(true);
  const ddf = denominatorDf(design, context);
  return fixedEffectsInference(design, fit, spec, ddf);
}

describe('engine fit + inference', () => {
  it('split-plot: Type 3 with containment df equals SAS Output 79.1.8', () => {
    const out = run('split-plot', splitPlotSpec, { method: 'containment', hasRandom: true, hasSubjects: false });
    for (const e of readJson('sas-split-plot', 'case.json').expected.type3) {
      const got = out.type3.find((r) => r.effect === e.effect)!;
      expect([got.numdf, got.dendf]).toEqual([e.numdf, e.dendf]);
      close(got.F, e.F, printedTolerance(e.printed.F), `${e.effect} F`);
      close(got.p, e.p, printedTolerance(e.printed.p), `${e.effect} p`);
    }
  });

  it('Pothoff-Roy UN ML: Type 3 and solution equal SAS Outputs 79.2.8-9 (df 25)', () => {
    const out = run('pothoff-roy-un-ml', pothoffSpec, { method: 'between-within', repeatedType: 'UN', hasRandom: false, hasSubjects: true });
    const exp = readJson('sas-pothoff-roy-un-ml', 'case.json').expected;
    const name = (s: string) => s.replace('Age*Gender', 'Gender*Age');
    for (const e of exp.type3) {
      const got = out.type3.find((r) => r.effect === name(e.effect))!;
      expect([got.numdf, got.dendf]).toEqual([e.numdf, e.dendf]);
      close(got.F, e.F, printedTolerance(e.printed.F), `${e.effect} F`);
      if (e.p === null) expect(got.p).toBeLessThan(e.p_lt);
      else close(got.p, e.p, { abs: 1e-4 }, `${e.effect} p`); // flat ML optimum: see inference-type3.test.ts
    }
    for (const e of exp.fixed) {
      const got = out.fixed.find((r) => r.term === name(e.term))!;
      expect(got.df).toBe(e.df);
      for (const k of ['estimate', 'se', 't'] as const) close(got[k], e[k], printedTolerance(e.printed[k]), `${e.term} ${k}`);
    }
  });

  it('ketamine UN: Type 3, LS-means, Tukey differences, slopes equal expected.json (rel 1e-4)', () => {
    const spec: ModelSpec = {
      ...ketamineSpec,
      lsmeans: [{ effect: 'time', pairwise: true, adjust: 'tukey' }],
      estimates: [{ kind: 'slope-at-levels', covariate: 'age', factor: 'time', label: 'age slope at infusion #{level}' }],
    };
    const out = run('ketamine-synthetic', spec, { method: 'between-within', repeatedType: 'UN', hasRandom: false, hasSubjects: true });
    const e = readJson('ketamine-synthetic', 'expected.json').expected;
    const tol = { rel: 1e-4, abs: 1e-6 };
    out.type3.forEach((r, i) => {
      expect(r.dendf).toBe(47);
      close(r.F, e.type3[i].F, tol, `${r.effect} F`);
      close(r.p, e.type3[i].p, tol, `${r.effect} p`);
    });
    out.lsmeans.forEach((r, i) => {
      for (const k of ['estimate', 'se', 't', 'p'] as const) close(r[k], e.lsmeans[i][k], tol, `LS-mean ${r.level} ${k}`);
    });
    out.diffs.forEach((r, i) => {
      for (const k of ['estimate', 'se', 't', 'p', 'p_adj'] as const) close(r[k], e.diffs[i][k], tol, `diff ${r.level}-${r.vs} ${k}`);
    });
    out.estimates.forEach((r, i) => {
      for (const k of ['estimate', 'se', 't', 'p', 'lower', 'upper'] as const) close(r[k], e.estimates[i][k], tol, `${r.label} ${k}`);
    });
  });

  it('orthodont UN REML (residual df 104): Type 3 and LS-means equal R (rel 1e-4)', () => {
    const spec: ModelSpec = { ...orthodontSpec, lsmeans: [{ effect: 'Sex', pairwise: true, adjust: 'tukey' }] };
    const out = run('orthodont-un', spec, { method: 'residual', repeatedType: 'UN', hasRandom: false, hasSubjects: true });
    const e = readJson('r-orthodont-un', 'case.json').expected;
    for (const r of e.type3) {
      const got = out.type3.find((x) => x.effect === r.effect.replace(':', '*'))!;
      close(got.F, r.F, { rel: 1e-4 }, `${r.effect} F`);
    }
    for (const r of e.lsmeans) {
      const got = out.lsmeans.find((x) => x.level === r.level)!;
      for (const k of ['estimate', 'se', 'lower', 'upper'] as const) close(got[k], r[k], { rel: 1e-4 }, `${r.level} ${k}`);
    }
  });
});
