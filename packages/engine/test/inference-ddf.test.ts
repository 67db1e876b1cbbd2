/**
 * Denominator df against what SAS printed (SAS-CONVENTIONS.md §2 and the cases):
 *  - BETWITHIN, Pothoff-Roy: TYPE=UN → every effect 25; TYPE=CS → Intercept, Gender 25; Age, Age*Gender 79;
 *  - BETWITHIN, ketamine (UN): every effect 47 (49 subjects − rank 2 of [Intercept, age]);
 *  - CONTAIN, split-plot: A 6 (A*Block), B and A*B 9 (= 24 − rank[X Z] 15);
 *  - RESIDUAL, orthodont (R gls): 104.
 */
import { describe, expect, it } from 'vitest';
import { betweenWithinDf, containmentDf, denominatorDf, residualDf } from '../src/inference/ddf.js';
import { designFor } from './inference-cases.js';

const byName = (names: string[], df: number[]) => Object.fromEntries(names.map((n, i) => [n, df[i]]));

describe('between-within', () => {
  const pr = designFor('pothoff-roy-un-ml');
  it('Pothoff-Roy TYPE=UN: all effects get the between-subject df 25', () => {
    const ddf = denominatorDf(pr, { method: 'between-within', repeatedType: 'UN', hasRandom: false, hasSubjects: true });
    expect(byName(pr.termNames, ddf.termDf)).toEqual({ Intercept: 25, Gender: 25, Age: 25, 'Gender*Age': 25 });
    expect(ddf.columnDf).toEqual([25, 25, 25, 25, 25, 25]);
  });
  it('Pothoff-Roy TYPE=CS: Intercept, Gender 25; Age, Age*Gender 79', () => {
    const bw = betweenWithinDf(pr, { rSideUnstructuredOnly: false });
    expect(bw.between).toBe(25);
    expect(bw.within).toBe(79);
    expect(byName(pr.termNames, bw.termDf)).toEqual({ Intercept: 25, Gender: 25, Age: 79, 'Gender*Age': 79 });
  });
  it('ketamine (UN, no RANDOM): all effects 47', () => {
    const k = designFor('ketamine-synthetic');
    const ddf = denominatorDf(k, { method: 'between-within', repeatedType: 'UN', hasRandom: false, hasSubjects: true });
    expect(new Set(ddf.termDf)).toEqual(new Set([47]));
    expect(ddf.forHypothesis(3, undefined as never)).toBe(47);
  });
});

describe('containment', () => {
  it('split-plot: A 6, B 9, A*B 9; rank contributions Block 3, A*Block 6', () => {
    const sp = designFor('split-plot');
    const c = containmentDf(sp);
    expect(c.randomRankContribution).toEqual([3, 6]);
    expect(c.residual).toBe(9);
    expect(byName(sp.termNames, c.termDf)).toMatchObject({ A: 6, B: 9, 'A*B': 9 });
  });
});

describe('residual', () => {
  it('orthodont: n − rank(X) = 108 − 4', () => {
    expect(residualDf(designFor('orthodont-un'))).toBe(104);
  });
});
