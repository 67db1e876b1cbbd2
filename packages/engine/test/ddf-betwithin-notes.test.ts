/**
 * Between-within df with two within-subject classification effects: SAS partitions the within df among
 * them, which the engine does not do, so the report must say so instead of printing df silently.
 */
import { describe, expect, it } from 'vitest';
import { runPlanOnData, type Dataset, type ModelSpec, type StudyPlan, type Value } from '../src/index.js';

function crossover(): Dataset {
  let seed = 11;
  const u = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const rows: Record<string, Value>[] = [];
  for (let s = 0; s < 12; s++) {
    const b = u() * 4;
    for (let period = 1; period <= 2; period++) {
      for (let time = 1; time <= 3; time++) rows.push({ id: `S${s}`, period, time, slot: (period - 1) * 3 + time, y: b + period + 0.5 * time + u() });
    }
  }
  return { columns: ['id', 'period', 'time', 'slot', 'y'].map((name) => ({ name, kind: name === 'id' ? 'text' : 'numeric', missing: 0, distinct: [] })), rows };
}

const spec = (fixed: string[][]): ModelSpec => ({
  name: 'm', response: 'y', subject: 'id', classes: ['period', 'time'], fixed, intercept: true,
  repeated: { effect: 'slot', type: 'CS' }, random: [], method: 'REML', ddfm: 'between-within', estimates: [], lsmeans: [],
});

const plan = (s: ModelSpec): StudyPlan => ({ dataPath: 'x', subject: 'id', derived: [], filters: [], analyses: [], models: [{ spec: s, filters: [] }] });

describe('between-within with several within-subject factors', () => {
  it('notes that SAS would partition the within-subject df', () => {
    const { report, failures } = runPlanOnData(plan(spec([['period'], ['time'], ['period', 'time']])), crossover());
    expect(failures).toEqual([]);
    const note = report.models[0].notes.find((n) => n.message.startsWith('between-within df:'));
    expect(note?.message).toMatch(/period and time both vary within subjects; SAS would partition the within-subject df \(\d+\)/);
  });

  it('says nothing with a single within-subject factor', () => {
    const { report } = runPlanOnData(plan(spec([['time']])), crossover());
    expect(report.models[0].notes.filter((n) => n.message.startsWith('between-within df:'))).toEqual([]);
  });
});
