/**
 * The Solution for Random Effects (EBLUPs and SAS's "Std Err Pred") for models the SAS example does
 * not cover: random effects without SUBJECT= (split-plot: Block, A*Block, labelled by class levels)
 * and an unstructured G per subject with missing observations (sleepstudy, unbalanced). Reference:
 * the mixed model equations at lme4's REML estimates (packages/engine/test/reference/r/random-solution.R).
 * The SAS-printed case is test/conformance/sas-random-coefficients.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../src/design.js';
import { fitModel } from '../src/fit/index.js';
import { randomEffectsSolution } from '../src/inference/index.js';
import type { ModelSpec } from '../src/model-spec.js';
import { expectClose, loadCase } from './fit-helpers.js';

interface RefCase { covparms: number[]; minus2reml: number; df_containment: number; term: string[]; level: string[]; estimate: number[]; se: number[] }
const ref = JSON.parse(readFileSync(new URL('./fixtures/random-solution.json', import.meta.url), 'utf8')) as { cases: Record<string, RefCase> };

const base = { intercept: true, method: 'REML', ddfm: 'containment', estimates: [], lsmeans: [], randomSolution: true } as const;

function check(r: RefCase, rows: ReturnType<typeof randomEffectsSolution>, key: (term: string, level: string) => string) {
  expect(rows.length).toBe(r.estimate.length);
  const scale = Math.max(...r.estimate.map(Math.abs));
  r.term.forEach((term, i) => {
    const k = key(term, r.level[i]);
    const row = rows.find((x) => `${x.effect}|${x.subject ?? ''}|${JSON.stringify(x.levels ?? {})}` === k);
    expect(row, k).toBeDefined();
    expectClose(row!.estimate, r.estimate[i], { rel: 1e-4, abs: 1e-5 * scale }, `${k} estimate`);
    expectClose(row!.se, r.se[i], { rel: 1e-4 }, `${k} Std Err Pred`);
    expect(row!.df).toBe(r.df_containment);
    expect(row!.t).toBeCloseTo(row!.estimate / row!.se, 12);
  });
}

describe('solution for random effects', () => {
  it('split-plot: Block and A*Block without SUBJECT=, labelled by their class levels', () => {
    const { rows } = loadCase('sas-split-plot');
    const spec: ModelSpec = {
      ...base, name: 'splitplot', response: 'Y', classes: ['A', 'B', 'Block'], fixed: [['A'], ['B'], ['A', 'B']],
      random: [{ terms: [['Block']], type: 'VC' }, { terms: [['A', 'Block']], type: 'VC' }],
    };
    const design = buildDesign(rows, spec);
    const r = ref.cases.split_plot;
    // started at lme4's optimum: the formulas are compared, not two optimisers' stopping points
    const fit = fitModel(design, spec, undefined, { start: r.covparms });
    expectClose(fit.minus2ll, r.minus2reml, { abs: 1e-6 }, '-2RLL');
    check(r, randomEffectsSolution(design, fit, 'containment'), (term, level) => {
      if (term === 'Block') return `Block||${JSON.stringify({ Block: level })}`;
      const [a, b] = level.split(':');
      return `A*Block||${JSON.stringify({ A: a, Block: b })}`;
    });
  });

  it('sleepstudy with missing days: intercept and slope per subject, UN G', () => {
    const { rows } = loadCase('r-sleepstudy-unbalanced');
    const spec: ModelSpec = {
      ...base, name: 'sleep', response: 'Reaction', classes: [], fixed: [['Days']],
      random: [{ terms: [[], ['Days']], subject: 'Subject', type: 'UN' }],
    };
    const design = buildDesign(rows, spec);
    const r = ref.cases.sleepstudy_unbalanced;
    const fit = fitModel(design, spec, undefined, { start: r.covparms });
    expectClose(fit.minus2ll, r.minus2reml, { abs: 1e-5 }, '-2RLL');
    check(r, randomEffectsSolution(design, fit, 'containment'), (term, level) => `${term}|Subject ${level}|{}`);
  });

  it('is refused for df methods whose t tests it does not define', () => {
    const { rows } = loadCase('sas-split-plot');
    const spec: ModelSpec = {
      ...base, name: 'splitplot', response: 'Y', classes: ['A', 'B', 'Block'], fixed: [['A'], ['B'], ['A', 'B']],
      random: [{ terms: [['Block']], type: 'VC' }],
    };
    const design = buildDesign(rows, spec);
    const fit = fitModel(design, spec);
    expect(() => randomEffectsSolution(design, fit, 'satterthwaite')).toThrow(/containment or residual/);
    const residual = randomEffectsSolution(design, fit, 'residual');
    expect(residual.every((x) => x.df === design.n - design.rankX)).toBe(true);
  });
});
