/** Loading conformance cases for the fit tests, and comparing with a case's tolerance. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { readDataFile } from '../src/data.js';
import type { Value } from '../src/model-spec.js';

export const conformanceDir = (id: string) => fileURLToPath(new URL(`../../../test/conformance/${id}/`, import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadCase(id: string, caseFile = 'case.json'): { rows: Record<string, Value>[]; json: any } {
  const dir = conformanceDir(id);
  const json = JSON.parse(readFileSync(dir + caseFile, 'utf8'));
  const rows = readDataFile(dir + json.data).rows;
  return { rows, json };
}

/** Largest error seen per comparison kind, printed when FIT_REPORT=1 (for the conformance summary). */
export const worstErrors = new Map<string, { rel: number; abs: number; what: string }>();
export function reportWorstErrors(caseId: string): void {
  if (!process.env.FIT_REPORT) return;
  for (const [kind, e] of worstErrors) console.log(`${caseId} ${kind}: max rel ${e.rel.toExponential(2)} abs ${e.abs.toExponential(2)} (${e.what})`);
  worstErrors.clear();
}

/** |actual - expected| <= abs + rel * |expected| */
export function expectClose(actual: number | null | undefined, expected: number, tol: { rel?: number; abs?: number }, what: string): number {
  expect(actual, what).not.toBeNull();
  expect(actual, what).toBeDefined();
  const a = actual as number;
  const err = Math.abs(a - expected);
  const allowed = (tol.abs ?? 0) + (tol.rel ?? 0) * Math.abs(expected);
  const kind = what.split(' ').slice(-1)[0];
  const rel = expected !== 0 ? err / Math.abs(expected) : err;
  const prev = worstErrors.get(kind);
  if (!prev || rel > prev.rel) worstErrors.set(kind, { rel, abs: err, what });
  expect(err, `${what}: ${a} vs ${expected} (allowed ${allowed})`).toBeLessThanOrEqual(allowed);
  return expected !== 0 ? err / Math.abs(expected) : err;
}

/** SAS prints with d decimals: the tolerance is half a unit in the last printed place. */
export function printedTolerance(printed: string): { abs: number } {
  const dot = printed.indexOf('.');
  const decimals = dot < 0 ? 0 : printed.length - dot - 1;
  return { abs: 0.5 * 10 ** -decimals };
}

/** L beta and its standard error sqrt(L Cov L'), L given by Design column label. */
export function contrast(
  fit: { beta: Float64Array; covBeta: { get(i: number, j: number): number } },
  labels: string[],
  coefficients: Record<string, number>,
): { estimate: number; se: number } {
  const L = labels.map((l) => coefficients[l] ?? 0);
  for (const l of Object.keys(coefficients)) if (!labels.includes(l)) throw new Error(`no column '${l}' in ${labels.join(', ')}`);
  let est = 0;
  let v = 0;
  L.forEach((a, i) => {
    est += a * fit.beta[i];
    L.forEach((b, j) => (v += a * b * fit.covBeta.get(i, j)));
  });
  return { estimate: est, se: Math.sqrt(v) };
}

/** Mulberry32: a small seeded generator, so the data set is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
