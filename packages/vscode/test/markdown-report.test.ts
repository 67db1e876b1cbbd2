import { describe, expect, it } from 'vitest';
import { markdownReport, reportTables, tableCsv, tableMarkdown, tableText, type StudyReport } from '@study/engine';

const report: StudyReport = {
  title: 'T', dataPath: 'd.csv', other: [{ analysis: 'dur', test: 'paired t', statistic: 2.5, df: 40, p: 0.0166, n: 41, estimate: 3.2 }],
  models: [{
    name: 'm', info: { response: 'y', covarianceStructure: 'CS', subjectEffect: 'patient', estimationMethod: 'REML', dfMethod: 'between-within', classLevels: [{ name: 'visit', levels: ['2', '3'] }] },
    dimensions: { covparms: 2, columnsX: 6, rank_x: 4, columnsZ: 0, subjects: 49, maxObsPerSubject: 2, observations_read: 98, observations_used: 98 },
    iterations: [], converged: true, minus2ll: 100, aic: 104, aicc: 104.1, bic: 107,
    covparms: [{ name: 'CS', subject: 'patient', estimate: 1.5, se: 0.5, z: 3, p: 0.0013 }],
    fixed: [{ term: 'Intercept', estimate: -79.262, se: 17.7727, df: 47, t: -4.46, p: 0.00005 }],
    type3: [{ effect: 'visit*age', numdf: 4, dendf: 47, F: 4.8123, p: 0.0025 }],
    lsmeans: [], diffs: [], estimates: [], candidates: [], notes: [],
  }],
};

describe('report tables (results panel, Markdown export)', () => {
  const tables = reportTables(report);
  const type3 = tables.find((t) => t.id === 'm/type3')!;
  it('lists the model tables, then the analyses', () => {
    expect(tables.map((t) => t.title)).toEqual(['Model Information', 'Class Level Information', 'Dimensions', 'Covariance Parameter Estimates',
      'Fit Statistics', 'Solution for Fixed Effects', 'Type 3 Tests of Fixed Effects', 'Analysis dur']);
    expect(type3.rows).toEqual([['visit*age', '4', '47', '4.81', '.0025']]);
  });
  it('copies as SAS listing text, CSV and Markdown', () => {
    expect(tableText(type3)).toBe([
      'Type 3 Tests of Fixed Effects (m)', '',
      'Effect     Num DF  Den DF  F Value  Pr > F',
      '---------  ------  ------  -------  ------',
      'visit*age       4      47     4.81   .0025'].join('\n'));
    expect(tableCsv(type3)).toBe('Effect,Num DF,Den DF,F Value,Pr > F\r\nvisit*age,4,47,4.81,.0025\r\n');
    expect(tableMarkdown(type3)).toContain('| visit\\*age | 4 | 47 | 4.81 | .0025 |');
    expect(tableMarkdown(type3)).toContain('| :--- | ---: | ---: | ---: | ---: |');
  });
  it('writes a Markdown report', () => {
    const md = markdownReport(report);
    expect(md).toMatch(/^# T\n/);
    expect(md).toContain('## Model m');
    expect(md).toContain('### Type 3 Tests of Fixed Effects');
    expect(md).toContain('| Intercept | -79.2620 | 17.7727 | 47 | -4.46 | &lt;.0001 |');
    expect(md).toContain('### Analysis dur');
  });
});
