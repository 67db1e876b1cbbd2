/**
 * fit/dense.ts: multiplySparse (used by the likelihood for W dV_k W and its second-order products) is multiply to
 * the bit, for the sparse B it is given and for any A with finite entries.
 */
import { describe, expect, it } from 'vitest';
import { multiply, multiplySparse, multiplySparseRight, sparseEntries } from '../src/fit/dense.js';
import { rng } from './fit-helpers.js';

describe('multiplySparse', () => {
  it('equals multiply entry by entry, to the bit, for B with one, two or a few non-zeros', () => {
    const u = rng(20261202);
    for (let trial = 0; trial < 300; trial++) {
      const r = 1 + Math.floor(u() * 7);
      const k = 1 + Math.floor(u() * 7);
      const c = 1 + Math.floor(u() * 7);
      // A with zeros, negative entries and a wide range of magnitudes
      const a = Float64Array.from({ length: r * k }, () => (u() < 0.2 ? 0 : (u() - 0.5) * 10 ** Math.floor(u() * 12 - 6)));
      const b = new Float64Array(k * c);
      const nonZeros = 1 + Math.floor(u() * Math.max(1, (k * c) / 2));
      for (let e = 0; e < nonZeros; e++) b[Math.floor(u() * k * c)] = (u() - 0.5) * 10 ** Math.floor(u() * 8 - 4);
      const entries = sparseEntries(b, k, c);
      const dense = multiply(a, b, r, k, c);
      const viaRight = multiplySparseRight(a, b, r, k, c);
      for (let t = 0; t < r * c; t++) expect(Object.is(viaRight[t], dense[t]), `trial ${trial}, entry ${t}`).toBe(true);
      if (entries) {
        const sparse = multiplySparse(a, entries, r, k, c);
        for (let t = 0; t < r * c; t++) expect(Object.is(sparse[t], dense[t]), `trial ${trial}, entry ${t}`).toBe(true);
      }
    }
  });

  it('leaves a B more than half full to multiply', () => {
    expect(sparseEntries(Float64Array.from([1, 2, 0, 3]), 2, 2)).toBeNull();
    expect(sparseEntries(Float64Array.from([1, 0, 0, 3]), 2, 2)).toEqual({ rowOf: Int32Array.from([0, 1]), columnOf: Int32Array.from([0, 1]), value: Float64Array.from([1, 3]) });
  });
});
