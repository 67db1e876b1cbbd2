/**
 * Large studies: the figures keep at most MAX_PLOTTED_POINTS dots per scatter, say how many they stand
 * for, and keep both tails of the Q-Q plot; the model lines are still computed from all the data.
 */
import { describe, expect, it } from 'vitest';
import { MAX_PLOTTED_POINTS, runPlanOnData, type Dataset, type StudyPlan, type Value } from '../src/index.js';

function simulated(subjects: number): Dataset {
  let seed = 7;
  const u = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const rows: Record<string, Value>[] = [];
  for (let s = 0; s < subjects; s++) {
    const age = 20 + Math.floor(50 * u());
    const b = 10 * (u() - 0.5);
    for (let v = 1; v <= 4; v++) rows.push({ id: `S${s}`, visit: v, age, y: 5 * v + 0.1 * age + b + 4 * (u() - 0.5) });
  }
  return {
    columns: [
      { name: 'id', kind: 'text', missing: 0, distinct: [] },
      { name: 'visit', kind: 'numeric', missing: 0, distinct: [] },
      { name: 'age', kind: 'numeric', missing: 0, distinct: [] },
      { name: 'y', kind: 'numeric', missing: 0, distinct: [] },
    ],
    rows,
  };
}

describe('figures of a large study', () => {
  it('thins scatters and residuals, keeping the extremes of the Q-Q plot', () => {
    const plan: StudyPlan = {
      dataPath: 'simulated',
      subject: 'id',
      derived: [],
      filters: [],
      analyses: [],
      models: [{
        filters: [],
        spec: {
          name: 'm', response: 'y', subject: 'id', classes: ['visit'], fixed: [['visit'], ['age'], ['visit', 'age']], intercept: true,
          repeated: { effect: 'visit', type: 'CS' }, random: [], method: 'REML', ddfm: 'between-within', estimates: [], lsmeans: [],
        },
      }],
    };
    const n = 1500 * 4;
    const { report, failures } = runPlanOnData(plan, simulated(1500));
    expect(failures).toEqual([]);
    const residuals = report.figures!.find((f) => f.kind === 'residuals')!;
    if (residuals.kind !== 'residuals') throw new Error('no residuals figure');
    expect(residuals.points).toHaveLength(MAX_PLOTTED_POINTS);
    expect(residuals.pointsOf).toBe(n);
    expect(residuals.qq).toHaveLength(MAX_PLOTTED_POINTS);
    const all = residuals.qq.map((q) => q.sample);
    // the smallest and largest residuals are kept, in order
    expect(all).toEqual([...all].sort((a, b) => a - b));
    const scatter = report.figures!.find((f) => f.kind === 'covariate-scatter')!;
    if (scatter.kind !== 'covariate-scatter') throw new Error('no scatter');
    expect(scatter.panels[0].points.length).toBeLessThanOrEqual(MAX_PLOTTED_POINTS);
    expect(scatter.panels[0].pointsOf ?? scatter.panels[0].points.length).toBe(1500);
  });
});
