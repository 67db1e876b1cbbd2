/**
 * The founding analysis (synthetic ketamine cohort): % change in BDI-II from infusion #1 at visits
 * 2..6, time age time*age, REPEATED time / SUBJECT=patient, REML, covariance selected among CS,
 * AR(1), UN by BIC. Expected numbers: test/conformance/ketamine-synthetic/expected.json.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../src/data.js';
import { buildDesign } from '../src/design.js';
import { fitModel, selectCovariance, structureLabel } from '../src/fit/index.js';
import type { ModelSpec, Value } from '../src/model-spec.js';
import { conformanceDir, expectClose, reportWorstErrors } from './fit-helpers.js';

const dir = conformanceDir('ketamine-synthetic');
const expected = JSON.parse(readFileSync(dir + 'expected.json', 'utf8'));
const tol = expected.tolerance as { rel: number; abs: number; covparms_se: { rel: number }; minus2ll_abs: number };

/** README: pct_change = 100 (bdi - bdi at visit 1) / bdi at visit 1, rows visit 2..6 with a value. */
function analysisRows(): Record<string, Value>[] {
  const rows = readDataFile(dir + 'ketamine.csv').rows;
  const baseline = new Map<Value, number>();
  for (const r of rows) if (r.visit === 1 && typeof r.bdi === 'number') baseline.set(r.patient, r.bdi);
  const out: Record<string, Value>[] = [];
  for (const r of rows) {
    const v = r.visit as number;
    const b = baseline.get(r.patient);
    if (v < 2 || v > 6 || b === undefined || b === 0 || typeof r.bdi !== 'number') continue;
    out.push({ ...r, time: v, pct_change: (100 * (r.bdi - b)) / b });
  }
  return out;
}

// The term is written age*time so that SAS's label "age*time 2" comes out (see expected.json fixed[]).
const spec: ModelSpec = {
  name: 'ketamine',
  response: 'pct_change',
  subject: 'patient',
  classes: ['time'],
  fixed: [['time'], ['age'], ['age', 'time']],
  intercept: true,
  repeated: { effect: 'time', type: 'UN', candidates: ['CS', 'AR1', 'UN'], criterion: 'BIC' },
  random: [],
  method: 'REML',
  ddfm: 'between-within',
  estimates: [],
  lsmeans: [],
};

describe('ketamine-synthetic', () => {
  afterAll(() => reportWorstErrors('ketamine-synthetic'));
  const design = buildDesign(analysisRows(), spec);

  it('has the dimensions of the reference', () => {
    const dims = expected.expected.dimensions;
    expect(design.n).toBe(dims.observations_used);
    expect(design.rankX).toBe(dims.rank_x);
    expect(design.subjects.length).toBe(dims.subjects);
    expect(design.columns.filter((c) => c.aliased).map((c) => c.label)).toEqual(['time 6', 'age*time 6']);
  });

  const selection = selectCovariance(design, spec, ['CS', 'AR1', 'UN'], 'BIC');

  it('reproduces the CS / AR(1) / UN selection table and chooses UN', () => {
    for (const ref of expected.expected.model_selection) {
      const row = selection.table.find((r) => r.structure === ref.structure);
      expect(row, ref.structure).toBeDefined();
      expect(row!.q).toBe(ref.q);
      expect(row!.converged).toBe(true);
      for (const k of ['minus2ll', 'aic', 'aicc', 'bic'] as const) {
        expectClose(row![k], ref[k], { abs: tol.minus2ll_abs }, `${ref.structure} ${k}`);
      }
    }
    expect(structureLabel(selection.chosen.structure)).toBe(expected.expected.chosen_structure);
  });

  it('UN covariance parameters and their standard errors', () => {
    const fit = selection.chosen;
    expect(fit.covParms.map((c) => c.name)).toEqual(expected.expected.covparms.map((c: { name: string }) => c.name));
    expected.expected.covparms.forEach((ref: { name: string; estimate: number; se: number }, k: number) => {
      expectClose(fit.covParms[k].estimate, ref.estimate, tol, `${ref.name} estimate`);
      expectClose(fit.covParms[k].se, ref.se, tol.covparms_se, `${ref.name} se`);
    });
  });

  it('fixed-effect estimates and standard errors, with SAS labels', () => {
    const fit = selection.chosen;
    for (const ref of expected.expected.fixed) {
      const j = design.columns.findIndex((c) => c.label === ref.term);
      expect(j, ref.term).toBeGreaterThanOrEqual(0);
      expectClose(fit.beta[j], ref.estimate, tol, `${ref.term} estimate`);
      expectClose(Math.sqrt(fit.covBeta.get(j, j)), ref.se, tol, `${ref.term} se`);
    }
  });

  it('uses the covariate mean over the rows used', () => {
    const mean = design.covariateMeans.get('age') as number;
    expectClose(mean, 51.11885246, { abs: 1e-8 }, 'mean age');
  });

  it('fits a single structure directly', () => {
    const cs = fitModel(design, spec, 'CS');
    expect(cs.covParms.map((c) => c.name)).toEqual(['CS', 'Residual']);
    expect(cs.converged).toBe(true);
  });
});
