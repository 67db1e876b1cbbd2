import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseHelper } from 'langium/test';
import type { StudyFile, ModelBlock, SensitivityBlock, AnalysisBlock, FilterStmt, LetDecl, CovStmt, SelectCovStmt, FactorStmt } from '../src/generated/ast.js';
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
    expect(root.elements.map((e) => e.$type)).toEqual(['StudyTitle', 'DataDecl', 'SubjectDecl', 'LetDecl', 'ModelBlock', 'AnalysisBlock', 'DescribeBlock', 'DescribeBlock', 'SensitivityBlock', 'SensitivityBlock', 'SensitivityBlock']);
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

describe('parsing: covariance structures, group, ref, alpha, intercept-only', () => {
  it('new structures and SAS spellings', async () => {
    const m = await model(`cov TOEPH
cov ANTE1
cov ANTE(1)
cov AR(1)
cov ARH(1)
cov TOEP(2)
cov SP(POW)(VISITN)
cov SP(EXP)(VISITN VISITN2)
cov SP(GAU)(VISITN, VISITN2)
cov UN(VISITN VISITN2)`);
    const types = m.statements.map((s) => (s as CovStmt).type);
    expect(types[0]).toMatchObject({ name: 'TOEPH', coordinates: [] });
    expect(types[0].bands).toBeUndefined();
    expect(types[1]).toMatchObject({ name: 'ANTE1' });
    expect(types[2]).toMatchObject({ name: 'ANTE', bands: 1 });
    expect(types[3]).toMatchObject({ name: 'AR', bands: 1 });
    expect(types[4]).toMatchObject({ name: 'ARH', bands: 1 });
    expect(types[5]).toMatchObject({ name: 'TOEP', bands: 2 });
    expect(types[6]).toMatchObject({ name: 'SP', option: 'POW', coordinates: [{ column: 'VISITN' }] });
    expect(types[7]).toMatchObject({ name: 'SP', option: 'EXP', coordinates: [{ column: 'VISITN' }, { column: 'VISITN2' }] });
    expect(types[8]).toMatchObject({ name: 'SP', option: 'GAU', coordinates: [{ column: 'VISITN' }, { column: 'VISITN2' }] });
    // coordinates without a kind parse (the validator says what is wrong)
    expect(types[9]).toMatchObject({ name: 'UN', coordinates: [{ column: 'VISITN' }, { column: 'VISITN2' }] });
    expect(types[9].option).toBeUndefined();
  });

  it('group in cov and select cov, with by in either order', async () => {
    const m = await model(`cov UN group ARMCD
cov SP(EXP)(VISITN VISITN2) group ARMCD
select cov CS, AR1, UN group ARMCD by BIC
select cov CS, SP(POW)(WEEK) by AIC group ARMCD
select cov CS, AR(1) group ARMCD`);
    const [a, b, c, d, e] = m.statements as [CovStmt, CovStmt, SelectCovStmt, SelectCovStmt, SelectCovStmt];
    expect(a).toMatchObject({ type: { name: 'UN' }, group: { column: 'ARMCD' } });
    expect(b).toMatchObject({ type: { name: 'SP', option: 'EXP', coordinates: [{ column: 'VISITN' }, { column: 'VISITN2' }] }, group: { column: 'ARMCD' } });
    expect(c).toMatchObject({ candidates: [{ name: 'CS' }, { name: 'AR1' }, { name: 'UN' }], group: { column: 'ARMCD' }, criterion: 'BIC' });
    expect(d).toMatchObject({ candidates: [{ name: 'CS' }, { name: 'SP', coordinates: [{ column: 'WEEK' }] }], group: { column: 'ARMCD' }, criterion: 'AIC' });
    expect(e).toMatchObject({ candidates: [{ name: 'CS' }, { name: 'AR', bands: 1 }], group: { column: 'ARMCD' } });
    expect(e.criterion).toBeUndefined();
  });

  it('group, ref, alpha and linear are still column names', async () => {
    const m = await model(`outcome group
covariate ref, alpha, linear
cov UN group group
fixed group + ref`);
    expect(m.statements[0]).toMatchObject({ outcome: { column: 'group' } });
    expect(m.statements[1]).toMatchObject({ columns: [{ column: 'ref' }, { column: 'alpha' }, { column: 'linear' }] });
    expect(m.statements[2]).toMatchObject({ group: { column: 'group' } });
    expect(m.statements[3]).toMatchObject({ terms: [{ factors: [{ column: 'group' }] }, { factors: [{ column: 'ref' }] }] });
  });

  it('factor … ref: a string, a number, a negative number, an identifier; factor columns stay ColumnRefs', async () => {
    const m = await model(`factor ARMCD ref "PBO", RACE ref 'Asian', SEX
factor visit ref 1
factor dose ref -1
factor ARMCD ref PBO
factor ref ref "ref"`);
    const f = m.statements as FactorStmt[];
    expect(f[0].columns).toMatchObject([
      { $type: 'ColumnRef', column: 'ARMCD', reference: { text: 'PBO' } },
      { $type: 'ColumnRef', column: 'RACE', reference: { text: 'Asian' } },
      { $type: 'ColumnRef', column: 'SEX' },
    ]);
    expect(f[0].columns[2].reference).toBeUndefined();
    expect(f[1].columns[0]).toMatchObject({ column: 'visit', reference: { number: 1, negative: false } });
    expect(f[2].columns[0]).toMatchObject({ column: 'dose', reference: { number: 1, negative: true } });
    expect(f[3].columns[0]).toMatchObject({ column: 'ARMCD', reference: { text: 'PBO' } });
    expect(f[4].columns[0]).toMatchObject({ column: 'ref', reference: { text: 'ref' } });
  });

  it('fixed intercept, alpha, df kenward-roger linear / firstorder', async () => {
    const m = await model(`fixed intercept
alpha 0.10
df kenward-roger linear
df kenward-roger firstorder`);
    expect(m.statements[0]).toMatchObject({ $type: 'FixedStmt', interceptOnly: true, noIntercept: false, terms: [] });
    expect(m.statements[1]).toMatchObject({ $type: 'AlphaStmt', value: { number: 0.1 } });
    expect(m.statements[2]).toMatchObject({ method: 'kenward-roger', variant: 'linear' });
    expect(m.statements[3]).toMatchObject({ method: 'kenward-roger', variant: 'firstorder' });
  });

  it('in sensitivity blocks: add factor … ref, alpha, cov … group', async () => {
    const root = await parseOk(`model m { outcome y }
sensitivity m { add factor ARMCD ref "PBO"; alpha 0.1; cov SP(EXP)(VISITN) group ARMCD }`);
    const s = root.elements[1] as SensitivityBlock;
    expect(s.statements.map((x) => x.$type)).toEqual(['AddStmt', 'AlphaStmt', 'CovStmt']);
    expect(s.statements[0]).toMatchObject({ statement: { $type: 'FactorStmt', columns: [{ column: 'ARMCD', reference: { text: 'PBO' } }] } });
  });
});

describe('docs/language.md', () => {
  it('every ```study example parses', async () => {
    const md = readFileSync(fileURLToPath(new URL('../../../docs/language.md', import.meta.url)), 'utf8');
    const blocks = [...md.matchAll(/```study\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const b of blocks) {
      const doc = await parse(b);
      expect(doc.parseResult.parserErrors.map((e) => e.message), b).toEqual([]);
    }
  });
});
