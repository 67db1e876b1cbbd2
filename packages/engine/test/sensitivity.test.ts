/**
 * The sensitivity summary (src/sensitivity.ts): a model and its `sensitivity` variants side by side — the
 * Type 3 tests, the estimates and the differences, with the rows whose significance changes marked —
 * as the first tables of the report and a forest plot, on the ketamine data (the plan the example's
 * `sensitivity` blocks build, written out: the engine does not depend on the language package).
 */
import { describe, expect, it } from 'vitest';
import { runPlanOnData } from '../src/run-study.js';
import type { ModelSpec } from '../src/model-spec.js';
import type { PlannedModel, StudyPlan } from '../src/plan.js';
import type { ForestFigure } from '../src/figure-types.js';
import { reportTables, tableText } from '../src/report/tables.js';
import { textReport } from '../src/report/text-report.js';
import { markdownReport } from '../src/report/markdown-report.js';
import { renderFigureSvg } from '../src/report/figures-svg.js';
import { svgDocument } from '../src/report/svg-document.js';
import { sensitivitySummaries } from '../src/sensitivity.js';
import { ketamineData, ketaminePlan, trajectoryModel, trajectorySpec, visitsWhere } from './ketamine-plan.js';

const data = ketamineData();
const visits = visitsWhere();
const spec: ModelSpec = { ...trajectorySpec, repeated: { effect: 'visit', type: 'UN' } };
const base: PlannedModel = trajectoryModel(spec);
const plan: StudyPlan = ketaminePlan(
  [
    base,
    {
      spec: { ...spec, name: 'bmi_adjusted', fixed: [...spec.fixed, ['bmi']] },
      filters: [visits],
      repeatedLevels: [2, 3, 4, 5, 6],
      sensitivity: { of: 'trajectory', description: 'add covariate bmi; fixed visit * age + bmi' },
    },
    {
      spec: { ...spec, name: 'full_dose' },
      filters: [{ mode: 'exclude', expr: { kind: 'compare', column: 'dose_adjusted', op: '==', value: 1 } }, visits],
      repeatedLevels: [2, 3, 4, 5, 6],
      sensitivity: { of: 'trajectory', description: 'exclude dose_adjusted == 1' },
    },
  ],
  [],
);
const { report } = runPlanOnData(plan, data);

describe('sensitivity summary', () => {
  it('puts each headline result of the model and its variants side by side', () => {
    expect(report.models.map((m) => [m.name, m.sensitivity?.of])).toEqual([['trajectory', undefined], ['bmi_adjusted', 'trajectory'], ['full_dose', 'trajectory']]);
    const [s] = report.sensitivity!;
    expect(s.base).toBe('trajectory');
    expect(s.models.map((m) => m.name)).toEqual(['trajectory', 'bmi_adjusted', 'full_dose']);
    expect(s.models[2]!.description).toBe('exclude dose_adjusted == 1');
    // Type 3 tests, then the estimates, then the differences, in the base model's order
    expect(s.rows.map((r) => r.kind)).toEqual([...Array(3).fill('type3'), ...Array(5).fill('estimate'), ...Array(10).fill('diff')]);
    expect(s.rows[0]!.label).toBe('visit');
    expect(s.rows[3]!.label).toBe('age slope at visit 2');
    expect(s.rows[8]!.label).toBe('visit 2 - 3');
    // every cell is the model's own number
    report.models.forEach((m, i) => {
      const t = m.type3.find((x) => x.effect === 'visit*age')!;
      expect(s.rows[2]!.cells[i]).toMatchObject({ model: m.name, estimate: t.F, df: t.dendf, p: t.p, numdf: t.numdf });
      const e = m.estimates[1]!;
      expect(s.rows[4]!.cells[i]).toMatchObject({ estimate: e.estimate, se: e.se, df: e.df, p: e.p, lower: e.lower, upper: e.upper });
      // differences: matched by request, though each variant holds age at its own mean; Tukey's p
      const d = m.diffs[0]!;
      expect(s.rows[8]!.cells[i]).toMatchObject({ estimate: d.estimate, se: d.se, p: d.p_adj, adjusted: true });
    });
  });

  it('marks the rows whose significance at alpha changes, and the variants where it does', () => {
    const [s] = report.sensitivity!;
    for (const r of s.rows) {
      const baseP = r.cells[0]!.p;
      r.cells.forEach((c, i) => expect(Boolean(c.changed), `${r.label} in ${c.model}`).toBe(i > 0 && baseP !== null && c.p !== null && c.p < 0.05 !== baseP < 0.05));
      expect(r.changed).toBe(r.cells.some((c) => c.changed));
    }
    // without the dose-adjusted patients the age main effect is no longer significant (p .0924)
    const age = s.rows.find((r) => r.kind === 'type3' && r.label === 'age')!;
    expect(age.cells[0]!.p).toBeLessThan(0.05);
    expect(age.cells[2]).toMatchObject({ changed: true });
    expect(age.cells[2]!.p).toBeGreaterThan(0.05);
  });

  it('is the first table of the report (text, Markdown, the panel), the variants first', () => {
    const tables = reportTables(report);
    expect(tables.slice(0, 2).map((t) => t.id)).toEqual(['sensitivity/trajectory/variants', 'sensitivity/trajectory']);
    expect(tables[0]!.rows).toEqual([
      ['1', 'trajectory', '(the model as specified)'],
      ['2', 'bmi_adjusted', 'add covariate bmi; fixed visit * age + bmi'],
      ['3', 'full_dose', 'exclude dose_adjusted == 1'],
    ]);
    const summary = tables[1]!;
    expect(summary.columns.map((c) => c.header)).toEqual(['Result', 'Statistic', 'Est (1)', 'SE (1)', 'DF (1)', 'Pr (1)', 'Est (2)', 'SE (2)', 'DF (2)', 'Pr (2)', 'Est (3)', 'SE (3)', 'DF (3)', 'Pr (3)', 'Changed']);
    const age = summary.rows.find((r) => r[0] === 'age')!;
    expect(age[1]).toBe('Type 3 F');
    expect(age[13]).toMatch(/^\.\d{4}\*$/); // the changed p-value is starred
    expect(age.at(-1)).toBe('3');
    const text = textReport(report);
    expect(text.indexOf('Sensitivity Analyses of trajectory')).toBeGreaterThan(0);
    expect(text.indexOf('Sensitivity Analyses of trajectory')).toBeLessThan(text.indexOf('Model trajectory'));
    expect(text).toContain(tableText(summary));
    const md = markdownReport(report);
    expect(md.indexOf('## Sensitivity analyses')).toBeLessThan(md.indexOf('## Model trajectory'));
  });

  it('draws the estimates and differences as a forest plot, the first figure', () => {
    const forest = report.figures![0] as ForestFigure;
    expect(forest.kind).toBe('forest');
    expect(forest.models).toEqual(['trajectory', 'bmi_adjusted', 'full_dose']);
    expect(forest.rows.map((r) => r.kind)).toEqual([...Array(5).fill('estimate'), ...Array(10).fill('diff')]);
    const slope = report.models[2]!.estimates[2]!;
    expect(forest.rows[2]!.points[2]).toMatchObject({ model: 'full_dose', estimate: slope.estimate, lower: slope.lower, upper: slope.upper });
    const svg = renderFigureSvg(forest, { document: svgDocument() });
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('Sensitivity analyses of trajectory');
    expect(svg).toContain('age slope at visit 2');
    expect(svg).toContain('· full_dose');
  });

  it('no variants, no summary', () => {
    expect(sensitivitySummaries([report.models[0]!])).toEqual([]);
    const one = runPlanOnData({ ...plan, models: [base] }, data).report;
    expect(one.sensitivity).toBeUndefined();
    expect(reportTables(one).some((t) => t.sensitivity !== undefined)).toBe(false);
  });
});
