import { describe, expect, it } from 'vitest';
import { applyFilters, deriveColumns, subjectValues } from '../src/prepare.js';

const rows = [
  { id: 'A', visit: 1, bdi: 40, age: 30 },
  { id: 'A', visit: 2, bdi: 30, age: 30 },
  { id: 'A', visit: 3, bdi: null, age: 30 },
  { id: 'B', visit: 1, bdi: 0, age: 50 },
  { id: 'B', visit: 2, bdi: 10, age: 50 },
  { id: 'C', visit: 2, bdi: 12, age: 60 },
];

describe('deriveColumns', () => {
  const spec = { kind: 'percent-change' as const, name: 'pct', variable: 'bdi', by: 'visit', baseline: 1 };

  it('computes percent change from the subject baseline, missing where y is missing', () => {
    const { rows: out } = deriveColumns(rows, [spec], 'id');
    expect(out.filter((r) => r.id === 'A').map((r) => r.pct)).toEqual([0, -25, null]);
  });

  it('reports subjects whose baseline is zero or absent instead of inventing a value', () => {
    const { rows: out, issues } = deriveColumns(rows, [spec], 'id');
    expect(out.filter((r) => r.id !== 'A').every((r) => r.pct === null)).toBe(true);
    expect(issues).toEqual([
      { derived: 'pct', subject: 'B', message: 'bdi is 0 at visit = 1 (percent change undefined)' },
      { derived: 'pct', subject: 'C', message: 'no row with visit = 1' },
    ]);
  });

  it('computes plain change and never modifies the input rows', () => {
    const before = JSON.stringify(rows);
    const { rows: out } = deriveColumns(rows, [{ ...spec, kind: 'change', name: 'chg' }], 'id');
    expect(out.filter((r) => r.id === 'B').map((r) => r.chg)).toEqual([0, 10]);
    expect(JSON.stringify(rows)).toBe(before);
  });
});

describe('centred covariates', () => {
  it('subtracts the centre on every row, missing stays missing', () => {
    const { rows: out } = deriveColumns(rows, [{ kind: 'centred', name: 'bdi_c', variable: 'bdi', centre: 10 }], 'id');
    expect(out.map((r) => r.bdi_c)).toEqual([30, 20, null, -10, 0, 2]);
  });
});

describe('applyFilters', () => {
  it('keeps where-rows and drops exclude-rows; a comparison with a missing value is unknown', () => {
    const kept = applyFilters(rows, [
      { mode: 'where', expr: { kind: 'in', column: 'visit', values: [2, 3] } },
      { mode: 'exclude', expr: { kind: 'compare', column: 'age', op: '>=', value: 60 } },
    ]);
    expect(kept.map((r) => `${r.id}${r.visit}`)).toEqual(['A2', 'A3', 'B2']);
    const notMissing = applyFilters(rows, [{ mode: 'exclude', expr: { kind: 'missing', column: 'bdi' } }]);
    expect(notMissing).toHaveLength(5);
    const either = applyFilters(rows, [
      { mode: 'where', expr: { kind: 'or', left: { kind: 'compare', column: 'id', op: '==', value: 'C' }, right: { kind: 'not', expr: { kind: 'compare', column: 'bdi', op: '<', value: 35 } } } },
    ]);
    // A3 has bdi missing: not (bdi < 35) is unknown there, so `where` drops it
    expect(either.map((r) => `${r.id}${r.visit}`)).toEqual(['A1', 'C2']);
    const excludeUnknown = applyFilters(rows, [{ mode: 'exclude', expr: { kind: 'compare', column: 'bdi', op: '>', value: 35 } }]);
    expect(excludeUnknown.map((r) => `${r.id}${r.visit}`)).toEqual(['A2', 'A3', 'B1', 'B2', 'C2']);
  });
});

describe('subjectValues', () => {
  it('takes one value per subject at a level, and differences of two', () => {
    const v = subjectValues(rows, 'id', { kind: 'value', value: { variable: 'bdi', at: { column: 'visit', level: 2 } } });
    expect(v).toEqual({ ids: ['A', 'B', 'C'], values: [30, 10, 12] });
    const d = subjectValues(rows, 'id', {
      kind: 'difference',
      left: { variable: 'bdi', at: { column: 'visit', level: 2 } },
      right: { variable: 'bdi', at: { column: 'visit', level: 1 } },
    });
    expect(d.values).toEqual([-10, 10, null]);
  });
});
