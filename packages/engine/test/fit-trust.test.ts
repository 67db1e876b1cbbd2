/**
 * Trust under hard fits: what the engine does when the data cannot carry the model (issue 9). Each
 * case provokes one defect and checks what the user gets: SAS's boundary handling, no inference from
 * a fit that did not converge, a refusal with the cause where a fit cannot be done, aliased covariates
 * named, the fallback chain of an analysis plan, and no non-finite number in a report.
 */
import { describe, expect, it } from 'vitest';
import { buildDesign, DesignError } from '../src/design.js';
import { fitModel } from '../src/fit/index.js';
import { finiteOrNull, runModel } from '../src/run-study.js';
import type { ModelSpec, Value } from '../src/model-spec.js';
import type { ModelReport } from '../src/results.js';
import { loadCase } from './fit-helpers.js';

type Row = Record<string, Value>;
const base = { intercept: true, estimates: [], lsmeans: [], random: [], method: 'REML' as const };

/** BodyWeight (16 rats x 11 weighings) with Time copied to a covariate `days` */
function bodyWeight(): Row[] {
  return loadCase('r-bodyweight-boundary').rows.map((r) => ({ ...r, days: r.Time }));
}

const bodyWeightSpec: ModelSpec = {
  ...base,
  name: 'bw',
  response: 'weight',
  subject: 'Rat',
  classes: ['Time', 'Diet'],
  classReference: { Diet: '1' },
  fixed: [['days'], ['Diet'], ['days', 'Diet']],
  repeated: { effect: 'Time', type: 'AR1' },
  random: [{ terms: [[]], subject: 'Rat(Diet)', type: 'VC' }],
  ddfm: 'containment',
};

/** a small repeated-measures data set: `subjects` subjects x `visits` visits */
function simulated(subjects: number, visits: number, seed = 1): Row[] {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  const rows: Row[] = [];
  for (let i = 0; i < subjects; i++) {
    const u = rand() * 4;
    for (let v = 1; v <= visits; v++) rows.push({ id: `S${i + 1}`, visit: v, arm: i % 2 ? 'A' : 'B', age: 40 + (i % 7), y: 10 + v + u + rand() * 2 });
  }
  return rows;
}

describe('a variance whose Newton step points below 0 stays at 0 (BodyWeight: random intercept + AR(1))', () => {
  const rows = bodyWeight();
  const design = buildDesign(rows, bodyWeightSpec);
  const fit = fitModel(design, bodyWeightSpec);

  it('converges at the boundary without zero-length steps', () => {
    expect(fit.converged).toBe(true);
    expect(fit.iterations.length).toBeLessThan(15);
    // the old optimizer repeated one -2LL for 46 iterations: freed the variance, stepped back to 0
    for (let i = 2; i < fit.iterations.length; i++) expect(fit.iterations[i]!.minus2ll).toBeLessThan(fit.iterations[i - 1]!.minus2ll);
    expect(fit.covParms[0]!.estimate).toBe(0);
    expect(fit.atBound[0]).toBe(true);
  });

  it("gives SAS's notes and leaves the boundary parameter out of the information criteria", () => {
    expect(fit.notes.map((n) => n.message).join('\n')).toMatch(/Estimated G matrix is not positive definite.*Intercept is on the boundary \(0\).*not counted in the information criteria/);
    expect(fit.qEffective).toBe(2);
    expect(fit.aic - fit.minus2ll).toBeCloseTo(4, 10);
  });

  it('a subject nested as SAS writes it, Rat(Diet), contains Diet: containment df 16 - 3 = 13', () => {
    const report = runModel(rows, { spec: bodyWeightSpec, filters: [] });
    expect(report.covparms[0]!.subject).toBe('Rat(Diet)');
    expect(report.type3.find((t) => t.effect === 'Diet')!.dendf).toBe(13);
    expect(report.type3.find((t) => t.effect === 'days')!.dendf).toBe(176 - 16 - 3);
  });
});

describe('a fit that did not converge shows no inference', () => {
  const rows = simulated(20, 4);
  const spec: ModelSpec = { ...base, name: 'un', response: 'y', subject: 'id', classes: ['visit', 'arm'], fixed: [['visit'], ['arm']], repeated: { effect: 'visit', type: 'UN' }, ddfm: 'between-within', lsmeans: [{ effect: 'arm', pairwise: true, adjust: 'none' }] };
  const report = runModel(rows, { spec, filters: [] }, rows.length, undefined, { maxIterations: 1, polishSteps: 0 });

  it('converged false, the iteration history, no SEs, tests, LS-means or estimates', () => {
    expect(report.converged).toBe(false);
    expect(report.iterations.length).toBe(2);
    expect(report.fixed).toEqual([]);
    expect(report.type3).toEqual([]);
    expect(report.lsmeans).toEqual([]);
    expect(report.diffs).toEqual([]);
    expect(report.covparms.every((c) => c.se === null && c.lower === null)).toBe(true);
  });

  it("an error note with SAS's warning and the reason", () => {
    const error = report.notes.find((n) => n.severity === 'error');
    expect(error?.message).toMatch(/^WARNING: Did not converge \(did not converge in 1 iterations\).*No standard errors, tests, LS-means or estimates are reported/);
  });
});

describe('a fit that cannot be done is refused with the cause', () => {
  it('UN over 6 visits with 5 subjects', () => {
    const rows = simulated(5, 6);
    const spec: ModelSpec = { ...base, name: 'few', response: 'y', subject: 'id', classes: ['visit'], fixed: [], repeated: { effect: 'visit', type: 'UN' }, ddfm: 'residual' };
    expect(() => fitModel(buildDesign(rows, spec), spec)).toThrow(DesignError);
    expect(() => fitModel(buildDesign(rows, spec), spec)).toThrow(/UN over 6 positions has 21 covariance parameters, and 5 subjects cannot identify them \(its estimate would be singular whatever the data\): it needs more than 6 subjects with data/);
  });

  it('more covariance parameters than residual degrees of freedom (a 21-parameter UN on 3 subjects)', () => {
    const rows = simulated(3, 6);
    const spec: ModelSpec = { ...base, name: 'q', response: 'y', subject: 'id', classes: ['visit'], fixed: [['visit']], repeated: { effect: 'visit', type: 'UN' }, ddfm: 'residual' };
    expect(() => fitModel(buildDesign(rows, spec), spec)).toThrow(
      'the model has 21 covariance parameters but only 12 residual degrees of freedom (observations minus fixed-effect parameters): they cannot all be estimated',
    );
  });

  it('a constant outcome', () => {
    const rows = simulated(10, 3).map((r) => ({ ...r, y: 7 }));
    const spec: ModelSpec = { ...base, name: 'c', response: 'y', subject: 'id', classes: ['visit'], fixed: [['visit']], repeated: { effect: 'visit', type: 'CS' }, ddfm: 'residual' };
    expect(() => fitModel(buildDesign(rows, spec), spec)).toThrow(/the fixed effects fit y exactly \(y is constant within the cells of the fixed effects\)/);
  });

  it('an outcome whose variance is not representable (y x 1e200)', () => {
    const rows = simulated(10, 3).map((r) => ({ ...r, y: (r.y as number) * 1e200 }));
    const spec: ModelSpec = { ...base, name: 'big', response: 'y', subject: 'id', classes: ['visit'], fixed: [['visit']], repeated: { effect: 'visit', type: 'CS' }, ddfm: 'residual' };
    expect(() => fitModel(buildDesign(rows, spec), spec)).toThrow(/y varies on a scale of .*e\+200: its variance .* is not representable in double precision; rescale y/);
  });
});

describe('collinear and constant covariates are aliased and named', () => {
  const rows = simulated(30, 3).map((r) => ({ ...r, age2: 2 * (r.age as number) + 3, one: 5 }));
  const spec: ModelSpec = { ...base, name: 'col', response: 'y', subject: 'id', classes: ['visit'], fixed: [['visit'], ['age'], ['age2'], ['one']], repeated: { effect: 'visit', type: 'CS' }, ddfm: 'residual' };
  const report = runModel(rows, { spec, filters: [] });

  it('Solution 0 with no SE, and a note with the dependency', () => {
    const age2 = report.fixed.find((f) => f.term === 'age2')!;
    expect(age2).toMatchObject({ estimate: 0, se: null, aliased: true });
    expect(report.fixed.find((f) => f.term === 'one')).toMatchObject({ estimate: 0, se: null, aliased: true });
    const messages = report.notes.map((n) => n.message);
    expect(messages).toContain('age2 is aliased: on the rows the model uses age2 = 3 Intercept + 2 age, so its coefficient is set to 0 (no standard error), as SAS does; Columns in X 7, rank 4');
    expect(messages).toContain('one is aliased: on the rows the model uses one = 5 Intercept, so its coefficient is set to 0 (no standard error), as SAS does; Columns in X 7, rank 4');
  });

  it('Type 3: 0 numerator df and no test for the confounded effects, as SAS prints it', () => {
    for (const effect of ['age', 'age2', 'one']) expect(report.type3.find((t) => t.effect === effect)).toEqual({ effect, numdf: 0, dendf: null, F: null, p: null });
    expect(report.type3.find((t) => t.effect === 'visit')!.numdf).toBe(2);
  });
});

describe('the fallback chain of an analysis plan: the first structure that converges', () => {
  it('UN is refused with 4 subjects over 4 visits, CS is used, and the report says why', () => {
    const rows = simulated(4, 4);
    const spec: ModelSpec = { ...base, name: 'fb', response: 'y', subject: 'id', classes: ['visit'], fixed: [['visit']], repeated: { effect: 'visit', type: 'UN', fallback: ['CS'] }, ddfm: 'residual' };
    const report = runModel(rows, { spec, filters: [] });
    expect(report.converged).toBe(true);
    expect(report.info.covarianceStructure).toBe('CS');
    expect(report.fallbacks).toEqual([
      { structure: 'UN', converged: false, used: false, reason: expect.stringMatching(/UN over 4 positions has 10 covariance parameters, and 4 subjects cannot identify them/) },
      { structure: 'CS', converged: true, used: true },
    ]);
    expect(report.notes.some((n) => /covariance fallback: UN abandoned \(UN over 4 positions.*\); CS used/.test(n.message))).toBe(true);
  });
});

describe('no NaN or infinity reaches the user', () => {
  it('a number that could not be computed becomes null, and the report says which', () => {
    const report = { name: 'm', minus2ll: 1, aic: NaN, covparms: [{ name: 'CS', estimate: 1, se: Infinity }], notes: [] } as unknown as ModelReport;
    const clean = finiteOrNull(report);
    expect(clean.aic).toBeNull();
    expect(clean.covparms[0]!.se).toBeNull();
    expect(clean.notes).toEqual([{ severity: 'warning', message: '2 values could not be computed and are shown as missing: aic, covparms[0].se' }]);
  });

  it('names the place of each bad number, nested in arrays and objects, and copies the rest as it was', () => {
    const report = {
      name: 'm',
      minus2ll: -Infinity,
      lsmeans: [[{ level: '1', estimate: 2 }], [{ level: '2', estimate: NaN, p: 0.5 }]],
      info: { df: { '4': Infinity }, label: 'x' },
      flag: true,
      missing: null,
      notes: [],
    } as unknown as ModelReport;
    const clean = finiteOrNull(report) as unknown as Record<string, unknown>;
    expect(clean).toEqual({
      name: 'm',
      minus2ll: null,
      lsmeans: [[{ level: '1', estimate: 2 }], [{ level: '2', estimate: null, p: 0.5 }]],
      info: { df: { '4': null }, label: 'x' },
      flag: true,
      missing: null,
      notes: [{ severity: 'warning', message: '3 values could not be computed and are shown as missing: minus2ll, lsmeans[1][0].estimate, info.df.4' }],
    });
    expect((report as unknown as { notes: unknown[] }).notes, 'the input is not changed').toEqual([]);
  });
});
