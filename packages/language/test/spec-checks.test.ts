/**
 * Spec checks of validation/spec-checks.ts: duplicate block names, reversed ranges, a spec with nothing
 * to run, numeric random-effect terms; and the centring hint computed over the rows the model uses.
 */
import { describe, expect, it } from 'vitest';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { buildPlan, quickFix } from '@study/language';
import { byCode, check, covered, KETAMINE_SPEC, tempFolder } from './helpers.js';

const E = DiagnosticSeverity.Error;
const W = DiagnosticSeverity.Warning;

async function one(text: string, code: string, dir?: string): Promise<{ d: Diagnostic; word: string; all: Diagnostic[] }> {
  const r = await check(text, dir);
  const ds = byCode(r.diagnostics, code);
  expect(ds, JSON.stringify(r.diagnostics.map((d) => d.message))).toHaveLength(1);
  return { d: ds[0], word: covered(text, ds[0].range), all: r.diagnostics };
}

const HEAD = 'data "ketamine.csv"\nsubject patient\n';

describe('duplicate names (duplicate-name)', () => {
  it('two models with one name: an error on the second name, saying where the first is', async () => {
    const text = `${HEAD}model trajectory {\n    outcome bdi\n}\nmodel trajectory {\n    outcome bmi\n}\n`;
    const { d, word } = await one(text, 'duplicate-name');
    expect(d.severity).toBe(E);
    expect(d.message).toBe('a model named trajectory is already defined at line 3');
    expect(word).toBe('trajectory');
    expect(d.range.start).toEqual({ line: 5, character: 6 });
  });

  it('models, named sensitivity variants and analyses share the names', async () => {
    const text = `${HEAD}model m {\n    outcome bdi\n}\nsensitivity m of m {\n    method ML\n}\nanalysis durability {\n    paired bdi at visit 1 vs visit 2\n}\nanalysis durability {\n    paired bdi at visit 1 vs visit 3\n}\n`;
    const r = await check(text);
    const ds = byCode(r.diagnostics, 'duplicate-name');
    expect(ds.map((d) => [d.message, d.range.start.line + 1, d.range.start.character + 1])).toEqual([
      ['a model named m is already defined at line 3', 6, 13],
      ['an analysis named durability is already defined at line 9', 12, 10],
    ]);
  });

  it('unnamed sensitivity variants and distinct names are fine', async () => {
    const r = await check(KETAMINE_SPEC + '\nsensitivity trajectory {\n    method ML\n}\nsensitivity trajectory {\n    df residual\n}\n');
    expect(byCode(r.diagnostics, 'duplicate-name')).toEqual([]);
  });
});

describe('reversed ranges (reversed-range)', () => {
  it('`repeated visit 6..2`: an error on the range, with the quick fix 2..6', async () => {
    const text = KETAMINE_SPEC.replace('repeated visit 2..6', 'repeated visit 6..2');
    const { d, word, all } = await one(text, 'reversed-range');
    expect(d.severity).toBe(E);
    expect(d.message).toBe('the range 6..2 is reversed: write 2..6');
    expect(word).toBe('6..2');
    expect(d.range).toEqual({ start: { line: 9, character: 19 }, end: { line: 9, character: 23 } });
    expect(all.filter((x) => x.severity === E)).toHaveLength(1);
    const r = await check(text);
    const fix = quickFix(r.document, d);
    expect(fix?.edit?.changes?.[r.document.textDocument.uri]).toEqual([{ range: d.range, newText: '2..6' }]);
  });

  it('negative ends and a range in a sensitivity block; a one-level range is not reversed', async () => {
    const dir = tempFolder({ 'w.csv': 'id,t,y\nA,-3,1\nA,-2,2\nA,-1,3\nB,-3,2\nB,-2,3\nB,-1,5\n' });
    const text = 'data "w.csv"\nsubject id\nmodel m {\n    outcome y\n    repeated t -1..-3\n}\nsensitivity m {\n    repeated t -2..-2\n}\n';
    const { d, word } = await one(text, 'reversed-range', dir);
    expect(d.message).toBe('the range -1..-3 is reversed: write -3..-1');
    expect(word).toBe('-1..-3');
  });
});

describe('nothing to run (nothing-to-run)', () => {
  it('an empty spec: an error at 1:1', async () => {
    const { d } = await one('', 'nothing-to-run');
    expect(d.severity).toBe(E);
    expect(d.message).toBe('the spec defines no model and no analysis: nothing to run');
    expect(d.range.start).toEqual({ line: 0, character: 0 });
  });

  it('a spec with data, subject and lets but no model and no analysis', async () => {
    const text = `// nothing here yet\n${HEAD}let c = change of bdi from visit 1\n`;
    const { d } = await one(text, 'nothing-to-run');
    expect(d.range.start).toEqual({ line: 0, character: 0 });
  });

  it('an analysis alone is something to run; a broken spec is left to its syntax errors', async () => {
    const analysis = await check(`${HEAD}analysis a {\n    paired bdi at visit 1 vs visit 2\n}\n`);
    expect(byCode(analysis.diagnostics, 'nothing-to-run')).toEqual([]);
    const broken = await check(`${HEAD}modl m { outcome bdi }\n`);
    expect(byCode(broken.diagnostics, 'nothing-to-run')).toEqual([]);
  });
});

describe('numeric random-effect terms (numeric-random-effect)', () => {
  const DATA = 'Block,A,y,patient\n1,a,5,P1\n1,b,6,P1\n2,a,4,P2\n2,b,7,P2\n3,a,5,P3\n3,b,8,P3\n';

  it('`random Block` with Block numeric and not a factor: a warning on the word, true to the plan (Block is continuous)', async () => {
    const dir = tempFolder({ 'sp.csv': DATA });
    const text = 'data "sp.csv"\nmodel m {\n    outcome y\n    factor A\n    fixed A\n    random Block\n}\n';
    const { d, word, all } = await one(text, 'numeric-random-effect', dir);
    expect(d.severity).toBe(W);
    expect(d.message).toBe('Block is numeric and not declared a factor: `random Block` is a random slope on its values; write `factor Block` to make it a random effect per level');
    expect(word).toBe('Block');
    expect(d.range.start).toEqual({ line: 5, character: 11 });
    expect(all.filter((x) => x.severity === E)).toEqual([]);
    // what the warning says: the engine gets Block as a continuous variable, not a class
    const plan = buildPlan((await check(text, dir)).document);
    expect(plan.models[0].spec.classes).toEqual(['A']);
    expect(plan.models[0].spec.random).toEqual([{ terms: [['Block']], type: 'VC' }]);
  });

  it('in an interaction, and with `by`', async () => {
    const dir = tempFolder({ 'sp.csv': DATA });
    const text = 'data "sp.csv"\nmodel m {\n    outcome y\n    factor A\n    fixed A\n    random A*Block\n    random intercept, Block by patient\n}\n';
    const r = await check(text, dir);
    expect(byCode(r.diagnostics, 'numeric-random-effect').map((d) => [d.message, covered(text, d.range), d.range.start.line + 1])).toEqual([
      ['Block is numeric and not declared a factor: in `random A*Block` it is a slope on its values; write `factor Block` to make it a random effect per level', 'Block', 6],
      ['Block is numeric and not declared a factor: `random Block by patient` is a random slope on its values; write `factor Block` to make it a random effect per level', 'Block', 7],
    ]);
  });

  it('nothing with `factor Block`, `covariate Block`, `slope Block`, a text column, or the repeated effect', async () => {
    const dir = tempFolder({ 'sp.csv': DATA });
    for (const body of [
      '    factor A, Block\n    fixed A\n    random Block, A*Block',
      '    factor A\n    covariate Block\n    fixed A\n    random intercept, Block by patient',
      '    factor A\n    fixed A\n    random intercept, slope Block by patient',
      '    fixed Block\n    random A',
    ]) {
      const r = await check(`data "sp.csv"\nmodel m {\n    outcome y\n${body}\n}\n`, dir);
      expect(byCode(r.diagnostics, 'numeric-random-effect'), body).toEqual([]);
    }
    const r = await check(KETAMINE_SPEC);
    expect(byCode(r.diagnostics, 'numeric-random-effect')).toEqual([]);
  });
});

describe('the centring hint uses the rows the model is fitted on', () => {
  // x is 1000 on the rows the model leaves out: a missing outcome, a filtered site, a visit outside 1..2
  const rows = ['id,visit,y,x,site'];
  for (let i = 1; i <= 6; i++) {
    rows.push(`S${i},1,${10 + i},${20 + i},A`, `S${i},2,${12 + i},${20 + i},A`, `S${i},3,${14 + i},1000,A`, `S${i},4,,1000,A`);
  }
  rows.push('S7,1,5,1000,B', 'S7,2,6,1000,B', 'S8,1,,1000,A', 'S8,2,,1000,A');
  const csv = rows.join('\n') + '\n';
  const text = 'data "c.csv"\nsubject id\nwhere site == "A"\nmodel m {\n    outcome y\n    repeated visit 1..2\n    covariate x\n    cov CS\n    test visit\n}\n';

  it('the mean is over complete cases after the filters and the repeated levels, not the whole file', async () => {
    const dir = tempFolder({ 'c.csv': csv });
    const { d, word } = await one(text, 'tested-at-zero', dir);
    // model rows: visits 1 and 2 of S1..S6, x = 21..26: mean 23.5 (the whole file's x: mean ≈ 460)
    expect(d.message).toBe(
      'visit is tested at x = 0 (the mean x is 23.5): with visit*x in the model, the visit test compares visit levels where x is 0. To test visit at the mean x, centre it: `let x_c = x centred at 23.5` and use x_c',
    );
    expect(word).toBe('visit');
    expect(d.range.start).toEqual({ line: 8, character: 9 });
  });

  it('centred at the model mean: no hint (the whole-file mean would still have given one)', async () => {
    const dir = tempFolder({ 'c.csv': csv });
    const centred = text.replace('covariate x', 'covariate xc').replace('model m', 'let xc = x centred at 23.5\nmodel m');
    const r = await check(centred, dir);
    expect(byCode(r.diagnostics, 'tested-at-zero')).toEqual([]);
    // a column centred at the model mean, not a let: the hint looks at the model's rows and stays silent
    const shifted = csv
      .split('\n')
      .map((l, i) => {
        if (i === 0 || l === '') return l.replace('x,site', 'x,site,xm');
        const cells = l.split(',');
        return `${l},${Number(cells[3]) - 23.5}`;
      })
      .join('\n');
    const dir2 = tempFolder({ 'c.csv': shifted });
    const r2 = await check(text.replace('covariate x', 'covariate xm'), dir2);
    expect(byCode(r2.diagnostics, 'tested-at-zero')).toEqual([]);
  });
});
