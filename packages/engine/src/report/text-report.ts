/** `study run`'s printed report: the tables of a PROC MIXED listing, in the same order. */
import type { AnalysisRow, ModelReport, StudyReport } from '../results.js';
import { fmtDf, fmtEstimate, fmtFit, fmtP, fmtStat, textTable } from './format.js';

function modelSections(m: ModelReport): string[] {
  const out: string[] = [];
  const info = m.info;
  out.push(
    textTable(`Model Information (${m.name})`, [{ header: 'Item', align: 'left' }, { header: 'Value', align: 'left' }], [
      ['Dependent Variable', info.response],
      ['Covariance Structure', info.covarianceStructure],
      ...(info.subjectEffect ? [['Subject Effect', info.subjectEffect]] : []),
      ['Estimation Method', info.estimationMethod],
      ['Degrees of Freedom Method', dfMethodName(info.dfMethod)],
    ]),
  );
  if (info.classLevels.length > 0) {
    out.push(
      textTable('Class Level Information', [{ header: 'Class', align: 'left' }, { header: 'Levels' }, { header: 'Values', align: 'left' }],
        info.classLevels.map((c) => [c.name, String(c.levels.length), c.levels.join(' ')])),
    );
  }
  const d = m.dimensions;
  out.push(
    textTable('Dimensions', [{ header: 'Item', align: 'left' }, { header: 'Value' }], [
      ['Covariance Parameters', String(d.covparms)],
      ['Columns in X', String(d.columnsX)],
      ['Columns in Z', String(d.columnsZ)],
      ['Subjects', String(d.subjects)],
      ['Max Obs per Subject', String(d.maxObsPerSubject)],
      ['Number of Observations Read', String(d.observations_read)],
      ['Number of Observations Used', String(d.observations_used)],
      ['Number of Observations Not Used', String(d.observations_read - d.observations_used)],
    ]),
  );
  if (m.iterations.length > 0) {
    out.push(
      textTable('Iteration History', [{ header: 'Iteration' }, { header: 'Evaluations' }, { header: m.info.estimationMethod === 'ML' ? '-2 Log Like' : '-2 Res Log Like' }, { header: 'Criterion' }],
        m.iterations.map((it) => [String(it.iteration), String(it.evaluations), it.minus2ll.toFixed(8), it.criterion === null ? '' : it.criterion.toExponential(8)])),
    );
  }
  out.push(m.converged ? 'Convergence criteria met.' : 'WARNING: did not converge; the estimates below are the last iterate.');
  if (m.candidates.length > 0) {
    out.push(
      textTable('Covariance Structure Selection', [{ header: 'Structure', align: 'left' }, { header: 'Parms' }, { header: '-2 Res LL' }, { header: 'AIC' }, { header: 'AICC' }, { header: 'BIC' }, { header: 'Chosen', align: 'left' }],
        m.candidates.map((c) => [c.structure, String(c.q), fmtFit(c.minus2ll), fmtFit(c.aic), fmtFit(c.aicc), fmtFit(c.bic), c.chosen ? '*' : c.converged ? '' : 'did not converge'])),
    );
  }
  out.push(
    textTable('Covariance Parameter Estimates', [{ header: 'Cov Parm', align: 'left' }, { header: 'Subject', align: 'left' }, { header: 'Estimate' }, { header: 'Standard Error' }, { header: 'Z Value' }, { header: 'Pr > Z' }],
      m.covparms.map((c) => [c.name, c.subject ?? '', fmtEstimate(c.estimate), fmtEstimate(c.se), fmtStat(c.z ?? null), fmtP(c.p ?? null)])),
  );
  const ll = m.info.estimationMethod === 'ML' ? '-2 Log Likelihood' : '-2 Res Log Likelihood';
  out.push(
    textTable('Fit Statistics', [{ header: 'Statistic', align: 'left' }, { header: 'Value' }], [
      [ll, fmtFit(m.minus2ll)],
      ['AIC (Smaller is Better)', fmtFit(m.aic)],
      ['AICC (Smaller is Better)', fmtFit(m.aicc)],
      ['BIC (Smaller is Better)', fmtFit(m.bic)],
    ]),
  );
  out.push(
    textTable('Solution for Fixed Effects', [{ header: 'Effect', align: 'left' }, { header: 'Estimate' }, { header: 'Standard Error' }, { header: 'DF' }, { header: 't Value' }, { header: 'Pr > |t|' }],
      m.fixed.map((f) => [f.term, fmtEstimate(f.estimate), fmtEstimate(f.se), fmtDf(f.df), fmtStat(f.t), fmtP(f.p)])),
  );
  if (m.type3.length > 0) {
    out.push(
      textTable('Type 3 Tests of Fixed Effects', [{ header: 'Effect', align: 'left' }, { header: 'Num DF' }, { header: 'Den DF' }, { header: 'F Value' }, { header: 'Pr > F' }],
        m.type3.map((t) => [t.effect, fmtDf(t.numdf), fmtDf(t.dendf), fmtStat(t.F), fmtP(t.p)])),
    );
  }
  if (m.estimates.length > 0) {
    out.push(
      textTable('Estimates', [{ header: 'Label', align: 'left' }, { header: 'Estimate' }, { header: 'Standard Error' }, { header: 'DF' }, { header: 't Value' }, { header: 'Pr > |t|' }, { header: 'Lower' }, { header: 'Upper' }],
        m.estimates.map((e) => [e.label, fmtEstimate(e.estimate), fmtEstimate(e.se), fmtDf(e.df), fmtStat(e.t), fmtP(e.p), fmtEstimate(e.lower), fmtEstimate(e.upper)])),
    );
  }
  if (m.lsmeans.length > 0) {
    const at = m.lsmeans[0].at;
    const atText = at && Object.keys(at).length > 0 ? ` (at ${Object.entries(at).map(([k, v]) => `${k} = ${fmtEstimate(v)}`).join(', ')})` : '';
    out.push(
      textTable(`Least Squares Means${atText}`, [{ header: 'Effect', align: 'left' }, { header: 'Level', align: 'left' }, { header: 'Estimate' }, { header: 'Standard Error' }, { header: 'DF' }, { header: 't Value' }, { header: 'Pr > |t|' }],
        m.lsmeans.map((l) => [l.effect, l.level, fmtEstimate(l.estimate), fmtEstimate(l.se), fmtDf(l.df), fmtStat(l.t), fmtP(l.p)])),
    );
  }
  if (m.diffs.length > 0) {
    const adjust = m.diffs[0].adjust;
    out.push(
      textTable(`Differences of Least Squares Means${adjust ? ` (adjustment: ${adjustName(adjust)})` : ''}`,
        [{ header: 'Effect', align: 'left' }, { header: 'Level', align: 'left' }, { header: '_Level', align: 'left' }, { header: 'Estimate' }, { header: 'Standard Error' }, { header: 'DF' }, { header: 't Value' }, { header: 'Pr > |t|' }, ...(adjust ? [{ header: 'Adj P' }] : [])],
        m.diffs.map((d) => [d.effect, d.level, d.vs, fmtEstimate(d.estimate), fmtEstimate(d.se), fmtDf(d.df), fmtStat(d.t), fmtP(d.p), ...(adjust ? [fmtP(d.p_adj ?? null)] : [])])),
    );
  }
  for (const n of m.notes) out.push(`${n.severity === 'info' ? 'NOTE' : n.severity.toUpperCase()}: ${n.message}`);
  return out;
}

function dfMethodName(m: string): string {
  return ({ residual: 'Residual', 'between-within': 'Between-Within', containment: 'Containment', satterthwaite: 'Satterthwaite', 'kenward-roger': 'Kenward-Roger' } as Record<string, string>)[m] ?? m;
}

function adjustName(a: string): string {
  return a === 'tukey' ? 'Tukey-Kramer' : a === 'bonferroni' ? 'Bonferroni' : a;
}

/**
 * One row per test: the estimate is the mean difference (paired t) or r (correlation); both are
 * tested with t on the df shown, with 95% limits (Fisher's z for r).
 */
function analysisTable(name: string, rows: AnalysisRow[]): string {
  return textTable(`Analysis ${name}`,
    [{ header: 'Test', align: 'left' }, { header: 'N' }, { header: 'Estimate' }, { header: 't Value' }, { header: 'DF' }, { header: 'Pr > |t|' }, { header: 'Lower' }, { header: 'Upper' }],
    rows.map((r) => [r.test, String(r.n), fmtEstimate(r.estimate ?? r.statistic), fmtStat(r.t ?? r.statistic), fmtDf(r.df), fmtP(r.p), fmtEstimate(r.lower ?? null), fmtEstimate(r.upper ?? null)]));
}

export function textReport(report: StudyReport): string {
  const parts: string[] = [];
  const heading = report.title ?? 'Study';
  parts.push(`${heading}\n${'='.repeat(heading.length)}\nData: ${report.dataPath}`);
  for (const m of report.models) {
    const title = `Model ${m.name}`;
    parts.push(`${title}\n${'-'.repeat(title.length)}`);
    parts.push(...modelSections(m));
  }
  const byAnalysis = new Map<string, AnalysisRow[]>();
  for (const r of report.other) {
    const list = byAnalysis.get(r.analysis) ?? [];
    list.push(r);
    byAnalysis.set(r.analysis, list);
  }
  for (const [name, rows] of byAnalysis) parts.push(analysisTable(name, rows));
  return parts.join('\n\n') + '\n';
}
