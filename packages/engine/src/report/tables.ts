/**
 * The report's tables as data (title, columns, cells formatted as SAS prints them), in PROC MIXED listing
 * order, and three renderings of one table: SAS LISTING text, CSV and GitHub Markdown. The text report,
 * the Markdown export and the editor's results panel are all drawn from `reportTables`, so they cannot
 * disagree.
 */
import type { AnalysisRow, DescriptiveRow, DescriptiveTable, ModelReport, StudyReport } from '../results.js';
import { fmtDf, fmtEstimate, fmtFit, fmtP, fmtStat, textTable, type Column } from './format.js';
import { sensitivityTables } from './sensitivity-tables.js';

export interface ReportTable {
  /** stable id: `<model>/<kind>` or `analysis/<name>` */
  id: string;
  /** SAS table title, e.g. "Type 3 Tests of Fixed Effects" */
  title: string;
  /** the model the table belongs to (absent for analyses) */
  model?: string;
  /** the `describe` block the table belongs to (its descriptive statistics, printed before the models) */
  describe?: string;
  /** the sensitivity summary of this model (printed first: the model's results beside its variants') */
  sensitivity?: string;
  columns: Column[];
  /** cells formatted as SAS prints them */
  rows: string[][];
}

const L = (header: string): Column => ({ header, align: 'left' });
const R = (header: string): Column => ({ header });

function dfMethodName(m: string): string {
  return ({ residual: 'Residual', 'between-within': 'Between-Within', containment: 'Containment', satterthwaite: 'Satterthwaite', 'kenward-roger': 'Kenward-Roger' } as Record<string, string>)[m] ?? m;
}

function adjustName(a: string): string {
  return a === 'tukey' ? 'Tukey-Kramer' : a === 'bonferroni' ? 'Bonferroni' : a;
}

/** Consecutive runs of rows with the same key, in order. */
function groups<T>(rows: T[], key: (row: T) => string): T[][] {
  const out: T[][] = [];
  let last: string | undefined;
  for (const r of rows) {
    const k = key(r);
    if (out.length === 0 || k !== last) out.push([]);
    out[out.length - 1]!.push(r);
    last = k;
  }
  return out;
}

function modelTables(m: ModelReport): ReportTable[] {
  const t = (kind: string, title: string, columns: Column[], rows: string[][]): ReportTable => ({ id: `${m.name}/${kind}`, title, model: m.name, columns, rows });
  const out: ReportTable[] = [];
  const info = m.info;
  out.push(t('info', 'Model Information', [L('Item'), L('Value')], [
    ['Dependent Variable', info.response],
    ['Covariance Structure', info.covarianceStructure],
    ...(info.subjectEffect ? [['Subject Effect', info.subjectEffect]] : []),
    ['Estimation Method', info.estimationMethod],
    ['Degrees of Freedom Method', dfMethodName(info.dfMethod)],
    ['Convergence', m.converged ? 'Convergence criteria met' : 'did not converge'],
    ...(m.refinement && m.refinement.length > 0
      ? [['Refinement', `${m.refinement.length} Newton step${m.refinement.length > 1 ? 's' : ''} past SAS's criterion to the optimum: -2LL ${(m.iterations.at(-1)!.minus2ll - m.minus2ll).toExponential(2)} lower than at SAS's last iterate`]]
      : []),
  ]));
  if (info.classLevels.length > 0) {
    out.push(t('class', 'Class Level Information', [L('Class'), R('Levels'), L('Values')],
      info.classLevels.map((c) => [c.name, String(c.levels.length), c.levels.join(' ')])));
  }
  const d = m.dimensions;
  out.push(t('dimensions', 'Dimensions', [L('Item'), R('Value')], [
    ['Covariance Parameters', String(d.covparms)],
    ['Columns in X', String(d.columnsX)],
    ['Columns in Z', String(d.columnsZ)],
    ['Subjects', String(d.subjects)],
    ['Max Obs per Subject', String(d.maxObsPerSubject)],
    ['Number of Observations Read', String(d.observations_read)],
    ['Number of Observations Used', String(d.observations_used)],
    ['Number of Observations Not Used', String(d.observations_read - d.observations_used)],
  ]));
  if (m.iterations.length > 0) {
    out.push(t('iterations', 'Iteration History', [R('Iteration'), R('Evaluations'), R(info.estimationMethod === 'ML' ? '-2 Log Like' : '-2 Res Log Like'), R('Criterion')],
      m.iterations.map((it) => [String(it.iteration), String(it.evaluations), it.minus2ll.toFixed(8), it.criterion === null ? '' : it.criterion.toExponential(8)])));
  }
  if (m.fallbacks && m.fallbacks.length > 0) {
    out.push(t('fallbacks', 'Covariance Structure Fallbacks', [L('Structure'), L('Converged'), L('Used'), L('Why abandoned')],
      m.fallbacks.map((f) => [f.structure, f.converged ? 'yes' : 'no', f.used ? '*' : '', f.reason ?? ''])));
  }
  if (m.candidates.length > 0) {
    out.push(t('selection', 'Covariance Structure Selection', [L('Structure'), R('Parms'), R('-2 Res LL'), R('AIC'), R('AICC'), R('BIC'), L('Chosen')],
      m.candidates.map((c) => [c.structure, String(c.q), fmtFit(c.minus2ll), fmtFit(c.aic), fmtFit(c.aicc), fmtFit(c.bic), c.chosen ? '*' : c.converged ? '' : 'did not converge'])));
  }
  const grouped = m.covparms.some((c) => c.group);
  const alphaText = (m.info.alpha ?? 0.05).toString();
  out.push(t('covparms', m.converged ? 'Covariance Parameter Estimates' : 'Covariance Parameter Values At Last Iteration (did not converge)', [L('Cov Parm'), L('Subject'), ...(grouped ? [L('Group')] : []), R('Estimate'), R('Standard Error'), R('Z Value'), R('Pr > Z'), R('Alpha'), R('Lower'), R('Upper')],
    m.covparms.map((c) => [c.name, c.subject ?? '', ...(grouped ? [c.group ?? ''] : []), fmtEstimate(c.estimate), fmtEstimate(c.se), fmtStat(c.z ?? null), fmtP(c.p ?? null),
      c.lower == null ? '' : alphaText, fmtEstimate(c.lower ?? null), fmtEstimate(c.upper ?? null)])));
  if (m.converged) out.push(t('fit', 'Fit Statistics', [L('Statistic'), R('Value')], [
    [info.estimationMethod === 'ML' ? '-2 Log Likelihood' : '-2 Res Log Likelihood', fmtFit(m.minus2ll)],
    ['AIC (Smaller is Better)', fmtFit(m.aic)],
    ['AICC (Smaller is Better)', fmtFit(m.aicc)],
    ['BIC (Smaller is Better)', fmtFit(m.bic)],
  ]));
  if (m.fixed.length > 0) out.push(t('solution', 'Solution for Fixed Effects', [L('Effect'), R('Estimate'), R('Standard Error'), R('DF'), R('t Value'), R('Pr > |t|'), R('Alpha'), R('Lower'), R('Upper')],
    m.fixed.map((f) => [f.term, fmtEstimate(f.estimate), fmtEstimate(f.se), fmtDf(f.df), fmtStat(f.t), fmtP(f.p), f.lower == null ? '' : alphaText, fmtEstimate(f.lower ?? null), fmtEstimate(f.upper ?? null)])));
  if (m.randomSolution && m.randomSolution.length > 0) {
    const rs = m.randomSolution;
    const withSubject = rs.some((r) => r.subject);
    const withLevels = rs.some((r) => r.levels);
    out.push(t('random-solution', 'Solution for Random Effects',
      [L('Effect'), ...(withSubject ? [L('Subject')] : []), ...(withLevels ? [L('Level')] : []), R('Estimate'), R('Std Err Pred'), R('DF'), R('t Value'), R('Pr > |t|')],
      rs.map((r) => [r.effect, ...(withSubject ? [r.subject ?? ''] : []),
        ...(withLevels ? [Object.entries(r.levels ?? {}).map(([k, v]) => `${k} ${v}`).join(' ')] : []),
        fmtEstimate(r.estimate), fmtEstimate(r.se), fmtDf(r.df), fmtStat(r.t), fmtP(r.p)])));
  }
  if (m.type3.length > 0) {
    // the chi-square form (SAS's CHISQ option) is in the JSON (type3[].chisq), as SAS prints it only on request
    out.push(t('type3', 'Type 3 Tests of Fixed Effects', [L('Effect'), R('Num DF'), R('Den DF'), R('F Value'), R('Pr > F')],
      m.type3.map((r) => [r.effect, fmtDf(r.numdf), fmtDf(r.dendf), fmtStat(r.F), fmtP(r.p)])));
  }
  if (m.estimates.length > 0) {
    out.push(t('estimates', 'Estimates', [L('Label'), R('Estimate'), R('Standard Error'), R('DF'), R('t Value'), R('Pr > |t|'), R('Lower'), R('Upper')],
      m.estimates.map((e) => [e.label, fmtEstimate(e.estimate), fmtEstimate(e.se), fmtDf(e.df), fmtStat(e.t), fmtP(e.p), fmtEstimate(e.lower), fmtEstimate(e.upper)])));
  }
  // one table per `compare` request: rows of one request share their effect, covariate values and adjustment
  const atText = (at: Record<string, number> | undefined) =>
    at && Object.keys(at).length > 0 ? ` (at ${Object.entries(at).map(([k, v]) => `${k} = ${fmtEstimate(v)}`).join(', ')})` : '';
  groups(m.lsmeans, (l) => `${l.effect}|${JSON.stringify(l.at ?? {})}`).forEach((rows, i) => {
    out.push(t(i === 0 ? 'lsmeans' : `lsmeans-${i + 1}`, `Least Squares Means${atText(rows[0].at)}`, [L('Effect'), L('Level'), R('Estimate'), R('Standard Error'), R('DF'), R('t Value'), R('Pr > |t|'), R('Alpha'), R('Lower'), R('Upper')],
      rows.map((l) => [l.effect, l.level, fmtEstimate(l.estimate), fmtEstimate(l.se), fmtDf(l.df), fmtStat(l.t), fmtP(l.p), l.lower == null ? '' : alphaText, fmtEstimate(l.lower ?? null), fmtEstimate(l.upper ?? null)])));
  });
  if (m.slices && m.slices.length > 0) {
    groups(m.slices, (x) => `${x.effect}|${Object.keys(x.by).join()}`).forEach((rows, i) => {
      const by = Object.keys(rows[0].by)[0]!;
      out.push(t(i === 0 ? 'slices' : `slices-${i + 1}`, 'Tests of Effect Slices', [L('Effect'), L(by), R('Num DF'), R('Den DF'), R('F Value'), R('Pr > F')],
        rows.map((x) => [x.effect, x.level, fmtDf(x.numdf), fmtDf(x.dendf), fmtStat(x.F), fmtP(x.p)])));
    });
  }
  groups(m.diffs, (d) => `${d.effect}|${JSON.stringify(d.at ?? {})}|${d.adjust ?? ''}|${Object.keys(d.by ?? {}).join()}`).forEach((rows, i) => {
    const adjust = rows[0].adjust;
    // sliced differences (SAS SLICE … / SLICEBY= DIFF): the slice variable's level first, adjustment within each slice
    const slice = Object.keys(rows[0].by ?? {})[0];
    out.push(t(i === 0 ? 'diffs' : `diffs-${i + 1}`, `${slice ? `Simple Effect Comparisons of ${rows[0].effect} by ${slice}` : 'Differences of Least Squares Means'}${atText(rows[0].at)}${adjust ? ` (adjustment: ${adjustName(adjust)}${slice ? ` within each ${slice}` : ''})` : ''}`,
      [...(slice ? [L(slice)] : []), L('Effect'), L('Level'), L('_Level'), R('Estimate'), R('Standard Error'), R('DF'), R('t Value'), R('Pr > |t|'), ...(adjust ? [R('Adj P')] : []), R('Alpha'), R('Lower'), R('Upper')],
      rows.map((x) => [...(slice ? [x.by?.[slice] ?? ''] : []), x.effect, x.level, x.vs, fmtEstimate(x.estimate), fmtEstimate(x.se), fmtDf(x.df), fmtStat(x.t), fmtP(x.p), ...(adjust ? [fmtP(x.p_adj ?? null)] : []),
        x.lower == null ? '' : alphaText, fmtEstimate(x.lower ?? null), fmtEstimate(x.upper ?? null)])));
  });
  if (m.notes.length > 0) {
    out.push(t('notes', 'Notes', [L('Severity'), L('Message')], m.notes.map((n) => [n.severity === 'info' ? 'NOTE' : n.severity.toUpperCase(), n.message])));
  }
  return out;
}

/**
 * One row per test: the estimate is the mean difference (paired t) or r (correlation); both are
 * tested with t on the df shown, with 95% limits (Fisher's z for r).
 */
function analysisTables(rows: AnalysisRow[]): ReportTable[] {
  const by = new Map<string, AnalysisRow[]>();
  for (const r of rows) by.set(r.analysis, [...(by.get(r.analysis) ?? []), r]);
  return [...by].map(([name, rs]) => ({
    id: `analysis/${name}`,
    title: `Analysis ${name}`,
    columns: [L('Test'), R('N'), R('Estimate'), R('t Value'), R('DF'), R('Pr > |t|'), R('Lower'), R('Upper')],
    rows: rs.map((r) => [r.test, String(r.n), fmtEstimate(r.estimate ?? r.statistic), fmtStat(r.t ?? r.statistic), fmtDf(r.df), fmtP(r.p), fmtEstimate(r.lower ?? null), fmtEstimate(r.upper ?? null)]),
  }));
}

/**
 * The decimals a variable's statistics are printed with: one more than its data have (age in whole years:
 * mean 51.1; bmi to 0.1: mean 26.34), min and max as the data; a variable with more than 3 decimals
 * (a derived percent change) as estimates are printed.
 */
function dataDecimals(rows: DescriptiveRow[]): number | undefined {
  // min and max are data values: they say the data's own decimals
  const data = rows.flatMap((r) => [r.min, r.max].filter((x): x is number => typeof x === 'number'));
  for (let k = 0; k <= 3; k++) {
    const f = 10 ** k;
    if (data.every((x) => Math.abs(x * f - Math.round(x * f)) <= 1e-9 * Math.max(1, Math.abs(x * f)))) return k;
  }
  return undefined;
}

function descriptiveTables(d: DescriptiveTable): ReportTable[] {
  const per = d.per.length > 0 ? `one value per ${d.per.join(' and ')}` : 'one value per row';
  const columns = [L('Variable'), L('Statistic'), ...d.groups.map((g) => R(`${g.label} (N = ${g.N})`))];
  const rows: string[][] = [];
  const labels = [...new Set(d.rows.map((r) => r.label))];
  for (const label of labels) {
    const cells = d.groups.map((g) => d.rows.find((r) => r.label === label && r.group === g.label));
    const first = cells.find((c) => c !== undefined);
    if (!first) continue;
    const out: [string, (r: DescriptiveRow) => string][] = [['n (missing)', (r) => `${r.n} (${r.missing})`]];
    if (first.kind === 'categorical') {
      for (const [k, level] of (first.levels ?? []).entries()) {
        out.push([level.level, (r) => {
          const l = r.levels?.[k];
          return l ? `${l.n} (${l.percent === null ? '.' : `${l.percent.toFixed(1)}%`})` : '';
        }]);
      }
    } else {
      const k = dataDecimals(cells.filter((c): c is DescriptiveRow => c !== undefined));
      const stat = (x: number | null | undefined) => (x === null || x === undefined ? '.' : k === undefined ? fmtEstimate(x) : x.toFixed(k + 1));
      const raw = (x: number | null | undefined) => (x === null || x === undefined ? '.' : k === undefined ? fmtEstimate(x) : x.toFixed(k));
      out.push(
        ['mean ± SD', (r) => `${stat(r.mean)} ± ${stat(r.sd)}`],
        ['SEM', (r) => stat(r.sem)],
        ['median [Q1, Q3]', (r) => `${stat(r.median)} [${stat(r.q1)}, ${stat(r.q3)}]`],
        ['min, max', (r) => `${raw(r.min)}, ${raw(r.max)}`],
      );
    }
    out.forEach(([statistic, f], i) => rows.push([i === 0 ? label : '', statistic, ...cells.map((c) => (c ? f(c) : ''))]));
  }
  const tables: ReportTable[] = [{ id: `describe/${d.name}`, title: `Descriptive Statistics ${d.name} (${per})`, describe: d.name, columns, rows }];
  if (d.notes.length > 0) {
    tables.push({ id: `describe/${d.name}/notes`, title: `Notes (describe ${d.name})`, describe: d.name, columns: [L('Severity'), L('Message')],
      rows: d.notes.map((n) => [n.severity === 'info' ? 'NOTE' : n.severity.toUpperCase(), n.message]) });
  }
  return tables;
}

/**
 * Every table of the report: the descriptive statistics first (the cohort, as a paper opens with its
 * Table 1), then each model's sensitivity summary (sensitivity-tables.ts), then the models (in PROC MIXED
 * listing order), then the analyses.
 */
export function reportTables(report: StudyReport): ReportTable[] {
  return [...(report.descriptives ?? []).flatMap(descriptiveTables), ...(report.sensitivity ?? []).flatMap(sensitivityTables), ...report.models.flatMap(modelTables), ...analysisTables(report.other)];
}

/** SAS LISTING style (the text report's layout). */
export function tableText(t: ReportTable): string {
  return textTable(t.model ? `${t.title} (${t.model})` : t.title, t.columns, t.rows);
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 CSV with a header row (cells as formatted in the listing, e.g. "<.0001"). */
export function tableCsv(t: ReportTable): string {
  return [t.columns.map((c) => c.header), ...t.rows].map((r) => r.map((c) => csvCell(c ?? '')).join(',')).join('\r\n') + '\r\n';
}

export function mdCell(s: string): string {
  return (s ?? '').replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\*/g, '\\*').replace(/_/g, '\\_').replace(/</g, '&lt;').replace(/\r?\n/g, ' ');
}

/** A GitHub-flavoured Markdown table (numbers right-aligned) under a bold title. */
export function tableMarkdown(t: ReportTable, withTitle = true): string {
  const head = `| ${t.columns.map((c) => mdCell(c.header)).join(' | ')} |`;
  const rule = `|${t.columns.map((c) => ((c.align ?? 'right') === 'right' ? ' ---: ' : ' :--- ')).join('|')}|`;
  const body = t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`);
  return [...(withTitle ? [`**${mdCell(t.title)}**`, ''] : []), head, rule, ...body].join('\n');
}

