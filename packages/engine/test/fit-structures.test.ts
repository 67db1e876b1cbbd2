/**
 * The R-side structures without a documentation case (CSH, ARH(1), TOEP), and UN / AR(1) with missed
 * visits, and a random intercept with AR(1) R-side, against nlme gls / lme fits of the Potthoff-Roy data (test/conformance/r-orthodont-structures,
 * made by its reference.R). Also the structures' SAS parameter names.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { readDataFile } from '../src/data.js';
import { buildDesign } from '../src/design.js';
import { fitModel } from '../src/fit/index.js';
import { residualStructure } from '../src/covariance/index.js';
import type { CovarianceType, ModelSpec } from '../src/model-spec.js';
import { conformanceDir, expectClose, reportWorstErrors } from './fit-helpers.js';

const json = JSON.parse(readFileSync(conformanceDir('r-orthodont-structures') + 'case.json', 'utf8'));
const tol = json.tolerance as { rel: number; abs: number; covparms_se: { rel: number } };
const typeOf: Record<string, CovarianceType> = {
  CSH: 'CSH',
  'ARH(1)': 'ARH1',
  TOEP: 'TOEP',
  UN: 'UN',
  'AR(1)': 'AR1',
  'RANDOM Intercept + AR(1)': 'AR1',
};
const rToSas: Record<string, string> = {
  '(Intercept)': 'Intercept',
  SexFemale: 'Sex Female',
  age: 'age',
  'SexFemale:age': 'age*Sex Female',
};

interface StructureFit {
  structure: string;
  data: string;
  n_obs_used: number;
  minus2ll: number;
  covparms: { name: string; estimate: number; se: number }[];
  fixed: { term: string; estimate: number; se: number }[];
}

describe.each((json.expected.fits as StructureFit[]).map((f) => [f.structure, f.data, f] as const))('%s on %s', (label, file, ref) => {
  afterAll(() => reportWorstErrors(`r-orthodont-structures ${label} ${file}`));
  const rows = readDataFile(conformanceDir('r-orthodont-structures') + file).rows;
  const spec: ModelSpec = {
    name: label,
    response: 'distance',
    subject: 'Subject',
    classes: ['Sex', 'age_f'],
    fixed: [['Sex'], ['age'], ['age', 'Sex']],
    intercept: true,
    repeated: { effect: 'age_f', type: typeOf[label] },
    random: label.startsWith('RANDOM') ? [{ terms: [[]], subject: 'Subject', type: 'VC' }] : [],
    method: 'REML',
    ddfm: 'residual',
    estimates: [],
    lsmeans: [],
  };
  const design = buildDesign(rows, spec);
  const fit = fitModel(design, spec);

  it('converges with the rows of the reference', () => {
    expect(design.n).toBe(ref.n_obs_used);
    expect(fit.converged).toBe(true);
    if (file.includes('missing')) {
      // a subject missing age 10 has positions [0, 2, 3]: the hole stays
      expect(design.subjects.some((s) => s.positions.length < 4 && s.positions.join() !== [0, 1, 2].slice(0, s.positions.length).join())).toBe(true);
    }
  });

  it('-2RLL', () => {
    expectClose(fit.minus2ll, ref.minus2ll, tol, `${label} minus2ll`);
  });

  it('covariance parameters and SEs', () => {
    expect(fit.covParms.map((c) => c.name)).toEqual(ref.covparms.map((c) => c.name));
    ref.covparms.forEach((c, k) => {
      expectClose(fit.covParms[k].estimate, c.estimate, tol, `${label} ${c.name} estimate`);
      expectClose(fit.covParms[k].se, c.se, tol.covparms_se, `${label} ${c.name} se`);
    });
  });

  it('fixed effects', () => {
    const labels = design.columns.map((c) => c.label);
    for (const f of ref.fixed) {
      const j = labels.indexOf(rToSas[f.term]);
      expectClose(fit.beta[j], f.estimate, tol, `${f.term} estimate`);
      expectClose(Math.sqrt(fit.covBeta.get(j, j)), f.se, tol, `${f.term} se`);
    }
  });
});

describe('parameter names in SAS order (SAS-CONVENTIONS.md section 4 and the brief)', () => {
  const names = (t: CovarianceType, dim: number) => residualStructure(t, dim).parameters.map((p) => p.name);
  it('names', () => {
    expect(names('UN', 3)).toEqual(['UN(1,1)', 'UN(2,1)', 'UN(2,2)', 'UN(3,1)', 'UN(3,2)', 'UN(3,3)']);
    expect(names('CS', 4)).toEqual(['CS', 'Residual']);
    expect(names('AR1', 4)).toEqual(['AR(1)', 'Residual']);
    expect(names('TOEP', 3)).toEqual(['TOEP(2)', 'TOEP(3)', 'Residual']);
    expect(names('CSH', 2)).toEqual(['Var(1)', 'Var(2)', 'CSH']);
    expect(names('ARH1', 2)).toEqual(['Var(1)', 'Var(2)', 'ARH(1)']);
    expect(names('VC', 2)).toEqual(['Residual']);
  });

  it('TOEP(q): a banded Toeplitz has lags 0..q-1 and zero beyond (SAS line-source example: TOEP(4) over 12 positions)', () => {
    const toep4 = residualStructure('TOEP', 12, { toeplitzBands: 4 });
    expect(toep4.parameters.map((p) => p.name)).toEqual(['TOEP(2)', 'TOEP(3)', 'TOEP(4)', 'Residual']);
    const theta = [0.1, 0.2, -0.3, 1];
    expect(toep4.entry(theta, 5, 5)).toBe(1);
    expect(toep4.entry(theta, 2, 5)).toBe(-0.3);
    expect(toep4.entry(theta, 1, 5)).toBe(0);
    const touched: number[] = [];
    toep4.entryGradient(theta, 0, 9, (k) => touched.push(k));
    expect(touched).toEqual([]);
    // more bands than positions is the full Toeplitz
    expect(residualStructure('TOEP', 3, { toeplitzBands: 9 }).parameters.map((p) => p.name)).toEqual(['TOEP(2)', 'TOEP(3)', 'Residual']);
  });
});
