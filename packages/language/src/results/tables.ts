/**
 * How results are shown in the editor: small Markdown tables for hovers (numbers as `study run`
 * prints them, SAS style) and one-line headlines for inlay hints (APA style: F(4,47) = 4.81, p = .0025).
 */
import type { AnalysisRow, CandidateRow, DiffRow, EstimateRow, LsMeanRow, RandomSolutionRow, Type3Row } from '@study/engine';

const MINUS = '\u2212';

/** A number as in the report tables: 4 decimals, fewer digits for large values, '.' when missing. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '.';
  const a = Math.abs(x);
  if (a !== 0 && a < 0.001) return x.toPrecision(4);
  return a >= 10000 ? x.toFixed(1) : x.toFixed(4);
}

/** A p-value as SAS prints it: 4 decimals, `<.0001` below. */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '.';
  return p < 0.0001 ? '<.0001' : p.toFixed(4);
}

/** Degrees of freedom: whole numbers as they are, approximate df (Satterthwaite, KR) with 2 decimals. */
export function dfText(df: number | null | undefined, decimals = 2): string {
  if (df === null || df === undefined || !Number.isFinite(df)) return '.';
  return Number.isInteger(df) ? String(df) : df.toFixed(decimals);
}

/** APA-style number for headlines: a true minus sign, no leading zero for p. */
function apa(x: number, decimals: number): string {
  const s = Math.abs(x).toFixed(decimals);
  return x < 0 && Number(s) !== 0 ? `${MINUS}${s}` : s;
}

/** p in a headline: `p = .0025`, `p = .034`, `p = .70`, `p < .0001`. */
export function apaP(p: number): string {
  if (!Number.isFinite(p)) return 'p = .';
  if (p < 0.0001) return 'p < .0001';
  const decimals = p < 0.01 ? 4 : p < 0.1 ? 3 : 2;
  return `p = ${p.toFixed(decimals).replace(/^0/, '')}`;
}

export function type3Headline(r: Type3Row): string {
  if (r.numdf === 0 || r.F === null || r.p === null || r.dendf === null) return 'not tested: confounded with other effects (0 df)';
  return `F(${dfText(r.numdf, 1)},${dfText(r.dendf, 1)}) = ${apa(r.F, 2)}, ${apaP(r.p)}`;
}

export function analysisHeadline(r: AnalysisRow): string {
  if (r.test.startsWith('Pearson')) return `r = ${apa(r.statistic, 2)}, ${apaP(r.p)}`;
  return `t(${dfText(r.df, 1)}) = ${apa(r.t ?? r.statistic, 2)}, ${apaP(r.p)}`;
}

export function selectionHeadline(candidates: CandidateRow[], criterion: 'AIC' | 'AICC' | 'BIC'): string | undefined {
  const chosen = candidates.find((c) => c.chosen);
  if (!chosen) return undefined;
  const value = criterion === 'AIC' ? chosen.aic : criterion === 'AICC' ? chosen.aicc : chosen.bic;
  return `${chosen.structure} (${criterion} ${value.toFixed(1)})`;
}

// ------------------------------------------------------------------ Markdown tables

function table(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const a = align ?? header.map((_, k) => (k === 0 ? 'l' : 'r'));
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${a.map((x) => (x === 'l' ? ':--' : '--:')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

const ci = (lower: number | null | undefined, upper: number | null | undefined) =>
  lower === undefined || upper === undefined ? '' : `${num(lower)} to ${num(upper)}`;

export function type3Table(rows: Type3Row[]): string {
  return table(
    ['Effect', 'Num DF', 'Den DF', 'F', 'Pr > F'],
    rows.map((r) => [r.effect, dfText(r.numdf), dfText(r.dendf), num(r.F), pValue(r.p)]),
  );
}

export function estimatesTable(rows: EstimateRow[]): string {
  return table(
    ['Label', 'Estimate', 'SE', 'DF', 't', 'Pr > |t|', '95% CI'],
    rows.map((r) => [r.label, num(r.estimate), num(r.se), dfText(r.df), num(r.t), pValue(r.p), ci(r.lower, r.upper)]),
  );
}

export function randomSolutionTable(rows: RandomSolutionRow[]): string {
  return table(
    ['Effect', 'Subject / level', 'Estimate', 'Std Err Pred', 'DF', 't', 'Pr > |t|'],
    rows.map((r) => [
      r.effect,
      [r.subject, ...Object.entries(r.levels ?? {}).map(([k, v]) => `${k} ${v}`)].filter(Boolean).join(' '),
      num(r.estimate), num(r.se), dfText(r.df), num(r.t), pValue(r.p),
    ]),
  );
}

export function selectionTable(rows: CandidateRow[]): string {
  return table(
    ['Structure', 'q', '−2 Res LL', 'AIC', 'AICC', 'BIC', ''],
    rows.map((r) => [r.structure, String(r.q), num(r.minus2ll), num(r.aic), num(r.aicc), num(r.bic), r.chosen ? 'chosen' : r.converged ? '' : 'not converged']),
  );
}

export function lsMeansTable(rows: LsMeanRow[]): string {
  return table(
    [rows[0]?.effect ?? 'Level', 'Estimate', 'SE', 'DF', 't', 'Pr > |t|', '95% CI'],
    rows.map((r) => [r.level, num(r.estimate), num(r.se), dfText(r.df), num(r.t), pValue(r.p), ci(r.lower, r.upper)]),
  );
}

export function diffsTable(rows: DiffRow[]): string {
  const adjusted = rows.some((r) => r.p_adj !== undefined);
  const adjust = rows.find((r) => r.adjust)?.adjust;
  return table(
    [rows[0]?.effect ?? 'Level', 'vs', 'Estimate', 'SE', 'DF', 't', 'Pr > |t|', ...(adjusted ? [`Adj P (${adjust})`] : [])],
    rows.map((r) => [r.level, r.vs, num(r.estimate), num(r.se), dfText(r.df), num(r.t), pValue(r.p), ...(adjusted ? [pValue(r.p_adj)] : [])]),
  );
}

export function analysisTable(rows: AnalysisRow[]): string {
  return table(
    ['Test', 'Statistic', 'DF', 'p', 'Estimate', '95% CI', 'n'],
    rows.map((r) => [r.test, num(r.statistic), dfText(r.df), pValue(r.p), num(r.estimate), ci(r.lower, r.upper), String(r.n)]),
  );
}
