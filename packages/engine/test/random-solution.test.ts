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
import { randomEffectsFitted, randomEffectsSolution } from '../src/inference/index.js';
import { residualsFigure } from '../src/figures.js';
import type { Design } from '../src/design-types.js';
import type { FitResult } from '../src/fit/index.js';
import type { ModelReport } from '../src/results.js';
import type { ModelSpec } from '../src/model-spec.js';
import { expectClose, loadCase } from './fit-helpers.js';

interface RefCase { fitted: number[]; rows: number[]; covparms: number[]; minus2reml: number; df_containment: number; term: string[]; level: string[]; estimate: number[]; se: number[] }
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

/** Conditional fitted values Xβ̂ + Zγ̂ and the residual figure, against R's X beta + Z gamma (fitted(lmer)). */
function checkConditional(r: RefCase, design: Design, fit: FitResult, rows: Record<string, unknown>[]) {
  const zg = randomEffectsFitted(design, fit);
  expect(design.n).toBe(r.fitted.length);
  const scale = Math.max(...r.fitted.map(Math.abs));
  const figure = residualsFigure({ rows: rows as never, design, fit, report: { name: 'm' } as ModelReport });
  expect(figure.residualType).toBe('conditional');
  for (let i = 0; i < design.n; i++) {
    // R's rows are 1-based numbers of data.csv rows; the design's used rows map to data rows by sourceRows
    expect(design.sourceRows[i]! + 1).toBe(r.rows[i]);
    let xb = 0;
    for (let j = 0; j < design.columns.length; j++) xb += design.X.get(i, j) * fit.beta[j]!;
    expectClose(xb + zg[i]!, r.fitted[i]!, { rel: 1e-6, abs: 1e-7 * scale }, `fitted[${i}]`);
    expectClose(figure.points[i]!.predicted, r.fitted[i]!, { rel: 1e-6, abs: 1e-7 * scale }, `figure predicted[${i}]`);
    expectClose(figure.points[i]!.residual, design.y[i]! - r.fitted[i]!, { abs: 1e-6 * scale }, `figure residual[${i}]`);
  }
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
    checkConditional(r, design, fit, rows);
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
    checkConditional(r, design, fit, rows);
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
