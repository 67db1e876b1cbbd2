/**
 * Per-subject analyses outside the mixed model: the paired t-test and Pearson's correlation test,
 * on two numeric vectors aligned by subject, using pairwise-complete cases (a subject missing
 * either value is dropped), as R's t.test(paired = TRUE) and cor.test do.
 */
import type { AnalysisRow } from './results.js';
import { studentTQuantile, studentTTwoSidedP } from './distributions/central.js';

export type MaybeNumber = number | null | undefined;

function completePairs(x: MaybeNumber[], y: MaybeNumber[]): [number[], number[]] {
  if (x.length !== y.length) throw new Error(`paired data must have equal lengths (${x.length} vs ${y.length})`);
  const a: number[] = [];
  const b: number[] = [];
  x.forEach((xi, i) => {
    const yi = y[i];
    if (typeof xi === 'number' && typeof yi === 'number' && Number.isFinite(xi) && Number.isFinite(yi)) {
      a.push(xi);
      b.push(yi);
    }
  });
  return [a, b];
}

function mean(v: number[]): number {
  // two-pass mean: the correction term removes most of the rounding of the first pass
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return m + v.reduce((s, x) => s + (x - m), 0) / v.length;
}

/**
 * Paired t-test of mean(x − y) = 0: statistic t, df = n − 1, two-sided p, the mean difference and
 * its (1 − α) confidence interval.
 */
export function pairedTTest(x: MaybeNumber[], y: MaybeNumber[], options: { label?: string; alpha?: number } = {}): AnalysisRow {
  const [a, b] = completePairs(x, y);
  const n = a.length;
  if (n < 2) throw new Error(`paired t-test needs at least 2 complete pairs (got ${n})`);
  const d = a.map((v, i) => v - b[i]!);
  const md = mean(d);
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - md) ** 2, 0) / (n - 1));
  const se = sd / Math.sqrt(n);
  // Identical differences leave t undefined (0/0) or infinite: no test to report.
  if (se === 0) throw new Error(`paired t-test is undefined: all ${n} paired differences are equal (${md})`);
  const df = n - 1;
  const t = md / se;
  const crit = studentTQuantile(1 - (options.alpha ?? 0.05) / 2, df);
  return {
    analysis: 'paired t-test',
    test: options.label ?? 'paired t',
    statistic: t,
    df,
    p: studentTTwoSidedP(t, df),
    estimate: md,
    t,
    n,
    lower: md - crit * se,
    upper: md + crit * se,
  };
}

/**
 * Pearson correlation and its t test (t = r √(n − 2) / √(1 − r²), df = n − 2). The interval is
 * Fisher's z interval, as R's cor.test reports (needs n > 3).
 */
export function pearsonCorrelation(x: MaybeNumber[], y: MaybeNumber[], options: { label?: string; alpha?: number } = {}): AnalysisRow {
  const [a, b] = completePairs(x, y);
  const n = a.length;
  if (n < 3) throw new Error(`correlation test needs at least 3 complete pairs (got ${n})`);
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  // A constant variable has no correlation with anything: say so rather than report NaN.
  if (saa === 0 || sbb === 0) throw new Error(`correlation is undefined: ${saa === 0 ? 'the first' : 'the second'} variable is constant over the ${n} complete pairs`);
  const r = sab / Math.sqrt(saa * sbb);
  const df = n - 2;
  const t = (r * Math.sqrt(df)) / Math.sqrt(1 - r * r);
  const row: AnalysisRow = {
    analysis: 'Pearson correlation',
    test: options.label ?? 'Pearson r',
    statistic: r,
    df,
    p: studentTTwoSidedP(t, df),
    t,
    n,
  };
  if (n > 3) {
    const z = Math.atanh(r);
    // normal quantile via the t quantile with infinite df
    const crit = studentTQuantile(1 - (options.alpha ?? 0.05) / 2, Infinity) / Math.sqrt(n - 3);
    row.lower = Math.tanh(z - crit);
    row.upper = Math.tanh(z + crit);
  }
  return row;
}
