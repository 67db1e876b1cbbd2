/**
 * The report as CDISC Analysis Results Data (ARD): one row per statistic, in the long shape the cards R
 * package writes (group1 / group1_level, variable / variable_level, context, stat_name, stat_label,
 * stat) with the identifiers of the CDISC Analysis Results Standard (AnalysisId, MethodId, OperationId)
 * and the formatted value (stat_fmt, as the listing prints it). docs/ard.md describes every column.
 */
import type { ModelReport, StudyReport } from '../results.js';
import { fmtDf, fmtEstimate, fmtFit, fmtP, fmtStat } from './format.js';

export interface ArdRow {
  /** the analysis (ARS AnalysisId): `<model>:<context>`, `analysis:<name>`, `sensitivity:<model>` */
  AnalysisId: string;
  /** the method (ARS MethodId): what computed the statistic */
  MethodId: string;
  /** the operation (ARS OperationId): `<MethodId>:<stat_name>` */
  OperationId: string;
  /** the model (or analysis block) the result belongs to */
  model: string;
  /** the model a sensitivity variant varies ('' otherwise) */
  sensitivity_of: string;
  /** the method in words: estimation, covariance structure, df method */
  method: string;
  group1: string;
  group1_level: string;
  group2: string;
  group2_level: string;
  /** what the statistic describes: an effect, a term, a covariance parameter, an outcome, a test */
  variable: string;
  variable_level: string;
  /** the kind of result (the report's table) */
  context: string;
  stat_name: string;
  stat_label: string;
  /** the value (full precision; null when it could not be computed) */
  stat: number | string | boolean | null;
  /** the value as the listing prints it */
  stat_fmt: string;
}

export const ARD_COLUMNS: (keyof ArdRow)[] = [
  'AnalysisId', 'MethodId', 'OperationId', 'model', 'sensitivity_of', 'method', 'group1', 'group1_level', 'group2', 'group2_level',
  'variable', 'variable_level', 'context', 'stat_name', 'stat_label', 'stat', 'stat_fmt',
];

const DF_NAMES: Record<string, string> = { residual: 'RESIDUAL', 'between-within': 'BETWITHIN', containment: 'CONTAIN', satterthwaite: 'SATTERTHWAITE', 'kenward-roger': 'KENWARDROGER' };

type Stat = [name: string, label: string, value: number | string | boolean | null | undefined, fmt: (v: never) => string];

const est = fmtEstimate as (v: never) => string;
const stat = fmtStat as (v: never) => string;
const pv = fmtP as (v: never) => string;
const df = fmtDf as (v: never) => string;
const fit = ((x: number | null) => (x === null ? '.' : fmtFit(x))) as (v: never) => string;
const raw = ((x: unknown) => (x === null || x === undefined ? '.' : String(x))) as (v: never) => string;

function modelRows(m: ModelReport): ArdRow[] {
  const out: ArdRow[] = [];
  const dfm = DF_NAMES[m.info.dfMethod] ?? m.info.dfMethod;
  const method = `PROC MIXED ${m.info.estimationMethod}, ${m.info.covarianceStructure}, DDFM=${dfm}`;
  const push = (context: string, methodId: string, where: Partial<ArdRow>, stats: Stat[]) => {
    for (const [name, label, value, f] of stats) {
      if (value === undefined) continue;
      out.push({
        AnalysisId: `${m.name}:${context}`,
        MethodId: methodId,
        OperationId: `${methodId}:${name}`,
        model: m.name,
        sensitivity_of: m.sensitivity?.of ?? '',
        method,
        group1: '',
        group1_level: '',
        group2: '',
        group2_level: '',
        variable: '',
        variable_level: '',
        ...where,
        context,
        stat_name: name,
        stat_label: label,
        stat: value,
        stat_fmt: f(value as never),
      });
    }
  };
  const mixed = (what: string) => `MIXED_${m.info.estimationMethod}_${what}`;
  push('fit', mixed('FIT'), { variable: m.info.response }, [
    ['converged', 'Convergence criteria met', m.converged, raw],
    ['minus2ll', m.info.estimationMethod === 'ML' ? '-2 Log Likelihood' : '-2 Res Log Likelihood', m.minus2ll, fit],
    ['aic', 'AIC (Smaller is Better)', m.aic, fit],
    ['aicc', 'AICC (Smaller is Better)', m.aicc, fit],
    ['bic', 'BIC (Smaller is Better)', m.bic, fit],
    ['n_obs_read', 'Number of Observations Read', m.dimensions.observations_read, raw],
    ['n_obs_used', 'Number of Observations Used', m.dimensions.observations_used, raw],
    ['n_subjects', 'Subjects', m.dimensions.subjects, raw],
    ['n_covparms', 'Covariance Parameters', m.dimensions.covparms, raw],
  ]);
  for (const c of m.candidates) {
    push('selection', mixed('COVSELECT'), { variable: c.structure }, [
      ['minus2ll', '-2 Res Log Likelihood', c.minus2ll, fit],
      ['aic', 'AIC', c.aic, fit],
      ['aicc', 'AICC', c.aicc, fit],
      ['bic', 'BIC', c.bic, fit],
      ['chosen', 'Chosen', c.chosen, raw],
    ]);
  }
  for (const c of m.covparms) {
    push('covparms', mixed('COVPARM'), { variable: c.name, ...(c.subject ? { group1: 'Subject', group1_level: c.subject } : {}), ...(c.group ? { group2: 'Group', group2_level: c.group } : {}) }, [
      ['estimate', 'Estimate', c.estimate, est],
      ['std.error', 'Standard Error', c.se, est],
      ['statistic', 'Z Value', c.z ?? undefined, stat],
      ['p.value', 'Pr > Z', c.p ?? undefined, pv],
      ['conf.low', 'Lower', c.lower ?? undefined, est],
      ['conf.high', 'Upper', c.upper ?? undefined, est],
    ]);
  }
  for (const f of m.fixed) {
    const [effect, ...levels] = f.term.split(' ');
    push('solution', mixed(`SOLUTION_${dfm}`), { variable: effect!, variable_level: levels.join(' ') }, [
      ['estimate', 'Estimate', f.estimate, est],
      ['std.error', 'Standard Error', f.se, est],
      ['df', 'DF', f.df, df],
      ['statistic', 't Value', f.t, stat],
      ['p.value', 'Pr > |t|', f.p, pv],
      ['conf.low', 'Lower', f.lower ?? undefined, est],
      ['conf.high', 'Upper', f.upper ?? undefined, est],
    ]);
  }
  for (const t of m.type3) {
    push('type3', mixed(`TYPE3_${dfm}`), { variable: t.effect }, [
      ['num.df', 'Num DF', t.numdf, df],
      ['den.df', 'Den DF', t.dendf, df],
      ['statistic', 'F Value', t.F, stat],
      ['p.value', 'Pr > F', t.p, pv],
      ['chisq', 'Chi-Square', t.chisq, stat],
      ['p.value.chisq', 'Pr > ChiSq', t.p_chisq, pv],
    ]);
  }
  for (const e of m.estimates) {
    push('estimates', mixed(`ESTIMATE_${dfm}`), { variable: e.label, variable_level: e.L }, [
      ['estimate', 'Estimate', e.estimate, est],
      ['std.error', 'Standard Error', e.se, est],
      ['df', 'DF', e.df, df],
      ['statistic', 't Value', e.t, stat],
      ['p.value', 'Pr > |t|', e.p, pv],
      ['conf.low', 'Lower', e.lower, est],
      ['conf.high', 'Upper', e.upper, est],
    ]);
  }
  const atGroup = (at: Record<string, number> | undefined): Partial<ArdRow> =>
    at && Object.keys(at).length > 0 ? { group2: 'at', group2_level: Object.entries(at).map(([k, v]) => `${k}=${v}`).join(' ') } : {};
  for (const l of m.lsmeans) {
    push('lsmeans', mixed(`LSMEANS_${dfm}`), { variable: l.effect, variable_level: l.level, ...atGroup(l.at) }, [
      ['estimate', 'Estimate', l.estimate, est],
      ['std.error', 'Standard Error', l.se, est],
      ['df', 'DF', l.df, df],
      ['statistic', 't Value', l.t, stat],
      ['p.value', 'Pr > |t|', l.p, pv],
      ['conf.low', 'Lower', l.lower, est],
      ['conf.high', 'Upper', l.upper, est],
    ]);
  }
  for (const d of m.diffs) {
    const by = d.by ? Object.entries(d.by)[0] : undefined;
    push('diffs', mixed(`DIFF_${dfm}${d.adjust && d.adjust !== 'none' ? `_${d.adjust.toUpperCase()}` : ''}`), {
      variable: d.effect,
      variable_level: `${d.level} - ${d.vs}`,
      ...(by ? { group1: by[0], group1_level: by[1] } : {}),
      ...atGroup(d.at),
    }, [
      ['estimate', 'Estimate', d.estimate, est],
      ['std.error', 'Standard Error', d.se, est],
      ['df', 'DF', d.df, df],
      ['statistic', 't Value', d.t, stat],
      ['p.value', 'Pr > |t|', d.p, pv],
      ['p.value.adj', `Adj P (${d.adjust ?? 'none'})`, d.p_adj, pv],
      ['conf.low', 'Lower', d.lower, est],
      ['conf.high', 'Upper', d.upper, est],
    ]);
  }
  for (const s of m.slices ?? []) {
    const [k, v] = Object.entries(s.by)[0] ?? ['', ''];
    push('slices', mixed(`SLICE_${dfm}`), { variable: s.effect, group1: k, group1_level: v }, [
      ['num.df', 'Num DF', s.numdf, df],
      ['den.df', 'Den DF', s.dendf, df],
      ['statistic', 'F Value', s.F, stat],
      ['p.value', 'Pr > F', s.p, pv],
    ]);
  }
  for (const r of m.randomSolution ?? []) {
    push('random-solution', mixed('RANDOM_SOLUTION'), {
      variable: r.effect,
      variable_level: Object.entries(r.levels ?? {}).map(([k, v]) => `${k} ${v}`).join(' '),
      ...(r.subject ? { group1: 'Subject', group1_level: r.subject } : {}),
    }, [
      ['estimate', 'Estimate', r.estimate, est],
      ['std.error', 'Std Err Pred', r.se, est],
      ['df', 'DF', r.df, df],
      ['statistic', 't Value', r.t, stat],
      ['p.value', 'Pr > |t|', r.p, pv],
    ]);
  }
  return out;
}

/** Every statistic of the report, one row each: models (in order), then the analyses. */
export function ardRows(report: StudyReport): ArdRow[] {
  const rows = report.models.flatMap(modelRows);
  for (const a of report.other) {
    const paired = a.test.startsWith('paired');
    const methodId = paired ? 'TTEST_PAIRED' : 'CORR_PEARSON';
    const stats: Stat[] = paired
      ? [['estimate', 'Mean Difference', a.estimate, est], ['statistic', 't Value', a.statistic, stat], ['df', 'DF', a.df, df], ['p.value', 'Pr > |t|', a.p, pv], ['n', 'N', a.n, raw], ['conf.low', 'Lower', a.lower, est], ['conf.high', 'Upper', a.upper, est]]
      : [['estimate', 'Pearson r', a.statistic, est], ['statistic', 't Value', a.t, stat], ['df', 'DF', a.df, df], ['p.value', 'Pr > |t|', a.p, pv], ['n', 'N', a.n, raw], ['conf.low', 'Lower', a.lower, est], ['conf.high', 'Upper', a.upper, est]];
    for (const [name, label, value, f] of stats) {
      if (value === undefined) continue;
      rows.push({
        AnalysisId: `analysis:${a.analysis}`,
        MethodId: methodId,
        OperationId: `${methodId}:${name}`,
        model: a.analysis,
        sensitivity_of: '',
        method: paired ? 'PROC TTEST paired t-test' : 'PROC CORR Pearson correlation (t test of r = 0; Fisher z limits)',
        group1: '',
        group1_level: '',
        group2: '',
        group2_level: '',
        variable: a.test,
        variable_level: '',
        context: paired ? 'paired_t' : 'correlation',
        stat_name: name,
        stat_label: label,
        stat: value,
        stat_fmt: f(value as never),
      });
    }
  }
  return rows;
}

function csvCell(v: unknown): string {
  const s = v === null || v === undefined ? '' : typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : String(v);
  return /[",\n\r]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header row; `stat` at full precision (shortest round-trip decimal), empty when missing. */
export function ardCsv(rows: ArdRow[]): string {
  return [ARD_COLUMNS.join(','), ...rows.map((r) => ARD_COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\r\n') + '\r\n';
}

export function ardJson(rows: ArdRow[]): string {
  return JSON.stringify(rows, null, 1) + '\n';
}
