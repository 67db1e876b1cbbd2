/**
 * A random effect that spans several R-side subjects (a site over its patients): the blocks of V are
 * the sites, each holding several patients told apart by rGroups, with R = 0 between patients.
 * The numbers are compared with lme4 and nlme in test/conformance/r-multicentre-cs and -un; here, the
 * structure of the design and what is refused.
 */
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../src/design.js';
import { fitModel } from '../src/fit/index.js';
import { denominatorDf } from '../src/inference/index.js';
import type { ModelSpec } from '../src/model-spec.js';
import { loadCase } from './fit-helpers.js';

const { rows } = loadCase('r-multicentre-cs');
const spec: ModelSpec = {
  name: 'multicentre', response: 'bdi', subject: 'patient', classes: ['visit'], fixed: [['visit'], ['age'], ['visit', 'age']], intercept: true,
  repeated: { effect: 'visit', type: 'CS' }, random: [{ terms: [[]], subject: 'site', type: 'VC' }],
  method: 'REML', ddfm: 'containment', estimates: [], lsmeans: [],
};

describe('random effects spanning several R-side subjects', () => {
  const design = buildDesign(rows, spec);

  it('blocks V by site, with each patient its own R-subject inside the block', () => {
    expect(design.subjects.map((b) => b.id).sort()).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    for (const block of design.subjects) {
      expect(block.rGroups).toBeDefined();
      const patients = new Map<number, Set<string>>();
      block.rows.forEach((r, a) => {
        const set = patients.get(block.rGroups![a]!) ?? new Set<string>();
        set.add(String(rows[design.sourceRows[r]!]!.patient));
        patients.set(block.rGroups![a]!, set);
        expect(String(rows[design.sourceRows[r]!]!.site)).toBe(block.id);
      });
      // one patient per R-subject group, and positions are visit levels within the patient
      for (const set of patients.values()) expect(set.size).toBe(1);
    }
    expect(design.subjects.reduce((s, b) => s + b.rows.length, 0)).toBe(design.n);
  });

  it('V has no R-side covariance between two patients of one site, only the site variance', () => {
    const fit = fitModel(design, spec);
    const block = design.subjects[0]!;
    const V = fit.blockCovariance(0);
    const [site, cs] = [fit.covParms[0]!.estimate, fit.covParms[1]!.estimate];
    let checked = 0;
    for (let a = 0; a < block.rows.length; a++) {
      for (let b = 0; b < a; b++) {
        const same = block.rGroups![a] === block.rGroups![b];
        expect(V.get(a, b)).toBeCloseTo(same ? site + cs : site, 8);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(fit.subjects).toBe(5);
    expect(fit.notes.some((n) => /span several patient subjects/.test(n.message))).toBe(true);
  });

  it('refuses between-within df, whose subject is not defined here', () => {
    expect(() =>
      denominatorDf(design, { method: 'between-within', repeatedType: 'CS', hasRandom: true, hasSubjects: true }),
    ).toThrow(/between-within is not implemented when random effects span several subjects/);
  });

  it('still refuses two patients with the same visit', () => {
    const dup = [...rows, { ...rows[0]! }];
    expect(() => buildDesign(dup, spec)).toThrow(/two rows with visit=1/);
  });
});
