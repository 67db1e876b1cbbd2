/**
 * Shared set-up for the inference tests: the conformance cases' data turned into Designs (with the
 * engine's buildDesign), and reference fits (β̂, Cov(β̂) from R, test/fixtures/inference-fits.json,
 * written by test/reference/r/inference-fits.R) so the inference code is tested on its own.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Matrix } from 'ml-matrix';
import { expect } from 'vitest';
import { readDataFile } from '../src/data.js';
import { buildDesign } from '../src/design.js';
import type { Design } from '../src/design-types.js';
import type { ModelSpec, Value } from '../src/model-spec.js';
import type { FixedEffectsFit } from '../src/inference/contrasts.js';

const dir = (id: string) => fileURLToPath(new URL(`../../../test/conformance/${id}/`, import.meta.url));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function readJson(id: string, file: string): any {
  return JSON.parse(readFileSync(dir(id) + file, 'utf8'));
}

export function rows(id: string, file: string): Record<string, Value>[] {
  return readDataFile(dir(id) + file).rows;
}

const baseSpec = (over: Partial<ModelSpec>): ModelSpec => ({
  name: 'test',
  response: 'y',
  classes: [],
  fixed: [],
  intercept: true,
  random: [],
  method: 'REML',
  ddfm: 'residual',
  estimates: [],
  lsmeans: [],
  ...over,
});

/** Ketamine analysis rows: % change from infusion #1 at visits 2..6 (as the case's `derive` says). */
export function ketamineRows(): Record<string, Value>[] {
  const all = rows('ketamine-synthetic', 'ketamine.csv');
  const baseline = new Map<string, number | null>();
  for (const r of all) if (r.visit === 1) baseline.set(String(r.patient), r.bdi as number | null);
  return all
    .filter((r) => typeof r.visit === 'number' && r.visit >= 2 && r.visit <= 6)
    .map((r) => {
      const b = baseline.get(String(r.patient));
      const pct = typeof r.bdi === 'number' && typeof b === 'number' ? (100 * (r.bdi - b)) / b : null;
      return { ...r, time: r.visit, pct_change: pct };
    });
}

export const ketamineSpec = baseSpec({
  name: 'ketamine',
  response: 'pct_change',
  subject: 'patient',
  classes: ['time'],
  fixed: [['time'], ['age'], ['time', 'age']],
  repeated: { effect: 'time', type: 'UN' },
  ddfm: 'between-within',
});

export const orthodontSpec = baseSpec({
  name: 'orthodont-un',
  response: 'distance',
  subject: 'Subject',
  classes: ['Sex', 'age_f'],
  fixed: [['Sex'], ['age'], ['Sex', 'age']],
  repeated: { effect: 'age_f', type: 'UN' },
  ddfm: 'residual',
});

export const pothoffSpec = baseSpec({
  name: 'pothoff-roy',
  response: 'y',
  subject: 'Person',
  classes: ['Person', 'Gender'],
  fixed: [['Gender'], ['Age'], ['Gender', 'Age']],
  repeated: { type: 'UN' },
  method: 'ML',
  ddfm: 'between-within',
});

export const splitPlotSpec = baseSpec({
  name: 'split-plot',
  response: 'Y',
  classes: ['A', 'B', 'Block'],
  fixed: [['A'], ['B'], ['A', 'B']],
  random: [
    { terms: [['Block']], type: 'VC' },
    { terms: [['A', 'Block']], type: 'VC' },
  ],
  ddfm: 'containment',
});

export function designFor(id: 'ketamine-synthetic' | 'orthodont-un' | 'pothoff-roy-un-ml' | 'split-plot'): Design {
  switch (id) {
    case 'ketamine-synthetic':
      return buildDesign(ketamineRows(), ketamineSpec);
    case 'orthodont-un':
      return buildDesign(rows('r-orthodont-un', 'data.csv'), orthodontSpec);
    case 'pothoff-roy-un-ml':
      return buildDesign(rows('sas-pothoff-roy-un-ml', 'data.csv'), pothoffSpec);
    case 'split-plot':
      return buildDesign(rows('sas-split-plot', 'data.csv'), splitPlotSpec);
  }
}

const fits = JSON.parse(readFileSync(new URL('./fixtures/inference-fits.json', import.meta.url), 'utf8')).fits as Record<
  string,
  { labels: string[]; beta: number[]; covBeta: number[][] }
>;

/** The reference fit of a case, its columns arranged as the design's (matched by label). */
export function referenceFit(id: string, design: Design): FixedEffectsFit {
  const f = fits[id]!;
  const index = design.columns.map((c) => {
    const k = f.labels.indexOf(c.label);
    if (k < 0) throw new Error(`fixture ${id} has no column '${c.label}' (has ${f.labels.join(', ')})`);
    return k;
  });
  expect(index.length).toBe(f.labels.length);
  const beta = Float64Array.from(index.map((k) => f.beta[k]!));
  const covBeta = new Matrix(index.map((a) => index.map((b) => f.covBeta[a]![b]!)));
  return { beta, covBeta };
}

/** |a − e| <= abs + rel·|e|, returning the relative error for the report. */
export function close(actual: number | null | undefined, expected: number, tol: { rel?: number; abs?: number }, what: string): number {
  expect(actual, what).toBeTypeOf('number');
  const a = actual as number;
  const err = Math.abs(a - expected);
  const allowed = (tol.abs ?? 0) + (tol.rel ?? 0) * Math.abs(expected);
  expect(err, `${what}: ${a} vs ${expected} (allowed ${allowed})`).toBeLessThanOrEqual(allowed);
  return expected === 0 ? err : err / Math.abs(expected);
}

/** Tolerance for a value SAS printed as `printed` (half a unit in its last decimal). */
export function printedTolerance(printed: string): { abs: number } {
  const dec = printed.includes('.') ? printed.split('.')[1]!.length : 0;
  return { abs: 0.5 * 10 ** -dec * (1 + 1e-9) };
}
