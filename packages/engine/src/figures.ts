/**
 * The numbers behind the paper's figures (figure-types.ts), computed from a fitted model or a per-subject
 * analysis. Everything is plain arithmetic on what the fit already produced:
 *
 *  - Fig. 1 (observed means): mean ± SEM (sd / √n) of the outcome at each level of the repeated factor,
 *    over the rows the model used, by describe.ts's numericSummary; Fig. 1A: the same from the table of a
 *    `describe` block by a within-subject column (`by visit`), its very numbers.
 *  - Fig. 2B (trajectories): for a covariate c interacting with the repeated factor, the prediction
 *    x'β̂ at each level for c at its minimum, quartiles and maximum. Other covariates are held at their
 *    means over the rows used and other class factors are averaged with equal weights, exactly as
 *    LS-means are. SE = √(x' Cov(β̂) x); 95% limits = prediction ± t(0.975, df) SE, with df the
 *    LS-mean's df at that level when the model reports LS-means, else n − rank(X).
 *  - Fig. 2A (covariate scatter): at each level, the observed (c, y) pairs and the same prediction as a
 *    line over c's range at that level with its 95% confidence band.
 *  - Residuals: conditional residuals y − Xβ̂ − Zγ̂ against the conditional prediction Xβ̂ + Zγ̂, and a
 *    normal Q-Q plot (theoretical quantiles at R's ppoints), as SAS's residual panel (with BLUPs) and
 *    R's residuals(lmer) do. For a model with only R-side covariance Zγ̂ = 0 (y − Xβ̂).
 *  - Fig. 3 (analysis scatter): a correlation's per-subject pairs with the least-squares line
 *    y = a + b x and its 95% confidence band (R: predict(lm, interval = "confidence")).
 *
 * Quartiles are R's default (type 7). They are taken over subjects (one value each) when the covariate
 * is constant within subjects, otherwise over rows.
 */
import type { Design } from './design-types.js';
import type { FitResult } from './fit/index.js';
import type {
  AnalysisScatterFigure,
  CovariateScatterFigure,
  Figure,
  FitLinePoint,
  MeanPoint,
  ObservedMeansFigure,
  ResidualsFigure,
  TrajectoriesFigure,
} from './figure-types.js';
import type { DescriptiveTable, ModelReport } from './results.js';
import { numericSummary, sampleMean as mean, type NumericSummary } from './describe.js';
import type { PlannedAnalysis } from './plan.js';
import { levelText } from './data.js';
import { describeSubjectExpr, subjectValues, type Row } from './prepare.js';
import { normalQuantile, studentTQuantile } from './distributions/central.js';
import { randomEffectsFitted } from './inference/random-solution.js';

/** Everything a model's figures are computed from. */
export interface FittedModel {
  /** the rows handed to the design (after filters); Design.sourceRows index into them */
  rows: Row[];
  design: Design;
  fit: FitResult;
  report: ModelReport;
  /** the repeated (within-subject) factor, when the model has one */
  factor?: string;
  subject?: string;
}

/** Number of points on a fitted line or confidence band. */
const GRID = 21;

// ---------------------------------------------------------------- small statistics


/** R's quantile(x, p, type = 7). */
export function quantile7(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}


/**
 * Scatter plots of large studies are thinned to this many points (every k-th observation, in data
 * order, so the picture is reproducible): 300,000 dots draw as a blot and make the report and the
 * editor's results panel slow, while the model lines and bands are computed from all the data.
 */
export const MAX_PLOTTED_POINTS = 2000;

function thin<T>(points: T[]): T[] {
  if (points.length <= MAX_PLOTTED_POINTS) return points;
  const stride = points.length / MAX_PLOTTED_POINTS;
  return Array.from({ length: MAX_PLOTTED_POINTS }, (_, k) => points[Math.floor(k * stride)]!);
}

/** Evenly spaced order statistics, always keeping the smallest and the largest (the tails of a Q-Q plot). */
function thinSorted<T>(points: T[]): T[] {
  if (points.length <= MAX_PLOTTED_POINTS) return points;
  const last = points.length - 1;
  return Array.from({ length: MAX_PLOTTED_POINTS }, (_, k) => points[Math.round((k * last) / (MAX_PLOTTED_POINTS - 1))]!);
}

/** R's ppoints(n): (i − a) / (n + 1 − 2a), a = 3/8 for n ≤ 10, else 1/2. */
function ppoints(n: number): number[] {
  const a = n <= 10 ? 3 / 8 : 1 / 2;
  return Array.from({ length: n }, (_, i) => (i + 1 - a) / (n + 1 - 2 * a));
}

function grid(lo: number, hi: number, k = GRID): number[] {
  if (!(hi > lo)) return [lo];
  return Array.from({ length: k }, (_, i) => lo + ((hi - lo) * i) / (k - 1));
}

// ---------------------------------------------------------------- model predictions

/**
 * The design row x of a prediction: the repeated factor at `level`, covariates at `values` (others at
 * their means over the rows used), other class variables averaged with equal weights (as LS-means).
 */
export function predictionRow(design: Design, factor: string, level: string, values: Record<string, number>): number[] {
  return design.columns.map((col) => {
    const term = col.termIndex >= 0 ? design.terms[col.termIndex]! : [];
    let w = 1;
    for (const v of term) {
      const classLevels = design.classLevels.get(v);
      if (classLevels) {
        if (v === factor) w *= col.levels[v] === level ? 1 : 0;
        else w /= classLevels.length;
      } else {
        const x = v in values ? values[v]! : design.covariateMeans.get(v);
        if (x === undefined) throw new Error(`no value for covariate '${v}'`);
        w *= x;
      }
    }
    return w;
  });
}

/** x'β̂ and its standard error √(x' Cov(β̂) x). */
function predict(fit: FitResult, x: number[]): { estimate: number; se: number } {
  let estimate = 0;
  let variance = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] === 0) continue;
    estimate += x[i]! * fit.beta[i]!;
    for (let j = 0; j < x.length; j++) if (x[j] !== 0) variance += x[i]! * x[j]! * fit.covBeta.get(i, j);
  }
  return { estimate, se: Math.sqrt(Math.max(variance, 0)) };
}

/** The df of a prediction at a level: the model's LS-mean df there, else n − rank(X). */
function levelDf(m: FittedModel, level: string): number {
  const ls = m.report.lsmeans.find((r) => r.effect === m.factor && r.level === level);
  return ls?.df ?? m.design.n - m.design.rankX;
}

function levelsOf(m: FittedModel): string[] {
  return m.design.repeatedLevels ?? m.design.classLevels.get(m.factor!) ?? [];
}

function rowLevel(m: FittedModel, i: number): string {
  return levelText(m.rows[m.design.sourceRows[i]!]![m.factor!] ?? null);
}

function rowValue(m: FittedModel, i: number, v: string): number | null {
  const x = m.rows[m.design.sourceRows[i]!]![v];
  return typeof x === 'number' ? x : null;
}

function rowSubject(m: FittedModel, i: number): string | undefined {
  return m.subject ? levelText(m.rows[m.design.sourceRows[i]!]![m.subject] ?? null) : undefined;
}

/** Covariates (numeric, not class) that appear in a fixed term together with the repeated factor. */
export function interactingCovariates(design: Design, factor: string): string[] {
  const found: string[] = [];
  for (const term of design.terms) {
    if (!term.includes(factor)) continue;
    for (const v of term) if (v !== factor && !design.classLevels.has(v) && !found.includes(v)) found.push(v);
  }
  return found;
}

/** The covariate values quartiles are taken over: one per subject when constant within subjects. */
function covariateSample(m: FittedModel, c: string): number[] {
  const byRow: number[] = [];
  const bySubject = new Map<string, number>();
  let constant = Boolean(m.subject);
  for (let i = 0; i < m.design.n; i++) {
    const x = rowValue(m, i, c);
    if (x === null) continue;
    byRow.push(x);
    const s = rowSubject(m, i);
    if (s === undefined) continue;
    const prev = bySubject.get(s);
    if (prev === undefined) bySubject.set(s, x);
    else if (prev !== x) constant = false;
  }
  return constant ? [...bySubject.values()] : byRow;
}

function otherMeans(design: Design, except: string): Record<string, number> {
  const at: Record<string, number> = {};
  for (const [v, x] of design.covariateMeans) if (v !== except) at[v] = x;
  return at;
}

// ---------------------------------------------------------------- figures of a model

export function observedMeansFigure(m: FittedModel): ObservedMeansFigure {
  const byLevel = new Map<string, number[]>(levelsOf(m).map((l) => [l, []]));
  for (let i = 0; i < m.design.n; i++) byLevel.get(rowLevel(m, i))?.push(m.design.y[i]!);
  // the statistics of a `describe` block (describe.ts), so that Fig. 1 and the descriptive tables agree
  const points = [...byLevel].filter(([, ys]) => ys.length > 0).map(([level, ys]) => meanPoint(level, numericSummary(ys)));
  return { kind: 'observed-means', model: m.report.name, outcome: m.report.info.response, factor: m.factor!, points };
}

function meanPoint(level: string, s: Pick<NumericSummary, 'n' | 'mean' | 'sem'>): MeanPoint {
  // one value has no spread: its bar has no length
  return { level, mean: s.mean!, sem: s.sem ?? 0, n: s.n };
}

/**
 * Fig. 1A: the means ± SEM of a `describe` block by a column that varies within subject (`describe
 * course { bdi; by visit }`), one figure per numeric variable, drawn from the table's own numbers.
 */
export function describeFigures(table: DescriptiveTable): ObservedMeansFigure[] {
  if (table.by.length !== 1 || !table.per.includes(table.by[0]!)) return [];
  const factor = table.by[0]!;
  const labels = [...new Set(table.rows.filter((r) => r.kind === 'numeric').map((r) => r.label))];
  return labels.map((outcome) => ({
    kind: 'observed-means' as const,
    describe: table.name,
    outcome,
    factor,
    points: table.rows
      .filter((r) => r.label === outcome && r.by && r.n > 0 && typeof r.mean === 'number')
      .map((r) => meanPoint(r.by![factor]!, { n: r.n, mean: r.mean!, sem: r.sem ?? null })),
  }));
}

export function trajectoriesFigure(m: FittedModel, covariate: string): TrajectoriesFigure {
  const sample = covariateSample(m, covariate);
  const at = [
    { label: 'min', p: 0 },
    { label: 'Q1', p: 0.25 },
    { label: 'median', p: 0.5 },
    { label: 'Q3', p: 0.75 },
    { label: 'max', p: 1 },
  ];
  const levels = levelsOf(m);
  const lines = at.map(({ label, p }) => {
    const value = quantile7(sample, p);
    const points = levels.map((level) => {
      const { estimate, se } = predict(m.fit, predictionRow(m.design, m.factor!, level, { [covariate]: value }));
      const df = levelDf(m, level);
      const half = studentTQuantile(0.975, df) * se;
      return { level, predicted: estimate, lower: estimate - half, upper: estimate + half, se, df };
    });
    return { label, covariateValue: value, points };
  });
  return {
    kind: 'trajectories',
    model: m.report.name,
    outcome: m.report.info.response,
    factor: m.factor!,
    covariate,
    lines,
    at: otherMeans(m.design, covariate),
  };
}

export function covariateScatterFigure(m: FittedModel, covariate: string): CovariateScatterFigure {
  const panels = levelsOf(m).map((level) => {
    const points: { x: number; y: number; subject?: string }[] = [];
    for (let i = 0; i < m.design.n; i++) {
      if (rowLevel(m, i) !== level) continue;
      const x = rowValue(m, i, covariate);
      if (x === null) continue;
      const subject = rowSubject(m, i);
      points.push({ x, y: m.design.y[i]!, ...(subject !== undefined ? { subject } : {}) });
    }
    const df = levelDf(m, level);
    const tq = studentTQuantile(0.975, df);
    // reduce, not Math.min(...xs): spreading hundreds of thousands of arguments overflows the stack
    const lo = points.reduce((a, p) => Math.min(a, p.x), Infinity);
    const hi = points.reduce((a, p) => Math.max(a, p.x), -Infinity);
    const fit: FitLinePoint[] =
      points.length === 0
        ? []
        : grid(lo, hi).map((x) => {
            const { estimate, se } = predict(m.fit, predictionRow(m.design, m.factor!, level, { [covariate]: x }));
            return { x, y: estimate, lower: estimate - tq * se, upper: estimate + tq * se, se };
          });
    const shown = thin(points);
    return { level, points: shown, fit, df, ...(shown.length < points.length ? { pointsOf: points.length } : {}) };
  });
  return {
    kind: 'covariate-scatter',
    model: m.report.name,
    outcome: m.report.info.response,
    factor: m.factor!,
    covariate,
    panels,
    at: otherMeans(m.design, covariate),
  };
}

export function residualsFigure(m: FittedModel): ResidualsFigure {
  const { design, fit } = m;
  const points: ResidualsFigure['points'] = [];
  const zGamma = randomEffectsFitted(design, fit);
  for (let i = 0; i < design.n; i++) {
    const predicted = zGamma[i]! + design.X.rowDot(i, fit.beta);
    const subject = rowSubject(m, i);
    points.push({ predicted, residual: design.y[i]! - predicted, ...(subject !== undefined ? { subject } : {}) });
  }
  const sorted = points.map((p) => p.residual).sort((a, b) => a - b);
  const qq = thinSorted(ppoints(sorted.length).map((p, k) => ({ theoretical: normalQuantile(p), sample: sorted[k]! })));
  const shown = thin(points);
  return {
    kind: 'residuals',
    model: m.report.name,
    points: shown,
    qq,
    residualType: 'conditional',
    ...(shown.length < points.length ? { pointsOf: points.length } : {}),
  };
}

/** Every figure of one fitted model (none for the means and trajectories without a repeated factor). */
export function modelFigures(m: FittedModel): Figure[] {
  const figures: Figure[] = [];
  if (m.factor && m.design.classLevels.has(m.factor)) {
    figures.push(observedMeansFigure(m));
    for (const c of interactingCovariates(m.design, m.factor)) {
      figures.push(covariateScatterFigure(m, c), trajectoriesFigure(m, c));
    }
  }
  figures.push(residualsFigure(m));
  return figures;
}

// ---------------------------------------------------------------- figures of an analysis

/** Least-squares line of y on x with its 95% confidence band (R: predict(lm(y ~ x), interval = "confidence")). */
export function leastSquaresBand(xs: number[], ys: number[]): { intercept: number; slope: number; df: number; r: number; fit: FitLinePoint[] } {
  const n = xs.length;
  const mx = mean(xs);
  const my = mean(ys);
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    syy += (ys[i]! - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const df = n - 2;
  const s2 = (syy - slope * sxy) / df;
  const tq = studentTQuantile(0.975, df);
  const fit = grid(xs.reduce((a, x) => Math.min(a, x), Infinity), xs.reduce((a, x) => Math.max(a, x), -Infinity)).map((x) => {
    const y = intercept + slope * x;
    const se = Math.sqrt(s2 * (1 / n + (x - mx) ** 2 / sxx));
    return { x, y, lower: y - tq * se, upper: y + tq * se, se };
  });
  return { intercept, slope, df, r: sxy / Math.sqrt(sxx * syy), fit };
}

/** Fig. 3: one scatter per correlation of a per-subject analysis. */
export function analysisFigures(rows: Row[], subject: string | undefined, planned: PlannedAnalysis): AnalysisScatterFigure[] {
  if (!subject) return [];
  const figures: AnalysisScatterFigure[] = [];
  for (const t of planned.tests) {
    if (t.kind !== 'correlation') continue;
    const x = subjectValues(rows, subject, t.x);
    const y = subjectValues(rows, subject, t.y);
    const yById = new Map(y.ids.map((id, k) => [id, y.values[k]]));
    const points: { x: number; y: number; subject: string }[] = [];
    x.ids.forEach((id, k) => {
      const xv = x.values[k];
      const yv = yById.get(id);
      if (typeof xv === 'number' && typeof yv === 'number') points.push({ x: xv, y: yv, subject: id });
    });
    if (points.length < 3) continue;
    const band = leastSquaresBand(
      points.map((p) => p.x),
      points.map((p) => p.y),
    );
    const xLabel = describeSubjectExpr(t.x);
    const yLabel = describeSubjectExpr(t.y);
    figures.push({
      kind: 'analysis-scatter',
      analysis: planned.name,
      title: `${planned.name}: ${xLabel} vs ${yLabel}`,
      xLabel,
      yLabel,
      points,
      ...band,
    });
  }
  return figures;
}
