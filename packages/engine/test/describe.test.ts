/**
 * The descriptive statistics of `describe` blocks (src/describe.ts): the statistics themselves (SAS's
 * percentile definition 5 = R quantile type 2), what one value is (per subject, per subject and visit,
 * per row), the `by` columns, the Fig. 1A figure drawn from the table, the model's Fig. 1 computed the same
 * way, and the tables of the text and Markdown reports. The numbers are checked against R in
 * test/conformance/r-ketamine-table1 and r-fev-table1.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDelimited, readDataFile } from '../src/data.js';
import { describeRows, numericSummary, sasQuantile } from '../src/describe.js';
import { describeFigures } from '../src/figures.js';
import { runPlanOnData } from '../src/run-study.js';
import type { PlannedDescribe, StudyPlan } from '../src/plan.js';
import { markdownReport } from '../src/report/markdown-report.js';
import { reportTables } from '../src/report/tables.js';
import { textReport } from '../src/report/text-report.js';
import type { ObservedMeansFigure } from '../src/figure-types.js';

const ketamine = readDataFile(fileURLToPath(new URL('../../../examples/ketamine/ketamine.csv', import.meta.url)));
const block = (b: Partial<PlannedDescribe>): PlannedDescribe => ({ name: 'd', filters: [], variables: [], by: [], ...b });
const plan = (describes: PlannedDescribe[], extra: Partial<StudyPlan> = {}): StudyPlan => ({ dataPath: 'ketamine.csv', subject: 'patient', derived: [], filters: [], models: [], analyses: [], describes, ...extra });

describe('the statistics', () => {
  it("quartiles by SAS's definition 5 (R quantile type 2): an order statistic, or the mean of two when n·p is whole", () => {
    // R: quantile(1:8, c(.25, .5, .75), type = 2) = 2.5 4.5 6.5; quantile(1:7, ..., type = 2) = 2 4 6
    expect([0.25, 0.5, 0.75].map((p) => sasQuantile([1, 2, 3, 4, 5, 6, 7, 8], p))).toEqual([2.5, 4.5, 6.5]);
    expect([0.25, 0.5, 0.75].map((p) => sasQuantile([1, 2, 3, 4, 5, 6, 7], p))).toEqual([2, 4, 6]);
    // quantile(c(1, 2, 10), type = 2) quartiles: 1 2 10; one value: itself
    expect([0.25, 0.5, 0.75].map((p) => sasQuantile([1, 2, 10], p))).toEqual([1, 2, 10]);
    expect(sasQuantile([5], 0.25)).toBe(5);
    // R type 7 would give 2.75 here: the definitions differ
    expect(sasQuantile([1, 2, 3, 4, 5, 6, 7, 8], 0.25)).not.toBe(2.75);
  });

  it('n, missing, mean, SD (n − 1), SEM, median, quartiles, min and max; no SD for one value', () => {
    const s = numericSummary([4, 1, 3, 2], 2);
    expect(s).toEqual({ n: 4, missing: 2, mean: 2.5, sd: Math.sqrt(5 / 3), sem: Math.sqrt(5 / 3) / 2, median: 2.5, q1: 1.5, q3: 3.5, min: 1, max: 4 });
    expect(numericSummary([7])).toMatchObject({ n: 1, mean: 7, sd: null, sem: null, median: 7 });
    expect(numericSummary([], 3)).toMatchObject({ n: 0, missing: 3, mean: null, min: null });
  });
});

describe('describe blocks on the ketamine cohort', () => {
  it('Table 1: one value per patient; a variable at a visit; text and factor variables as n (%) of the non-missing', () => {
    const t = describeRows(ketamine.rows, 'patient', block({
      name: 'cohort',
      variables: [{ variable: 'age' }, { variable: 'sex' }, { variable: 'ptsd', categorical: true }, { variable: 'bdi', at: { column: 'visit', level: 6 } }],
    }));
    expect(t.per).toEqual(['patient']);
    expect(t.groups).toEqual([{ label: 'Overall', N: 49 }]);
    expect(t.rows.map((r) => [r.label, r.kind, r.n, r.missing])).toEqual([
      ['age', 'numeric', 49, 0],
      ['sex', 'categorical', 49, 0],
      ['ptsd', 'categorical', 49, 0],
      ['bdi at visit 6', 'numeric', 48, 1],
    ]);
    expect(t.rows[1]!.levels).toEqual([
      { level: 'F', n: 12, percent: (100 * 12) / 49 },
      { level: 'M', n: 37, percent: (100 * 37) / 49 },
    ]);
    expect(t.rows[2]!.levels!.map((l) => l.level)).toEqual(['0', '1']);
    expect(t.rows[3]).toMatchObject({ variable: 'bdi', at: { column: 'visit', level: '6' }, min: 0, max: 50 });
  });

  it('by sex: an overall column, then one per level (constant within patient: still one value per patient)', () => {
    const t = describeRows(ketamine.rows, 'patient', block({ variables: [{ variable: 'age' }], by: ['sex'] }));
    expect(t.per).toEqual(['patient']);
    expect(t.groups).toEqual([
      { label: 'Overall', N: 49 },
      { label: 'sex F', by: { sex: 'F' }, N: 12 },
      { label: 'sex M', by: { sex: 'M' }, N: 37 },
    ]);
    expect(t.rows.map((r) => [r.group, r.n])).toEqual([['Overall', 49], ['sex F', 12], ['sex M', 37]]);
  });

  it('by visit (varies within patient): one value per patient and visit, and the Fig. 1A figure is the table', () => {
    const t = describeRows(ketamine.rows, 'patient', block({ name: 'course', variables: [{ variable: 'bdi' }], by: ['visit'] }));
    expect(t.per).toEqual(['patient', 'visit']);
    expect(t.groups.map((g) => [g.label, g.N])).toEqual([['Overall', 343], ...[1, 2, 3, 4, 5, 6, 7].map((v) => [`visit ${v}`, 49])]);
    const [fig] = describeFigures(t);
    expect(fig).toMatchObject({ kind: 'observed-means', describe: 'course', outcome: 'bdi', factor: 'visit' });
    expect(fig!.points).toEqual(t.rows.filter((r) => r.by).map((r) => ({ level: r.by!.visit, mean: r.mean, sem: r.sem, n: r.n })));
    expect(fig!.points.at(-1)!.n).toBe(36);
    // by sex: no figure (not a within-subject column)
    expect(describeFigures(describeRows(ketamine.rows, 'patient', block({ variables: [{ variable: 'age' }], by: ['sex'] })))).toEqual([]);
  });

  it('crossed by columns in SAS order, the first slowest; a unit without a group is in the overall column only', () => {
    const rows = ketamine.rows.map((r, i) => (i < 7 ? { ...r, sex: null } : r));
    const t = describeRows(rows, 'patient', block({ variables: [{ variable: 'age' }], by: ['sex', 'dose_adjusted'] }));
    expect(t.groups.map((g) => g.label)).toEqual(['Overall', 'sex F, dose_adjusted 0', 'sex F, dose_adjusted 1', 'sex M, dose_adjusted 0', 'sex M, dose_adjusted 1']);
    expect(t.groups[0]!.N).toBe(49);
    expect(t.groups.slice(1).reduce((a, g) => a + g.N, 0)).toBe(48);
    expect(t.notes).toEqual([{ severity: 'info', message: '1 patient has no sex or dose_adjusted: counted in the Overall column only' }]);
  });

  it('levels in SAS order (numbers by value), zero counts kept in every column', () => {
    const data = parseDelimited('id,g,y\nA,1,10\nB,1,2\nC,2,10\nD,2,9\n');
    const t = describeRows(data.rows, 'id', block({ variables: [{ variable: 'y', categorical: true }], by: ['g'] }));
    expect(t.rows[0]!.levels!.map((l) => l.level)).toEqual(['2', '9', '10']);
    expect(t.rows[1]!.levels).toEqual([
      { level: '2', n: 1, percent: 50 },
      { level: '9', n: 0, percent: 0 },
      { level: '10', n: 1, percent: 50 },
    ]);
  });

  it('without a subject: one value per row', () => {
    const data = parseDelimited('y\n1\n2\n\n4\n');
    const t = describeRows(data.rows, undefined, block({ variables: [{ variable: 'y' }] }));
    expect(t.per).toEqual([]);
    expect(t.rows[0]).toMatchObject({ n: 3, missing: 0, mean: 7 / 3 });
    expect(() => describeRows(data.rows, undefined, block({ variables: [{ variable: 'y', at: { column: 'y', level: 1 } }] }))).toThrow('needs a subject');
  });

  it('a variable that varies within a patient is refused (the validator reports it on its word)', () => {
    expect(() => describeRows(ketamine.rows, 'patient', block({ variables: [{ variable: 'bdi' }] }))).toThrow('bdi varies within patient P001 (29, 22)');
    expect(() => describeRows(ketamine.rows, 'patient', block({ variables: [{ variable: 'bdi', at: { column: 'visit', level: 1 } }], by: ['visit'] }))).toThrow(
      'visit varies within patient: bdi at visit 1 is one value per patient',
    );
  });
});

describe('in a run and in the reports', () => {
  const run = runPlanOnData(
    plan([
      block({ name: 'cohort', variables: [{ variable: 'age' }, { variable: 'sex' }, { variable: 'bmi' }, { variable: 'pct_change', at: { column: 'visit', level: 6 } }] }),
      block({ name: 'course', variables: [{ variable: 'pct_change' }], by: ['visit'], filters: [{ mode: 'where', expr: { kind: 'in', column: 'visit', values: [2, 3, 4, 5, 6] } }] }),
    ], {
      derived: [{ kind: 'percent-change', name: 'pct_change', variable: 'bdi', by: 'visit', baseline: 1 }],
      models: [{
        spec: {
          name: 'trajectory', response: 'pct_change', subject: 'patient', classes: ['visit'], fixed: [['visit'], ['age'], ['visit', 'age']], intercept: true,
          repeated: { effect: 'visit', type: 'CS' }, random: [], method: 'REML', ddfm: 'between-within', estimates: [], lsmeans: [],
        },
        filters: [{ mode: 'where', expr: { kind: 'in', column: 'visit', values: [2, 3, 4, 5, 6] } }],
        repeatedLevels: [2, 3, 4, 5, 6],
      }],
    }),
    ketamine,
  );

  it("the model's Fig. 1 and the describe block's Fig. 1A of the same variable and rows have the same numbers", () => {
    expect(run.failures).toEqual([]);
    const means = (run.report.figures ?? []).filter((f): f is ObservedMeansFigure => f.kind === 'observed-means');
    const model = means.find((f) => f.model === 'trajectory')!;
    const table = means.find((f) => f.describe === 'course')!;
    expect(model.model).toBe('trajectory');
    expect(table.points).toEqual(model.points);
  });

  it('the descriptive tables come first: in reportTables, the text report and the Markdown', () => {
    const tables = reportTables(run.report);
    expect(tables.slice(0, 2).map((t) => [t.id, t.title, t.describe])).toEqual([
      ['describe/cohort', 'Descriptive Statistics cohort (one value per patient)', 'cohort'],
      ['describe/course', 'Descriptive Statistics course (one value per patient and visit)', 'course'],
    ]);
    const cohort = tables[0]!;
    expect(cohort.columns.map((c) => c.header)).toEqual(['Variable', 'Statistic', 'Overall (N = 49)']);
    // age in whole years: statistics to 1 decimal, min and max as the data; bmi to 0.1: 2 decimals
    expect(cohort.rows.slice(0, 8)).toEqual([
      ['age', 'n (missing)', '49 (0)'],
      ['', 'mean ± SD', '51.1 ± 14.1'],
      ['', 'SEM', '2.0'],
      ['', 'median [Q1, Q3]', '52.0 [44.0, 58.0]'],
      ['', 'min, max', '24, 77'],
      ['sex', 'n (missing)', '49 (0)'],
      ['', 'F', '12 (24.5%)'],
      ['', 'M', '37 (75.5%)'],
    ]);
    expect(cohort.rows.find((r) => r[1] === 'mean ± SD' && cohort.rows[cohort.rows.indexOf(r) - 1]![0] === 'bmi')![2]).toBe('29.37 ± 5.34');
    // a derived percent change: 4 decimals, as estimates
    const pct = cohort.rows.findIndex((r) => r[0] === 'pct_change at visit 6');
    expect(cohort.rows[pct + 1]![2]).toMatch(/^-\d+\.\d{4} ± \d+\.\d{4}$/);
    const text = textReport(run.report);
    expect(text.indexOf('Descriptive Statistics cohort')).toBeLessThan(text.indexOf('Model trajectory'));
    const md = markdownReport(run.report);
    expect(md).toContain('## Descriptive statistics\n\n### Descriptive Statistics cohort (one value per patient)\n\n| Variable | Statistic | Overall (N = 49) |');
    expect(md.indexOf('## Descriptive statistics')).toBeLessThan(md.indexOf('## Model trajectory'));
  });

  it('a block that cannot be computed is a failure of its own; the rest runs', () => {
    const r = runPlanOnData(plan([block({ name: 'bad', variables: [{ variable: 'bdi' }] }), block({ name: 'good', variables: [{ variable: 'age' }] })]), ketamine);
    expect(r.failures).toEqual([{ kind: 'describe', name: 'bad', message: 'bdi varies within patient P001 (29, 22)' }]);
    expect(r.report.descriptives!.map((d) => d.name)).toEqual(['good']);
  });
});
