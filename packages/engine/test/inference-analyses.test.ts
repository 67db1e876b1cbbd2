/**
 * Paired t-test and Pearson correlation against the ketamine reference (`other`, R t.test / cor.test):
 * durability = pct_change at infusion #6 minus pct_change at follow-up, for patients with both.
 */
import { describe, expect, it } from 'vitest';
import { pairedTTest, pearsonCorrelation } from '../src/analyses.js';
import { close, readJson, rows } from './inference-cases.js';

describe('ketamine-synthetic: durability analyses', () => {
  const all = rows('ketamine-synthetic', 'ketamine.csv');
  const patients = [...new Set(all.map((r) => String(r.patient)))];
  const at = (p: string, visit: number) => all.find((r) => String(r.patient) === p && r.visit === visit);
  const pct = (p: string, visit: number): number | null => {
    const b = at(p, 1)?.bdi;
    const v = at(p, visit)?.bdi;
    return typeof b === 'number' && typeof v === 'number' ? (100 * (v - b)) / b : null;
  };
  const six = patients.map((p) => pct(p, 6));
  const followUp = patients.map((p) => pct(p, 7));
  const age = patients.map((p) => at(p, 1)!.age as number);
  const durability = six.map((v, i) => (v !== null && followUp[i] !== null ? v - followUp[i]! : null));
  const expected = readJson('ketamine-synthetic', 'expected.json').expected.other;

  it('paired t: #6 minus follow-up', () => {
    const got = pairedTTest(six, followUp);
    const e = expected[0];
    expect(got.n).toBe(e.n);
    expect(got.df).toBe(e.df);
    const errs = [close(got.statistic, e.statistic, { rel: 1e-12 }, 't'), close(got.p, e.p, { rel: 1e-10 }, 'p'), close(got.estimate, e.estimate, { rel: 1e-12 }, 'mean difference')];
    console.log(`paired t: max rel err ${Math.max(...errs).toExponential(2)}`);
  });

  it('Pearson r: age vs durability', () => {
    const got = pearsonCorrelation(age, durability);
    const e = expected[1];
    expect(got.n).toBe(e.n);
    expect(got.df).toBe(e.df);
    const errs = [close(got.statistic, e.statistic, { rel: 1e-12 }, 'r'), close(got.t, e.t, { rel: 1e-12 }, 't'), close(got.p, e.p, { rel: 1e-10 }, 'p')];
    console.log(`Pearson: max rel err ${Math.max(...errs).toExponential(2)}`);
  });
});
