/**
 * The report as CDISC Analysis Results Data (src/report/ard.ts): one row per statistic, every number of
 * the report's tables, with the analysis / method / operation identifiers, the grouping and the value.
 */
import { describe, expect, it } from 'vitest';
import { runPlanOnData } from '../src/run-study.js';
import { ARD_COLUMNS, ardCsv, ardJson, ardRows } from '../src/report/ard.js';
import { ketamineData, ketaminePlan } from './ketamine-plan.js';

const data = ketamineData();
const plan = ketaminePlan();
const { report } = runPlanOnData(plan, data, { figures: false });
const rows = ardRows(report);
const m = report.models[0]!;
const find = (context: string, variable: string, stat: string, level = '') =>
  rows.filter((r) => r.context === context && r.variable === variable && r.stat_name === stat && r.variable_level === level);

describe('ARD (CDISC Analysis Results Data)', () => {
  it('one row per statistic, in the cards / ARS shape', () => {
    for (const r of rows) expect(Object.keys(r)).toEqual(ARD_COLUMNS);
    // Type 3: num.df, den.df, F, p, chi-square and its p per effect
    expect(rows.filter((r) => r.context === 'type3')).toHaveLength(m.type3.length * 6);
    const [f] = find('type3', 'visit*age', 'statistic');
    expect(f).toMatchObject({
      AnalysisId: 'trajectory:type3',
      MethodId: 'MIXED_REML_TYPE3_BETWITHIN',
      OperationId: 'MIXED_REML_TYPE3_BETWITHIN:statistic',
      model: 'trajectory',
      method: 'PROC MIXED REML, UN, DDFM=BETWITHIN',
      stat_label: 'F Value',
      stat: m.type3.find((t) => t.effect === 'visit*age')!.F,
      stat_fmt: '4.81',
    });
    // a row of the Solution: the effect and its class level
    const [b] = find('solution', 'visit*age', 'estimate', '2');
    expect(b!.stat).toBe(m.fixed.find((x) => x.term === 'visit*age 2')!.estimate);
    // LS-means, differences (Tukey), estimates, covariance parameters, fit statistics, the selection
    expect(find('lsmeans', 'visit', 'estimate', '2')[0]!.stat).toBe(m.lsmeans[0]!.estimate);
    const d = m.diffs[0]!;
    expect(find('diffs', 'visit', 'p.value.adj', `${d.level} - ${d.vs}`)[0]).toMatchObject({ stat: d.p_adj, MethodId: 'MIXED_REML_DIFF_BETWITHIN_TUKEY' });
    expect(find('estimates', 'age slope at visit 4', 'conf.low', m.estimates[2]!.L)[0]!.stat).toBe(m.estimates[2]!.lower);
    expect(find('covparms', 'UN(2,1)', 'estimate')[0]).toMatchObject({ group1: 'Subject', group1_level: 'patient', stat: m.covparms.find((c) => c.name === 'UN(2,1)')!.estimate });
    expect(find('fit', 'pct_change', 'minus2ll')[0]!.stat).toBe(m.minus2ll);
    expect(find('selection', 'UN', 'chosen')[0]!.stat).toBe(true);
    // the analyses
    const paired = rows.filter((r) => r.AnalysisId === 'analysis:durability' && r.context === 'paired_t');
    expect(paired.map((r) => r.stat_name)).toEqual(['estimate', 'statistic', 'df', 'p.value', 'n', 'conf.low', 'conf.high']);
    expect(paired[1]!.stat).toBe(report.other[0]!.statistic);
    expect(rows.find((r) => r.context === 'correlation' && r.stat_name === 'estimate')!.stat).toBe(report.other[1]!.statistic);
  });

  it('every number of the report is a row (nothing lost)', () => {
    const numbers = (o: object): number => Object.values(o).filter((v) => typeof v === 'number').length;
    const stats = (ctx: string) => rows.filter((r) => r.context === ctx && typeof r.stat === 'number').length;
    expect(stats('solution')).toBe(m.fixed.reduce((n, f) => n + numbers(f), 0));
    expect(stats('lsmeans')).toBe(m.lsmeans.reduce((n, l) => n + numbers({ ...l, at: undefined }), 0));
    expect(stats('diffs')).toBe(m.diffs.reduce((n, d) => n + numbers({ ...d, at: undefined }), 0));
  });

  it('CSV (RFC 4180, full precision) and JSON', () => {
    const csv = ardCsv(rows);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(ARD_COLUMNS.join(','));
    expect(lines).toHaveLength(rows.length + 1);
    const f = m.type3.find((t) => t.effect === 'visit*age')!.F;
    expect(csv).toContain(`,type3,statistic,F Value,${f},4.81`);
    expect(csv).toContain('"PROC MIXED REML, UN, DDFM=BETWITHIN"');
    expect(JSON.parse(ardJson(rows))).toEqual(JSON.parse(JSON.stringify(rows)));
  });
});
