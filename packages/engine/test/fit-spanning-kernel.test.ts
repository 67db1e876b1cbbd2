/**
 * The Woodbury kernel of a block that a random effect spans across R-subjects (fit/spanning.ts)
 * against the same quantities formed from the block's dense V: level-0 pieces, every derivative term
 * the likelihood, its Hessian and the Kenward-Roger sensitivities use, and V⁻¹Z. Checked for a
 * structure linear in θ (UN within patient, random site intercept) and a non-linear one with two
 * random-effect columns (AR(1) within patient, random site intercept and age slope, G unstructured),
 * at a θ away from the estimate so that no term vanishes by optimality.
 */
import { describe, expect, it } from 'vitest';
import { buildDesign } from '../src/design.js';
import { fitModel } from '../src/fit/index.js';
import { cholesky, inverseFromCholesky, logDetFromCholesky, multiply } from '../src/fit/dense.js';
import type { ModelSpec } from '../src/model-spec.js';
import { loadCase } from './fit-helpers.js';

const { rows } = loadCase('r-multicentre-un');
const base: Omit<ModelSpec, 'repeated' | 'random'> = {
  name: 'multicentre', response: 'bdi', subject: 'patient', classes: ['visit'], fixed: [['visit'], ['age']], intercept: true,
  method: 'REML', ddfm: 'containment', estimates: [], lsmeans: [],
};
const models: { name: string; spec: ModelSpec }[] = [
  { name: 'UN within patient, random site intercept', spec: { ...base, repeated: { effect: 'visit', type: 'UN' }, random: [{ terms: [[]], subject: 'site', type: 'VC' }] } },
  {
    name: 'AR(1) within patient, random site intercept and age slope (UN)',
    spec: { ...base, repeated: { effect: 'visit', type: 'AR1' }, random: [{ terms: [[], ['age']], subject: 'site', type: 'UN' }] },
  },
];

const T = (a: Float64Array, r: number, c: number) => {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j]!;
  return out;
};
const trace = (a: Float64Array, n: number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * n + i]!;
  return s;
};

/** |a − b| within rel 1e-8 of the larger magnitude of the two arrays (they mix terms of very different size) */
function expectArrayClose(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!), Math.abs(a[i]!));
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i]! - b[i]!), `${what}[${i}]: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(1e-8 * Math.max(scale, 1e-300));
}

describe('the Woodbury kernel of a spanning block equals the dense algebra', () => {
  for (const { name, spec } of models) {
    it(name, () => {
      const design = buildDesign(rows, spec);
      const fit = fitModel(design, spec);
      expect(fit.converged).toBe(true);
      const { likelihood, covarianceModel: model } = fit;
      // away from the estimate: variances up, correlations moved
      const theta = Array.from(fit.theta, (t, k) => (model.parameters[k]!.kind === 'variance' ? 1.3 * t : 0.8 * t + 0.01));
      expect(model.admissible(theta)).toBe(true);
      const q = model.size;
      const p = likelihood.p;
      let blocks = 0;
      likelihood.patterns.forEach((pat, pi) => {
        const kernel = likelihood.kernels[pi];
        if (!kernel) return;
        blocks++;
        const m = pat.m;
        const X = pat.directX!;
        const y = pat.directY!;
        const st = kernel.evaluate(theta)!;
        // dense: V, W = V⁻¹
        const L = cholesky(model.blockCovariance(theta, pat.layout), m)!;
        const W = inverseFromCholesky(L, m);
        expect(st.logDetV).toBeCloseTo(logDetFromCholesky(L, m), 8);
        const WX = multiply(W, X, m, m, p);
        const Wy = multiply(W, y, m, m, 1);
        expectArrayClose(st.XtWX, multiply(T(X, m, p), WX, p, m, p), 'XtWX');
        expectArrayClose(st.XtWy, multiply(T(X, m, p), Wy, p, m, 1), 'XtWy');
        expect(st.yWy).toBeCloseTo(multiply(y, Wy, 1, m, 1)[0]!, 6);

        // any beta and symmetric positive C will do: the fit's, perturbed
        const beta = Float64Array.from({ length: p }, (_, j) => 0.5 + 0.1 * j);
        const C = new Float64Array(p * p);
        for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) C[a * p + b] = (a === b ? 2 : 0) + 0.1 / (1 + Math.abs(a - b));
        const d = kernel.derivatives(st, beta, C, 2, true, true);

        const r = Float64Array.from(y, (v, i) => v - multiply(X.subarray(i * p, (i + 1) * p), beta, 1, p, 1)[0]!);
        const u = multiply(W, r, m, m, 1);
        const U = WX;
        const Ut = T(U, m, p);
        const dV = model.blockDerivatives(theta, pat.layout);
        const WV = dV.map((Vk) => (Vk ? multiply(W, Vk, m, m, m) : null));
        const WVU = WV.map((WVk) => (WVk ? multiply(WVk, U, m, m, p) : null));
        for (let k = 0; k < q; k++) {
          const Vk = dV[k];
          if (!Vk) continue;
          expect(d.trWV[k]).toBeCloseTo(trace(multiply(W, Vk, m, m, m), m), 8);
          const Vku = multiply(Vk, u, m, m, 1);
          expect(d.uVu[k]).toBeCloseTo(multiply(u, Vku, 1, m, 1)[0]!, 6);
          expectArrayClose(d.b[k]!, multiply(Ut, Vku, p, m, 1), `b_${k}`);
          const VkU = multiply(Vk, U, m, m, p);
          expectArrayClose(d.M[k]!, multiply(Ut, VkU, p, m, p), `M_${k}`);
          for (let l = k; l < q; l++) {
            const Vl = dV[l];
            if (!Vl) continue;
            const idx = k * q + l;
            const WVl = WV[l]!;
            const WVk = WV[k]!;
            let tr = 0;
            for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) tr += WVk[i * m + j]! * WVl[j * m + i]!;
            expect(d.T![idx]).toBeCloseTo(tr, 6);
            const WVlu = multiply(WVl, u, m, m, 1);
            expect(d.RR![idx]).toBeCloseTo(multiply(T(Vku, m, 1), WVlu, 1, m, 1)[0]!, 6);
            const QQ = multiply(T(VkU, m, p), WVU[l]!, p, m, p);
            expectArrayClose(d.QQ!.get(idx)!, QQ, `QQ_${k},${l}`);
            expect(d.CN![idx]).toBeCloseTo(trace(multiply(C, QQ, p, p, p), p), 6);
          }
        }
        // second derivatives (AR(1) only)
        const second = model.blockSecondDerivatives(theta, pat.layout);
        for (const sd of second) {
          const idx = sd.k * q + sd.l;
          const UvU = multiply(Ut, multiply(sd.matrix, U, m, m, p), p, m, p);
          const expected =
            trace(multiply(W, sd.matrix, m, m, m), m) - multiply(u, multiply(sd.matrix, u, m, m, 1), 1, m, 1)[0]! - trace(multiply(C, UvU, p, p, p), p);
          expect(d.S2![idx]).toBeCloseTo(expected, 6);
          expectArrayClose(d.R2!.get(idx)!, UvU, `R2_${sd.k},${sd.l}`);
        }
        if (spec.repeated.type === 'AR1') expect(second.length).toBeGreaterThan(0);
      });
      expect(blocks).toBe(design.subjects.length);

      // V⁻¹Z of every block, at the estimate
      design.subjects.forEach((_, i) => {
        const layout = fit.layouts[i]!;
        const m = layout.positions.length;
        const g = layout.localColumns.length;
        const L = cholesky(model.blockCovariance(fit.theta, layout), m)!;
        expectArrayClose(fit.blockVInverseZ(i), multiply(inverseFromCholesky(L, m), layout.zLocal, m, m, g), `V⁻¹Z of block ${i}`);
      });
    });
  }
});
