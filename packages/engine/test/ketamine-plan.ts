/**
 * The plan `examples/ketamine/ketamine.study` builds, written out for the engine's tests (the engine does
 * not depend on the language package): percent change of BDI-II from visit 1, the `trajectory` model on
 * visits 2..6 (visit, age, visit x age; CS / AR(1) / UN by BIC; between-within df; the age slope at each
 * visit; Tukey-adjusted visit differences) and the durability analyses (visit 6 vs follow-up, visit 7).
 * Tests change what they study with spreads over these parts.
 */
import { fileURLToPath } from 'node:url';
import { readDataFile } from '../src/data.js';
import type { ModelSpec } from '../src/model-spec.js';
import type { PlannedAnalysis, PlannedModel, StudyPlan } from '../src/plan.js';

export const ketamineData = () => readDataFile(fileURLToPath(new URL('../../../test/conformance/ketamine-synthetic/ketamine.csv', import.meta.url)));

export const visitsWhere = (levels: number[] = [2, 3, 4, 5, 6]) => ({ mode: 'where' as const, expr: { kind: 'in' as const, column: 'visit', values: levels } });
export const pctChangeAt = (level: number) => ({ variable: 'pct_change', at: { column: 'visit', level } });

export const trajectorySpec: ModelSpec = {
  name: 'trajectory',
  response: 'pct_change',
  subject: 'patient',
  classes: ['visit'],
  fixed: [['visit'], ['age'], ['visit', 'age']],
  intercept: true,
  repeated: { effect: 'visit', type: 'CS', candidates: ['CS', 'AR1', 'UN'], criterion: 'BIC' },
  random: [],
  method: 'REML',
  ddfm: 'between-within',
  tests: [['visit'], ['age'], ['visit', 'age']],
  estimates: [{ kind: 'slope-at-levels', covariate: 'age', factor: 'visit' }],
  lsmeans: [{ effect: 'visit', pairwise: true, adjust: 'tukey' }],
};

export const trajectoryModel = (spec: ModelSpec = trajectorySpec): PlannedModel => ({ spec, filters: [visitsWhere()], repeatedLevels: [2, 3, 4, 5, 6] });

export const durabilityAnalysis: PlannedAnalysis = {
  name: 'durability',
  filters: [],
  tests: [
    { kind: 'paired-t', label: 'pct_change at visit 6 vs visit 7', left: pctChangeAt(6), right: pctChangeAt(7) },
    {
      kind: 'correlation',
      label: 'age with pct_change at visit 6 - pct_change at visit 7',
      x: { kind: 'value', value: { variable: 'age' } },
      y: { kind: 'difference', left: pctChangeAt(6), right: pctChangeAt(7) },
    },
  ],
};

export const ketaminePlan = (models: PlannedModel[] = [trajectoryModel()], analyses: PlannedAnalysis[] = [durabilityAnalysis]): StudyPlan => ({
  title: 'ketamine (synthetic)',
  dataPath: 'ketamine.csv',
  subject: 'patient',
  derived: [{ kind: 'percent-change', name: 'pct_change', variable: 'bdi', by: 'visit', baseline: 1 }],
  filters: [],
  models,
  analyses,
});
