// ADaM level orders (src/level-order.ts): AVISIT by AVISITN, and how that order meets SAS's sort in the design.
import { describe, expect, it } from 'vitest';
import { applyLevelOrder, orderByCode } from '../src/level-order.js';
import { buildDesign } from '../src/design.js';
import type { ModelSpec } from '../src/model-spec.js';

const rows = [
  { AVISIT: 'Week 12', AVISITN: 12, y: 3, id: 'a' },
  { AVISIT: 'Baseline', AVISITN: 0, y: 1, id: 'a' },
  { AVISIT: 'Week 2', AVISITN: 2, y: 2, id: 'a' },
  { AVISIT: 'Week 2', AVISITN: 2, y: 2.5, id: 'b' },
  { AVISIT: null, AVISITN: 4, y: 2, id: 'b' },
  { AVISIT: 'Week 12', AVISITN: 12, y: 4, id: 'b' },
];

describe('orderByCode', () => {
  it('orders the levels by their code, ignoring rows where the level is missing', () => {
    expect(orderByCode(rows, 'AVISIT', 'AVISITN')).toEqual({ ok: true, levels: ['Baseline', 'Week 2', 'Week 12'] });
  });
  it('refuses a level with two codes, or none', () => {
    expect(orderByCode([...rows, { AVISIT: 'Week 2', AVISITN: 3, y: 1, id: 'c' }], 'AVISIT', 'AVISITN')).toEqual({ ok: false, level: 'Week 2', codes: [2, 3] });
    expect(orderByCode([{ AVISIT: 'X', AVISITN: null }], 'AVISIT', 'AVISITN')).toEqual({ ok: false, level: 'X', codes: [] });
  });
});

describe('applyLevelOrder', () => {
  it('puts the listed levels in the given order and keeps the others after them', () => {
    expect(applyLevelOrder(['Baseline', 'Week 12', 'Week 2', 'Unscheduled'], ['Baseline', 'Week 2', 'Week 12'])).toEqual(['Baseline', 'Week 2', 'Week 12', 'Unscheduled']);
    expect(applyLevelOrder(['b', 'a'], undefined)).toEqual(['b', 'a']);
  });
  it('reaches the design: class levels and the repeated effect, with REF= still last', () => {
    const spec: ModelSpec = {
      name: 'm', response: 'y', subject: 'id', classes: ['AVISIT'], fixed: [['AVISIT']], intercept: true,
      repeated: { effect: 'AVISIT', type: 'UN' }, random: [], method: 'REML', ddfm: 'residual', estimates: [], lsmeans: [],
      classOrder: { AVISIT: ['Baseline', 'Week 2', 'Week 12'] },
    };
    const design = buildDesign(rows, spec);
    expect(design.classLevels.get('AVISIT')).toEqual(['Baseline', 'Week 2', 'Week 12']);
    expect(design.repeatedLevels).toEqual(['Baseline', 'Week 2', 'Week 12']);
    const withRef = buildDesign(rows, { ...spec, classReference: { AVISIT: 'Baseline' } });
    expect(withRef.classLevels.get('AVISIT')).toEqual(['Week 2', 'Week 12', 'Baseline']);
    const sorted = buildDesign(rows, { ...spec, classOrder: undefined });
    expect(sorted.classLevels.get('AVISIT')).toEqual(['Baseline', 'Week 12', 'Week 2']);
  });
});
