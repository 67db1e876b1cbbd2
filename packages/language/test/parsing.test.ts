import { describe, expect, it } from 'vitest';
import { parseHelper } from 'langium/test';
import type { StudyFile, ModelBlock, SensitivityBlock, AnalysisBlock, FilterStmt, LetDecl } from '../src/generated/ast.js';
import { services, KETAMINE_SPEC } from './helpers.js';

const parse = parseHelper<StudyFile>(services);

async function parseOk(text: string): Promise<StudyFile> {
  const doc = await parse(text);
  expect(doc.parseResult.lexerErrors).toEqual([]);
  expect(doc.parseResult.parserErrors.map((e) => e.message)).toEqual([]);
  return doc.parseResult.value;
}

async function model(body: string): Promise<ModelBlock> {
  const root = await parseOk(`model m {\n${body}\n}`);
  return root.elements[0] as ModelBlock;
}

describe('parsing', () => {
  it('parses the ketamine spec', async () => {
    const root = await parseOk(KETAMINE_SPEC);
    expect(root.elements.map((e) => e.$type)).toEqual(['StudyTitle', 'DataDecl', 'SubjectDecl', 'LetDecl', 'ModelBlock', 'AnalysisBlock']);
  });

  it('study, data, subject', async () => {
    const root = await parseOk(`study "T"\ndata 'd.csv'\nsubject patient`);
    expect(root.elements).toMatchObject([{ title: 'T' }, { path: 'd.csv' }, { column: { column: 'patient' } }]);
  });

  it('let: percent change and change', async () => {
    const root = await parseOk(`let a = percent change of bdi from visit 1\nlet b = change of bdi from visit_label "infusion1"`);
    const [a, b] = root.elements as LetDecl[];
    expect(a).toMatchObject({ name: 'a', percent: true, variable: { column: 'bdi' }, by: { column: 'visit' }, baseline: { number: 1 } });
    expect(b).toMatchObject({ name: 'b', percent: false, baseline: { text: 'infusion1' } });
  });

  it('where / exclude with every operator', async () => {
    const root = await parseOk(
      `where visit >= 2 and (sex == "F" or not age < 30)\nexclude dose_adjusted != 1\nwhere bmi <= 40 and bmi > 15\nwhere visit in (1, 2, 3)\nexclude bmi is missing\nwhere bdi is not missing`,
    );
    const f = root.elements as FilterStmt[];
    expect(f.map((x) => x.mode)).toEqual(['where', 'exclude', 'where', 'where', 'exclude', 'where']);
    expect(f[0].expr).toMatchObject({ $type: 'BinaryExpr', op: 'and', right: { $type: 'BinaryExpr', op: 'or', right: { $type: 'NotExpr' } } });
    expect(f[3].expr).toMatchObject({ $type: 'Condition', values: [{ number: 1 }, { number: 2 }, { number: 3 }] });
    expect(f[4].expr).toMatchObject({ isMissing: true, negated: false });
    expect(f[5].expr).toMatchObject({ isMissing: true, negated: true });
  });

  it('model statements', async () => {
    const m = await model(`outcome y
repeated visit
repeated visit 2..6
repeated visit 1, 3, 5
covariate age, bmi
factor sex
fixed visit * age + sex:visit - intercept
random intercept, slope week by patient type UN
random Block, A*Block
random subject
cov AR1
select cov CS, AR1 by AIC
method ML
df kenward-roger
test visit, visit*age
estimate slope of age at each visit "slopes"
compare visit pairwise adjust bonferroni
compare sex at each visit pairwise at age 40 adjust tukey
predict random effects
where visit > 1`);
    expect(m.statements.map((s) => s.$type)).toEqual([
      'OutcomeStmt', 'RepeatedStmt', 'RepeatedStmt', 'RepeatedStmt', 'CovariateStmt', 'FactorStmt', 'FixedStmt', 'RandomStmt',
      'RandomStmt', 'RandomStmt', 'CovStmt', 'SelectCovStmt', 'MethodStmt', 'DfStmt', 'TestStmt', 'EstimateStmt', 'CompareStmt', 'CompareStmt',
      'PredictStmt', 'FilterStmt',
    ]);
    expect(m.statements[17]).toMatchObject({ slice: { column: 'visit' }, pairwise: true, at: [{ column: { column: 'age' } }], adjust: 'tukey' });
    expect(m.statements[18]).toMatchObject({ randomEffects: true });
    expect(m.statements[2]).toMatchObject({ range: true, from: { number: 2 }, to: { number: 6 } });
    expect(m.statements[3]).toMatchObject({ range: false, from: { number: 1 }, levels: [{ number: 3 }, { number: 5 }] });
    expect(m.statements[6]).toMatchObject({ noIntercept: true, terms: [{ ops: ['*'] }, { ops: [':'] }] });
    expect(m.statements[7]).toMatchObject({ effects: [{ intercept: true }, { slope: true, effect: { variables: [{ column: 'week' }] } }], subject: { column: 'patient' }, type: { name: 'UN' } });
    expect(m.statements[8]).toMatchObject({ effects: [{ effect: { variables: [{ column: 'Block' }] } }, { effect: { variables: [{ column: 'A' }, { column: 'Block' }] } }] });
    expect(m.statements[9]).toMatchObject({ subjectOnly: true });
    expect(m.statements[11]).toMatchObject({ candidates: [{ name: 'CS' }, { name: 'AR1' }], criterion: 'AIC' });
    expect(m.statements[13]).toMatchObject({ method: 'kenward-roger' });
    expect(m.statements[16]).toMatchObject({ pairwise: true, adjust: 'bonferroni' });
  });

  it('every df method', async () => {
    for (const df of ['residual', 'between-within', 'containment', 'satterthwaite', 'kenward-roger']) {
      const m = await model(`df ${df}`);
      expect(m.statements[0]).toMatchObject({ method: df });
    }
  });

  it('sensitivity blocks, named and unnamed, with ; separators', async () => {
    const root = await parseOk(`model trajectory { outcome y }
sensitivity trajectory { exclude dose_adjusted == 1; add covariate sex }
sensitivity no_dose of trajectory { drop covariate age; cov UN; method ML }`);
    const [, s1, s2] = root.elements as SensitivityBlock[];
    expect(s1.base.ref?.name).toBe('trajectory');
    expect(s1.name).toBeUndefined();
    expect(s1.statements.map((s) => s.$type)).toEqual(['FilterStmt', 'AddStmt']);
    expect(s2).toMatchObject({ name: 'no_dose', statements: [{ $type: 'DropStmt', kind: 'covariate' }, { $type: 'CovStmt' }, { $type: 'MethodStmt' }] });
  });

  it('analysis statements', async () => {
    const root = await parseOk(`analysis a {
    where visit > 0
    paired bdi at visit 1 vs visit 7
    paired bdi at visit 1 vs bmi at visit 7 "label"
    correlate age with bdi at visit 6 - bdi at visit -1
}`);
    const a = root.elements[0] as AnalysisBlock;
    expect(a.statements.map((s) => s.$type)).toEqual(['FilterStmt', 'PairedStmt', 'PairedStmt', 'CorrelateStmt']);
    expect(a.statements[1]).toMatchObject({ rightLevel: { column: { column: 'visit' }, level: { number: 7 } } });
    expect(a.statements[2]).toMatchObject({ right: { variable: { column: 'bmi' } }, label: 'label' });
    expect(a.statements[3]).toMatchObject({ y: { right: { at: { level: { negative: true, number: 1 } } } } });
  });

  it('comments', async () => {
    const root = await parseOk(`// line\n/* block\n comment */ study "x" // trailing`);
    expect(root.elements).toHaveLength(1);
  });

  it('recovers from a syntax error and keeps parsing', async () => {
    const doc = await parse(`data "k.csv"\nmodel m {\n    outcome\n    covariate age\n}\nanalysis a { }`);
    expect(doc.parseResult.parserErrors.length).toBeGreaterThan(0);
    const types = doc.parseResult.value.elements.map((e) => e.$type);
    expect(types).toContain('AnalysisBlock');
  });
});
