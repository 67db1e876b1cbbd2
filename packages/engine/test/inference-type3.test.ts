/**
 * Type III hypotheses and their F tests against the references:
 *  - split-plot: SAS's printed E3 coefficients (Output 78.9.1) and Type 3 table (Output 79.1.8);
 *  - Pothoff-Roy (SAS Example 79.2, UN, ML): Type 3 table, and the hypotheses SAS-CONVENTIONS §3 states;
 *  - ketamine-synthetic and orthodont-un: the R references' Type 3 F and p.
 * β̂ and Cov(β̂) come from R fits of the same models (fixtures/inference-fits.json).
 */
import { describe, expect, it } from 'vitest';
import { typeIIIHypotheses, typeIIITests } from '../src/inference/type3.js';
import { betweenWithinDf, containmentDf, residualDf } from '../src/inference/ddf.js';
import { close, designFor, printedTolerance, readJson, referenceFit } from './inference-cases.js';

const coefficientsByLabel = (labels: string[], row: number[]) =>
  Object.fromEntries(labels.map((l, j) => [l, row[j]!]).filter(([, v]) => v !== 0));

describe('split-plot (SAS Example 78.9 / 79.1)', () => {
  const design = designFor('split-plot');
  const labels = design.columns.map((c) => c.label);
  const hyp = typeIIIHypotheses(design);
  const e3 = readJson('sas-split-plot', 'case.json').expected.other[0];
  const asNumber = (v: number | string) => Number(v);

  it('reproduces the printed Type 3 coefficients of A and B exactly (1/3 printed as 0.3333)', () => {
    for (const effect of ['A', 'B']) {
      const h = hyp.find((x) => x.effect === effect)!;
      const rowsRef = Object.values(e3[effect]) as Record<string, number | string>[];
      expect(h.L.rows).toBe(rowsRef.length);
      rowsRef.forEach((ref, r) => {
        const got = h.L.getRow(r);
        labels.forEach((label, j) => {
          const want = label in ref ? asNumber(ref[label]!) : 0;
          // printed to 4 significant decimals: ±1/3 appears as 0.3333 / -0.333
          expect(Math.abs(got[j]! - want), `${effect} row ${r + 1} ${label}`).toBeLessThanOrEqual(Math.abs(want) === 0.3333 || want === -0.333 ? 5e-4 : 1e-12);
        });
      });
    }
  });

  it('A*B rows match the part of the E3 table that was transcribed', () => {
    const h = hyp.find((x) => x.effect === 'A*B')!;
    expect(h.L.rows).toBe(2);
    const seen = ['Intercept', 'A 1', 'A 2', 'A 3', 'B 1', 'B 2', 'A*B 1 1', 'A*B 1 2', 'A*B 2 1', 'A*B 2 2'];
    const refRows = [e3['A*B_partial'].Row1, e3['A*B_partial'].Row2] as Record<string, number>[];
    refRows.forEach((ref, r) => {
      for (const label of seen) {
        expect(h.L.get(r, labels.indexOf(label)), `A*B row ${r + 1} ${label}`).toBeCloseTo(ref[label] ?? 0, 12);
      }
    });
  });

  it('Type 3 F tests with containment df (A 6, B and A*B 9) match the printed table', () => {
    const cont = containmentDf(design);
    expect(cont.residual).toBe(9); // 24 − rank[X Z] = 24 − 15
    const fit = referenceFit('split-plot', design);
    const rowsOut = typeIIITests(design, fit, (t) => cont.termDf[t]!);
    const expected = readJson('sas-split-plot', 'case.json').expected.type3;
    for (const e of expected) {
      const got = rowsOut.find((r) => r.effect === e.effect)!;
      expect(got.numdf).toBe(e.numdf);
      expect(got.dendf).toBe(e.dendf);
      close(got.F, e.F, printedTolerance(e.printed.F), `${e.effect} F`);
      close(got.p, e.p, printedTolerance(e.printed.p), `${e.effect} p`);
    }
  });
});

describe('Pothoff-Roy (SAS Example 79.2, TYPE=UN, ML)', () => {
  const design = designFor('pothoff-roy-un-ml');
  const labels = design.columns.map((c) => c.label);
  const hyp = typeIIIHypotheses(design);

  it('Age tests the slope averaged with equal weights over Gender; Gender the difference at Age 0', () => {
    const age = hyp.find((h) => h.effect === 'Age')!;
    expect(age.L.rows).toBe(1);
    expect(coefficientsByLabel(labels, age.L.getRow(0))).toEqual({ Age: 1, 'Gender*Age F': 0.5, 'Gender*Age M': 0.5 });
    const gender = hyp.find((h) => h.effect === 'Gender')!;
    expect(coefficientsByLabel(labels, gender.L.getRow(0))).toEqual({ 'Gender F': 1, 'Gender M': -1 });
    const inter = hyp.find((h) => h.effect === 'Gender*Age')!;
    expect(coefficientsByLabel(labels, inter.L.getRow(0))).toEqual({ 'Gender*Age F': 1, 'Gender*Age M': -1 });
  });

  it('Type 3 table (F to 2 decimals, p to 4, df 25 from the UN between-within rule)', () => {
    const bw = betweenWithinDf(design, { rSideUnstructuredOnly: true });
    const fit = referenceFit('pothoff-roy-un-ml', design);
    const out = typeIIITests(design, fit, (t) => bw.termDf[t]!);
    const expected = readJson('sas-pothoff-roy-un-ml', 'case.json').expected.type3;
    const name = (sas: string) => (sas === 'Age*Gender' ? 'Gender*Age' : sas); // SAS prints the interaction as Age*Gender
    for (const e of expected) {
      const got = out.find((r) => r.effect === name(e.effect))!;
      expect(got.numdf).toBe(e.numdf);
      expect(got.dendf).toBe(e.dendf);
      close(got.F, e.F, printedTolerance(e.printed.F), `${e.effect} F`);
      if (e.p === null) expect(got.p).toBeLessThan(e.p_lt);
      // Gender: R's ML optimum gives t = 1.07999, p = 0.290454, printed by SAS as 0.2904 (t >= 1.08002):
      // the flat ML surface leaves the two optimisers ~3e-5 apart in t, so allow 1e-4 on p here
      else close(got.p, e.p, { abs: 1e-4 }, `${e.effect} p`);
    }
  });
});

describe('ketamine-synthetic (R reference with SAS conventions)', () => {
  const design = designFor('ketamine-synthetic');
  const labels = design.columns.map((c) => c.label);
  const hyp = typeIIIHypotheses(design);
  const expected = readJson('ketamine-synthetic', 'expected.json').expected;

  it('hypotheses are those the notes describe', () => {
    const age = hyp.find((h) => h.effect === 'age')!;
    expect(age.L.rows).toBe(1);
    const ageRow = coefficientsByLabel(labels, age.L.getRow(0));
    expect(Object.keys(ageRow).sort()).toEqual(['age', ...[2, 3, 4, 5, 6].map((j) => `time*age ${j}`)].sort());
    for (const j of [2, 3, 4, 5, 6]) expect(ageRow[`time*age ${j}`]).toBeCloseTo(0.2, 14);
    const time = hyp.find((h) => h.effect === 'time')!;
    expect(time.L.rows).toBe(4);
    for (let r = 0; r < 4; r++) {
      const row = coefficientsByLabel(labels, time.L.getRow(r));
      expect(row).toEqual({ [`time ${r + 2}`]: 1, 'time 6': -1 }); // zero on time*age: differences at age 0
    }
    expect(hyp.find((h) => h.effect === 'time*age')!.L.rows).toBe(4);
  });

  it('Type 3 F and p (df 47)', () => {
    const bw = betweenWithinDf(design, { rSideUnstructuredOnly: true });
    const fit = referenceFit('ketamine-synthetic', design);
    const out = typeIIITests(design, fit, (t) => bw.termDf[t]!);
    let worst = 0;
    for (const e of expected.type3) {
      const got = out.find((r) => r.effect === e.effect)!;
      expect(got.numdf).toBe(e.numdf);
      expect(got.dendf).toBe(e.dendf);
      worst = Math.max(worst, close(got.F, e.F, { rel: 1e-9 }, `${e.effect} F`), close(got.p, e.p, { rel: 1e-9 }, `${e.effect} p`));
    }
    console.log(`ketamine Type 3: max rel err ${worst.toExponential(2)}`);
  });
});

describe('orthodont-un (R nlme, marginal F on contr.sum = SAS Type 3)', () => {
  it('Type 3 F and p with residual df 104', () => {
    const design = designFor('orthodont-un');
    const fit = referenceFit('orthodont-un', design);
    const df = residualDf(design);
    const out = typeIIITests(design, fit, () => df);
    const expected = readJson('r-orthodont-un', 'case.json').expected.type3;
    const name = (r: string) => r.replace(':', '*');
    let worst = 0;
    for (const e of expected) {
      const got = out.find((r) => r.effect === name(e.effect))!;
      expect(got.dendf).toBe(e.dendf);
      // the reference F comes from a separate contr.sum refit: agreement limited by gls convergence
      worst = Math.max(worst, close(got.F, e.F, { rel: 1e-4 }, `${e.effect} F`), close(got.p, e.p, { rel: 1e-4 }, `${e.effect} p`));
    }
    console.log(`orthodont-un Type 3: max rel err ${worst.toExponential(2)}`);
  });
});
