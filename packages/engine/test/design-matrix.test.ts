// X kept as its terms (design-matrix.ts) and the fit's sparse rows and pattern sums (fit/patterns.ts),
// against a dense X written out here from the GLM coding: intercept, one dummy per visit, age, and one
// age column per visit.
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../src/design.js';
import { blockLayouts, buildPatterns, fullRankRows, standardiseResponse } from '../src/fit/index.js';
import type { ModelSpec, Value } from '../src/model-spec.js';
import { rng } from './fit-helpers.js';

const VISITS = 4;
function simulate(subjects: number, seed: number): Record<string, Value>[] {
  const u = rng(seed);
  const rows: Record<string, Value>[] = [];
  for (let s = 0; s < subjects; s++) {
    // some ages 0 (a zero entry of a covariate column), some visits missing (several patterns)
    const age = s % 7 === 0 ? 0 : Math.round(20 + 50 * u());
    for (let v = 1; v <= VISITS; v++) {
      if (u() < 0.15) continue;
      rows.push({ id: `P${s}`, visit: v, age, y: 10 + v + 0.1 * age + 5 * u() });
    }
  }
  return rows;
}

const spec: ModelSpec = {
  name: 'm',
  response: 'y',
  subject: 'id',
  classes: ['visit'],
  fixed: [['visit'], ['age'], ['visit', 'age']],
  intercept: true,
  repeated: { effect: 'visit', type: 'UN' },
  random: [],
  method: 'REML',
  ddfm: 'between-within',
  estimates: [],
  lsmeans: [],
} as unknown as ModelSpec;

function dense(rows: Record<string, Value>[]): number[][] {
  const used = rows.filter((r) => r.y !== null);
  return used.map((r) => {
    const v = r.visit as number;
    const age = r.age as number;
    const dummies = Array.from({ length: VISITS }, (_, k) => (k + 1 === v ? 1 : 0));
    return [1, ...dummies, age, ...dummies.map((d) => d * age)];
  });
}

describe('the design matrix kept as its terms', () => {
  const rows = simulate(60, 7);
  const design = buildDesign(rows, spec);
  const X = dense(rows);
  const P = X[0]!.length;

  it('reads as the dense GLM matrix: entries, rows, columns, products', () => {
    expect(design.X.rows).toBe(X.length);
    expect(design.X.columns).toBe(P);
    expect(design.columns.map((c) => c.label)).toEqual(['Intercept', 'visit 1', 'visit 2', 'visit 3', 'visit 4', 'age', 'visit*age 1', 'visit*age 2', 'visit*age 3', 'visit*age 4']);
    for (let i = 0; i < X.length; i++) {
      expect(Array.from(design.X.getRow(i))).toEqual(X[i]);
      for (let j = 0; j < P; j++) expect(design.X.get(i, j)).toBe(X[i]![j]);
    }
    const cols = design.X.getColumns();
    for (let j = 0; j < P; j++) expect(Array.from(cols[j]!)).toEqual(X.map((r) => r[j]));
    const b = Array.from({ length: P }, (_, j) => (j - 3) / 7);
    for (let i = 0; i < X.length; i++) expect(design.X.rowDot(i, b)).toBeCloseTo(X[i]!.reduce((s, x, j) => s + x * b[j]!, 0), 12);
    const XtX = design.X.crossProduct();
    for (let a = 0; a < P; a++) for (let c = 0; c < P; c++) expect(XtX[a * P + c]).toBeCloseTo(X.reduce((s, r) => s + r[a]! * r[c]!, 0), 8);
  });

  it("gives each row's non-zero entries, in column order, renumbered to the kept columns", () => {
    // GLM coding aliases the last visit and the last visit*age column
    expect(design.columns.map((c) => c.aliased)).toEqual([false, false, false, false, true, false, false, false, false, true]);
    const { rows: sparse, columns } = fullRankRows(design);
    expect(columns).toEqual([0, 1, 2, 3, 5, 6, 7, 8]);
    const cols = new Int32Array(sparse.width);
    const vals = new Float64Array(sparse.width);
    let zeros = 0;
    for (let i = 0; i < X.length; i++) {
      const n = sparse.entries(i, cols, vals, 0);
      const want = columns.flatMap((j, k) => (X[i]![j] !== 0 ? [[k, X[i]![j]]] : []));
      if (X[i]![5] === 0) zeros++;
      expect(Array.from({ length: n }, (_, s) => [cols[s], vals[s]])).toEqual(want);
    }
    expect(zeros).toBeGreaterThan(0);
  });

  it('tells a column that varies within subjects from one that does not', () => {
    // age is constant within each subject; the visit dummies change from row to row
    expect(design.X.variesWithin(5, design.subjects)).toBe(false);
    expect(design.X.variesWithin(0, design.subjects)).toBe(false);
    expect(design.X.variesWithin(1, design.subjects)).toBe(true);
    expect(design.X.variesWithin(6, design.subjects)).toBe(true);
  });

  it('sums each pattern as the dense rows give it (tensor form, pairs of positions a <= c, and direct form)', () => {
    const { rows: sparse, columns } = fullRankRows(design);
    const p = columns.length;
    const y = design.y;
    const patterns = buildPatterns(y, blockLayouts(design), (b) => design.subjects[b]!.rows, null, sparse, p);
    expect(patterns.some((pt) => pt.tensorSums)).toBe(true);
    expect(patterns.some((pt) => pt.directX)).toBe(true);
    expect(patterns.reduce((s, pt) => s + pt.count, 0)).toBe(design.subjects.length);
    const u = rng(3);
    for (const pt of patterns) {
      const m = pt.m;
      const A = new Float64Array(m * m);
      for (let a = 0; a < m; a++) for (let c = 0; c <= a; c++) A[a * m + c] = A[c * m + a] = u() - 0.5;
      const wantXX = new Float64Array(p * p);
      const wantXY = new Float64Array(p);
      let wantYY = 0;
      for (const b of pt.blocks) {
        const r = design.subjects[b]!.rows;
        const Xi = r.map((i) => columns.map((j) => X[i]![j]!));
        for (let a = 0; a < m; a++) {
          for (let c = 0; c < m; c++) {
            const w = A[a * m + c]!;
            wantYY += y[r[a]!]! * w * y[r[c]!]!;
            for (let j = 0; j < p; j++) {
              wantXY[j] += Xi[a]![j]! * w * y[r[c]!]!;
              for (let k = 0; k < p; k++) wantXX[j * p + k] += Xi[a]![j]! * w * Xi[c]![k]!;
            }
          }
        }
      }
      const XX = pt.quadX(A);
      const XY = pt.quadXY(A);
      for (let t = 0; t < p * p; t++) expect(XX[t]).toBeCloseTo(wantXX[t]!, 7);
      for (let j = 0; j < p; j++) expect(XY[j]).toBeCloseTo(wantXY[j]!, 7);
      expect(pt.quadYY(A)).toBeCloseTo(wantYY, 7);
    }
  });

  it('standardises the response by OLS on the sparse rows as on the dense ones', () => {
    const { rows: sparse, columns } = fullRankRows(design);
    const p = columns.length;
    const y = design.y;
    const s = standardiseResponse(y, sparse, p, design.n, 'y');
    // the OLS residuals from the dense normal equations, by Gaussian elimination
    const Xf = X.map((r) => columns.map((j) => r[j]!));
    const M = Array.from({ length: p }, (_, a) => [...Array.from({ length: p }, (_, c) => Xf.reduce((t, r) => t + r[a]! * r[c]!, 0)), Xf.reduce((t, r, i) => t + r[a]! * y[i]!, 0)]);
    for (let k = 0; k < p; k++) {
      for (let a = k + 1; a < p; a++) {
        const f = M[a]![k]! / M[k]![k]!;
        for (let c = k; c <= p; c++) M[a]![c]! -= f * M[k]![c]!;
      }
    }
    const beta = new Array<number>(p).fill(0);
    for (let a = p - 1; a >= 0; a--) beta[a] = (M[a]![p]! - M[a]!.slice(a + 1, p).reduce((t, v, c) => t + v * beta[a + 1 + c]!, 0)) / M[a]![a]!;
    for (let j = 0; j < p; j++) expect(s.beta[j]).toBeCloseTo(beta[j]!, 8);
    const resid = Xf.map((r, i) => y[i]! - r.reduce((t, x, j) => t + x * beta[j]!, 0));
    const rms = Math.sqrt(resid.reduce((t, e) => t + e * e, 0) / (design.n - p));
    expect(s.scale).toBeCloseTo(rms, 8);
    for (let i = 0; i < design.n; i++) expect(s.y[i]).toBeCloseTo(resid[i]! / rms, 8);
  });
});
