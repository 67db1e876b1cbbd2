/**
 * The figures of the ketamine example (src/figures.ts) against R: test/reference/r/figures.R writes
 * test/fixtures/figures-ketamine.json from an nlme::gls UN fit refined at the REML optimum and lm().
 * The plan is the one `examples/ketamine/ketamine.study` builds (written out here: the engine does
 * not depend on the language package).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readDataFile } from '../src/data.js';
import { runPlanOnData } from '../src/run-study.js';
import type {
  AnalysisScatterFigure,
  CovariateScatterFigure,
  Figure,
  ObservedMeansFigure,
  ResidualsFigure,
  TrajectoriesFigure,
} from '../src/figure-types.js';
import { quantile7 } from '../src/figures.js';
import { normalQuantile } from '../src/distributions/central.js';
import { ketaminePlan } from './ketamine-plan.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const ref = JSON.parse(readFileSync(here('./fixtures/figures-ketamine.json'), 'utf8'));
const REL = 1e-4;

/**
 * |a − b| ≤ rel · max(|b|, scale): relative, with a floor for numbers that are near zero by chance
 * (for predictions and confidence limits the floor is their standard error, the scale they are known on).
 */
function close(actual: number, expected: number, what: string, scale = 1e-6): void {
  const ok = Math.abs(actual - expected) <= REL * Math.max(Math.abs(expected), scale);
  if (!ok) expect.fail(`${what}: ${actual} vs R ${expected}`);
}

const plan = ketaminePlan();

const csv = here('../../../test/conformance/ketamine-synthetic/ketamine.csv');
const data = readDataFile(csv);
const run = runPlanOnData(plan, data);
const figures: Figure[] = run.report.figures ?? [];
const find = <K extends Figure['kind']>(kind: K) => figures.find((f) => f.kind === kind) as Extract<Figure, { kind: K }>;

describe('figures of the ketamine example, against R', () => {
  it('fits the model that the R reference fits (UN) and draws all five figures', () => {
    expect(run.failures).toEqual([]);
    expect(run.report.models[0]!.chosen_structure).toBe('UN');
    expect(figures.map((f) => f.kind).sort()).toEqual(['analysis-scatter', 'covariate-scatter', 'observed-means', 'residuals', 'trajectories']);
  });

  it('Fig. 1: observed means ± SEM per visit over the rows the model used', () => {
    const f: ObservedMeansFigure = find('observed-means');
    expect(f.factor).toBe('visit');
    expect(f.points.map((p) => p.level)).toEqual(ref.observed_means.map((p: { level: string }) => p.level));
    f.points.forEach((p, k) => {
      const r = ref.observed_means[k];
      expect(p.n).toBe(r.n);
      close(p.mean, r.mean, `mean at ${p.level}`);
      close(p.sem, r.sem, `SEM at ${p.level}`);
    });
  });

  it('Fig. 2B: predicted trajectories at the min, quartiles and max of age, with 95% CI', () => {
    const f: TrajectoriesFigure = find('trajectories');
    expect(f.covariate).toBe('age');
    expect(f.lines.map((l) => l.label)).toEqual(['min', 'Q1', 'median', 'Q3', 'max']);
    f.lines.forEach((line, k) => {
      const r = ref.trajectories[k];
      close(line.covariateValue, r.covariateValue, `${line.label} age`);
      line.points.forEach((p, j) => {
        const rp = r.points[j];
        expect(p.level).toBe(rp.level);
        expect(p.df).toBe(rp.df);
        close(p.predicted, rp.predicted, `prediction at ${line.label}, visit ${p.level}`, rp.se);
        close(p.se!, rp.se, `SE at ${line.label}, visit ${p.level}`);
        close(p.lower, rp.lower, `lower at ${line.label}, visit ${p.level}`, rp.se);
        close(p.upper, rp.upper, `upper at ${line.label}, visit ${p.level}`, rp.se);
      });
    });
  });

  it('Fig. 2A: per-visit scatter of age vs outcome with the model line and 95% band', () => {
    const f: CovariateScatterFigure = find('covariate-scatter');
    expect(f.panels.map((p) => p.level)).toEqual(['2', '3', '4', '5', '6']);
    f.panels.forEach((panel, k) => {
      const r = ref.covariate_scatter[k];
      expect(panel.points.length).toBe(r.n);
      expect(panel.fit.length).toBe(r.fit.length);
      panel.fit.forEach((p, j) => {
        const rp = r.fit[j];
        close(p.x, rp.x, `grid x ${j} at ${panel.level}`);
        close(p.y, rp.y, `line at ${panel.level}, age ${rp.x}`, rp.se);
        close(p.se!, rp.se, `SE at ${panel.level}, age ${rp.x}`);
        close(p.lower, rp.lower, `band lower at ${panel.level}, age ${rp.x}`, rp.se);
        close(p.upper, rp.upper, `band upper at ${panel.level}, age ${rp.x}`, rp.se);
      });
    });
  });

  it('residuals: conditional y − Xβ̂ per subject, and the normal Q-Q plot', () => {
    const f: ResidualsFigure = find('residuals');
    expect(f.residualType).toBe('conditional');
    expect(f.points.length).toBe(ref.residuals.n);
    const bySubject = (pts: { subject?: string; residual: number; predicted: number }[]) => {
      const m = new Map<string, { residual: number; predicted: number }[]>();
      for (const p of pts) m.set(p.subject!, [...(m.get(p.subject!) ?? []), p]);
      for (const list of m.values()) list.sort((a, b) => a.predicted - b.predicted);
      return m;
    };
    const ours = bySubject(f.points);
    const theirs = bySubject(ref.residuals.points);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [s, list] of theirs) {
      list.forEach((r, k) => {
        close(ours.get(s)![k]!.predicted, r.predicted, `predicted, patient ${s}`, 1);
        close(ours.get(s)![k]!.residual, r.residual, `residual, patient ${s}`, 1);
      });
    }
    f.qq.forEach((q, k) => {
      close(q.theoretical, ref.residuals.qq[k].theoretical, `Q-Q theoretical ${k}`, 1e-3);
      close(q.sample, ref.residuals.qq[k].sample, `Q-Q sample ${k}`, 1);
    });
  });

  it('Fig. 3: durability (age vs pct_change #6 − follow-up) with the least-squares line and 95% band', () => {
    const f: AnalysisScatterFigure = find('analysis-scatter');
    const r = ref.durability;
    expect(f.analysis).toBe('durability');
    expect(f.points.length).toBe(r.n);
    expect(f.df).toBe(r.df);
    close(f.intercept!, r.intercept, 'intercept');
    close(f.slope!, r.slope, 'slope');
    close(f.r!, r.r, 'r');
    // the same r as the analysis row of the report
    close(f.r!, run.report.other.find((o) => o.test.startsWith('Pearson'))!.statistic, 'r vs report');
    f.fit.forEach((p, j) => {
      close(p.x, r.fit[j].x, `x ${j}`);
      close(p.y, r.fit[j].y, `fitted at age ${p.x}`, r.fit[j].se);
      close(p.se!, r.fit[j].se, `SE at age ${p.x}`);
      close(p.lower, r.fit[j].lower, `lower at age ${p.x}`, r.fit[j].se);
      close(p.upper, r.fit[j].upper, `upper at age ${p.x}`, r.fit[j].se);
    });
  });
});

describe('helpers', () => {
  it('normal quantile and type-7 quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 10);
    expect(quantile7([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 14);
  });
});
