/**
 * A large simulated trial (subjects with the same observed visits share their V factorisation and enter
 * the likelihood through cross-product sums; `npm run bench` measures how the time grows).
 * The reference numbers are the simulation's true parameters, compared within sampling error.
 */
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../src/design.js';
import { fitModel } from '../src/fit/index.js';
import type { ModelSpec, Value } from '../src/model-spec.js';
import { rng } from './fit-helpers.js';

const VISITS = 6;
// true covariance: variances growing over visits, correlation 0.6^|i-j| + 0.2
const trueSigma: number[][] = Array.from({ length: VISITS }, (_, i) =>
  Array.from({ length: VISITS }, (_, j) => {
    const sd = (i: number) => 10 + 2 * i;
    return sd(i) * sd(j) * (i === j ? 1 : 0.2 + 0.6 ** Math.abs(i - j) * 0.8);
  }),
);
const trueMean = (visit: number, arm: string) => 50 - 3 * visit - (arm === 'active' ? 2 * visit : 0);

function simulate(subjects: number, seed: number): Record<string, Value>[] {
  const u = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  // Cholesky of the true covariance
  const L = trueSigma.map((r) => r.map(() => 0));
  for (let j = 0; j < VISITS; j++) {
    let d = trueSigma[j][j];
    for (let k = 0; k < j; k++) d -= L[j][k] ** 2;
    L[j][j] = Math.sqrt(d);
    for (let i = j + 1; i < VISITS; i++) {
      let s = trueSigma[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = s / L[j][j];
    }
  }
  const rows: Record<string, Value>[] = [];
  for (let s = 0; s < subjects; s++) {
    const arm = s % 2 === 0 ? 'active' : 'placebo';
    const z = Array.from({ length: VISITS }, normal);
    for (let v = 0; v < VISITS; v++) {
      let e = 0;
      for (let k = 0; k <= v; k++) e += L[v][k] * z[k];
      // 10% of visits missed after the first, so there are many patterns of observed visits
      const y = v > 0 && u() < 0.1 ? null : trueMean(v + 1, arm) + e;
      rows.push({ id: `S${s}`, arm, visit: v + 1, y });
    }
  }
  return rows;
}

const spec: ModelSpec = {
  name: 'simulated',
  response: 'y',
  subject: 'id',
  classes: ['arm', 'visit'],
  fixed: [['arm'], ['visit'], ['arm', 'visit']],
  intercept: true,
  repeated: { effect: 'visit', type: 'UN' },
  random: [],
  method: 'REML',
  ddfm: 'between-within',
  estimates: [],
  lsmeans: [],
};

// Speed is measured by `npm run bench` (beside R), not asserted here.
describe('simulated 10,000 subjects x 6 visits, UN', () => {
  it('converges and recovers the simulated covariance', () => {
    const rows = simulate(10_000, 20261127);
    const design = buildDesign(rows, spec);
    const fit = fitModel(design, spec);
    expect(fit.converged).toBe(true);
    // sampling error of a covariance from ~9,000 subjects: a few percent of sd_i sd_j
    for (let i = 0; i < VISITS; i++) {
      for (let j = 0; j <= i; j++) {
        const row = fit.covParms.find((c) => c.name === `UN(${i + 1},${j + 1})`)!;
        const scale = Math.sqrt(trueSigma[i][i] * trueSigma[j][j]);
        expect(Math.abs(row.estimate - trueSigma[i][j]) / scale, row.name).toBeLessThan(0.06);
      }
    }
    const active6 = design.columns.findIndex((c) => c.label === 'arm*visit active 6');
    expect(active6).toBeGreaterThanOrEqual(0);
  });
});
