import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { checkStudyFile, dataReadCount, parseStudyDocument } from '@study/language';
import { byCode, check, covered, FEV_CSV, FEV_DIR, ketamineWith, KETAMINE_DIR, KETAMINE_SPEC, lineOf, tempFolder } from './helpers.js';

const E = DiagnosticSeverity.Error;
const W = DiagnosticSeverity.Warning;
const I = DiagnosticSeverity.Information;

/** Exactly one diagnostic with this code; returns it with the text its range covers. */
async function one(text: string, code: string, dir?: string): Promise<{ d: Diagnostic; word: string; all: Diagnostic[] }> {
  const r = await check(text, dir);
  const ds = byCode(r.diagnostics, code);
  expect(ds, JSON.stringify(r.diagnostics.map((d) => d.message))).toHaveLength(1);
  return { d: ds[0], word: covered(text, ds[0].range), all: r.diagnostics };
}

const MINI = (body: string, extra = '') => `data "ketamine.csv"\nsubject patient\n${extra}\nmodel m {\n    outcome bdi\n${body}\n}\n`;

describe('the ketamine spec', () => {
  it('has no errors or warnings (one information: visit tested at age = 0)', async () => {
    const r = await checkStudyFile(path.join(KETAMINE_DIR, 'ketamine.study'));
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'info', code: 'tested-at-zero', line: 17, column: 10, endLine: 17, endColumn: 15 });
  });

  it('with `covariate agee`: exactly one error, at that word, suggesting age', async () => {
    const text = ketamineWith('covariate age', 'covariate agee');
    const r = await check(text);
    const errors = r.diagnostics.filter((d) => d.severity === E);
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toBe("unknown column 'agee' in ketamine.csv; did you mean 'age'?");
    expect(errors[0].range).toEqual({ start: { line: 10, character: 14 }, end: { line: 10, character: 18 } });
    expect(covered(text, errors[0].range)).toBe('agee');
    expect(errors[0].data).toEqual({ code: 'unknown-column', suggestion: 'age' });
  });

  it('checkStudyFile reports 1-based positions', async () => {
    const dir = tempFolder({ 'k.study': ketamineWith('covariate age', 'covariate agee') });
    const r = await checkStudyFile(path.join(dir, 'k.study'));
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toEqual([
      { severity: 'error', code: 'unknown-column', message: "unknown column 'agee' in ketamine.csv; did you mean 'age'?", line: 11, column: 15, endLine: 11, endColumn: 19 },
    ]);
  });
});

describe('diagnostics', () => {
  it('syntax error, with recovery', async () => {
    const r = await parseStudyDocument('data "ketamine.csv"\nmodel m {\n    outcome\n}\nmodel n { outcome agee }', path.join(KETAMINE_DIR, 'x.study'));
    const errs = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errs.length).toBeGreaterThanOrEqual(2);
    expect(errs.some((d) => d.message.includes("unknown column 'agee'"))).toBe(true);
  });

  it('data file not found, on the data line', async () => {
    const text = 'data "nothere.csv"\n';
    const { d, word } = await one(text, 'data-error');
    expect(d.severity).toBe(E);
    expect(d.message).toMatch(/^data file not found: nothere\.csv \(looked for .*nothere\.csv\)$/);
    expect(word).toBe('"nothere.csv"');
  });

  it('data file that does not parse: one diagnostic saying why', async () => {
    const dir = tempFolder({ 'bad.csv': 'a,b\n1,2\n3,4,5\n' });
    const text = 'data "bad.csv"\nsubject a\nmodel m { outcome b }\n';
    const r = await check(text, dir);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0].code).toBe('data-error');
    expect(r.diagnostics[0].message).toMatch(/cannot parse .*bad\.csv/);
    expect(covered(text, r.diagnostics[0].range)).toBe('"bad.csv"');
  });

  it('no data statement', async () => {
    const { d, word } = await one('study "x"\nmodel m { outcome y }', 'no-data');
    expect(d.message).toBe('no data file: add `data "file.csv"`');
    expect(word).toBe('study');
  });

  it('duplicate top-level statement', async () => {
    const text = 'data "ketamine.csv"\ndata "ketamine.csv"\n';
    const { d, word } = await one(text, 'duplicate-statement');
    expect(d.message).toBe("a spec has one 'data' statement");
    expect(d.range.start.line).toBe(1);
    expect(word).toBe('data');
  });

  it('duplicate statement in a model', async () => {
    const text = MINI('    method ML\n    method REML');
    const { d, word } = await one(text, 'duplicate-statement');
    expect(d.message).toBe("a model has one 'method' statement");
    expect(d.range.start.line).toBe(lineOf(text, 'method REML'));
    expect(word).toBe('method');
  });

  it('cov and select cov together', async () => {
    const text = MINI('    repeated visit\n    cov UN\n    select cov CS, AR1');
    const { d, word } = await one(text, 'conflicting-cov');
    expect(d.message).toBe('a model has one covariance structure: `cov` or `select cov`, once');
    expect(word).toBe('select');
  });

  it('unknown column with suggestion', async () => {
    const text = MINI('    covariate bmii');
    const { d, word } = await one(text, 'unknown-column');
    expect(d.message).toBe("unknown column 'bmii' in ketamine.csv; did you mean 'bmi'?");
    expect(word).toBe('bmii');
  });

  it('unknown column without a close match', async () => {
    const { d, word } = await one(MINI('    covariate cholesterol'), 'unknown-column');
    expect(d.message).toBe("unknown column 'cholesterol' in ketamine.csv");
    expect(word).toBe('cholesterol');
    expect(d.data).toEqual({ code: 'unknown-column' });
  });

  it('unknown column in a where filter and in an analysis', async () => {
    const text = 'data "ketamine.csv"\nwhere vist > 1\nanalysis a { paired bdi at visit 1 vs visit 2\n correlate age with bdii }\n';
    const r = await check(text);
    const ds = byCode(r.diagnostics, 'unknown-column');
    expect(ds.map((d) => covered(text, d.range))).toEqual(['vist', 'bdii']);
    expect(ds.map((d) => d.message)).toEqual([
      "unknown column 'vist' in ketamine.csv; did you mean 'visit'?",
      "unknown column 'bdii' in ketamine.csv; did you mean 'bdi'?",
    ]);
  });

  it('let variable used before its definition', async () => {
    const text = 'data "ketamine.csv"\nsubject patient\nwhere pct > 0\nlet pct = percent change of bdi from visit 1\n';
    const { d, word } = await one(text, 'let-before-definition');
    expect(d.message).toBe("'pct' is used before its definition (line 4)");
    expect(d.range.start.line).toBe(2);
    expect(word).toBe('pct');
  });

  it('unknown let outcome is an unknown column', async () => {
    const text = KETAMINE_SPEC.replace('outcome pct_change', 'outcome pct_chnage');
    const { d, word } = await one(text, 'unknown-column');
    expect(d.message).toBe("unknown column 'pct_chnage' in ketamine.csv; did you mean 'pct_change'?");
    expect(word).toBe('pct_chnage');
  });

  it('duplicate let and let hiding a column', async () => {
    const text = 'data "ketamine.csv"\nlet a = change of bdi from visit 1\nlet a = change of bdi from visit 1\nlet age = change of bdi from visit 1\n';
    const r = await check(text);
    const dup = byCode(r.diagnostics, 'duplicate-let');
    expect(dup).toHaveLength(1);
    expect(dup[0].message).toBe("'a' is defined twice");
    expect(dup[0].range.start.line).toBe(2);
    expect(covered(text, dup[0].range)).toBe('a');
    const sh = byCode(r.diagnostics, 'let-shadows-column');
    expect(sh[0].severity).toBe(W);
    expect(sh[0].message).toBe("'age' is also a column of ketamine.csv: the derived variable hides it");
    expect(covered(text, sh[0].range)).toBe('age');
  });

  it('covariate that is not numeric', async () => {
    const { d, word } = await one(MINI('    covariate sex'), 'covariate-not-numeric');
    expect(d.severity).toBe(E);
    expect(d.message).toBe("covariate 'sex' is not numeric (values M, F): declare it with `factor sex`");
    expect(word).toBe('sex');
  });

  it('outcome that is not numeric', async () => {
    const text = 'data "ketamine.csv"\nmodel m { outcome visit_label }';
    const { d, word } = await one(text, 'not-numeric');
    expect(d.message).toMatch(/^outcome 'visit_label' is not numeric \(values infusion1, /);
    expect(word).toBe('visit_label');
  });

  it('repeated level that is not in the data', async () => {
    const text = MINI('    repeated visit 2..9');
    const { d, word } = await one(text, 'unknown-level');
    expect(d.message).toBe('visit has no level 9 in ketamine.csv (levels: 1, 2, 3, 4, 5, 6, 7)');
    expect(word).toBe('9');
  });

  it('baseline level of a let, and a level in an analysis', async () => {
    const text = 'data "ketamine.csv"\nlet c = change of bdi from visit 0\nanalysis a { paired bdi at visit 6 vs visit 8 }\n';
    const r = await check(text);
    const ds = byCode(r.diagnostics, 'unknown-level');
    expect(ds.map((d) => covered(text, d.range))).toEqual(['0', '8']);
  });

  it('level range on a text column', async () => {
    const text = MINI('    repeated visit_label "infusion2".."infusion6"');
    const { d, word } = await one(text, 'range-not-numeric');
    expect(d.message).toBe('a level range needs a numeric column; visit_label is text: list the levels (visit_label "a", "b")');
    expect(word).toBe('..');
  });

  it('subject column with a single value', async () => {
    const text = 'data "ketamine.csv"\nsubject dose_adjusted\n';
    const dir = tempFolder({ 'const.csv': 'id,visit,y\nA,1,2\nA,2,3\n' });
    const { d, word } = await one('data "const.csv"\nsubject id\n', 'subject-constant', dir);
    expect(d.severity).toBe(E);
    expect(d.message).toBe("subject column 'id' has a single value (A): it does not identify subjects");
    expect(word).toBe('id');
    void text;
  });

  it('subject column with missing values', async () => {
    const dir = tempFolder({ 'miss.csv': 'id,visit,y\nA,1,2\nA,2,3\n,1,4\nB,1,5\n' });
    const { d, word } = await one('data "miss.csv"\nsubject id\n', 'subject-missing', dir);
    expect(d.severity).toBe(W);
    expect(d.message).toBe('1 row has no id: it is left out of every model');
    expect(word).toBe('id');
  });

  it('subject column unique on every row', async () => {
    const dir = tempFolder({ 'uniq.csv': 'id,y\nA,1\nB,2\nC,3\n' });
    const { d, word } = await one('data "uniq.csv"\nsubject id\n', 'subject-unique', dir);
    expect(d.message).toBe('every row has its own id: no subject has repeated observations');
    expect(word).toBe('id');
  });

  it('duplicate subject × repeated level rows', async () => {
    const dir = tempFolder({ 'dup.csv': 'id,visit,y,flag\nA,1,2,0\nA,2,3,0\nB,1,4,0\nB,2,5,0\nB,2,6,1\n' });
    const text = 'data "dup.csv"\nsubject id\nmodel m {\n    outcome y\n    repeated visit\n    random subject\n    cov UN\n}\n';
    const { d, word } = await one(text, 'duplicate-observation', dir);
    expect(d.message).toBe('id B has more than one row at visit 2: each id can have one observation per visit');
    expect(d.range.start.line).toBe(4);
    expect(word).toBe('visit');
    // a filter that removes the duplicate makes it go away
    const r = await check(text.replace('    cov UN', '    cov UN\n    exclude flag == 1'), dir);
    expect(byCode(r.diagnostics, 'duplicate-observation')).toEqual([]);
  });

  it('unknown covariance structure, with suggestion', async () => {
    const text = MINI('    repeated visit\n    random subject\n    select cov CS, AR, UN by BIC');
    const { d, word } = await one(text, 'unknown-cov-type');
    expect(d.message).toBe("unknown covariance structure 'AR' (known: VC, CS, AR1, UN, CSH, ARH1, TOEP, TOEPH, ANTE1, SP(POW), SP(EXP), SP(GAU)); did you mean 'AR1'?");
    expect(word).toBe('AR');
    expect(d.data).toEqual({ code: 'unknown-cov-type', suggestion: 'AR1' });
  });

  it('G-side structure other than VC or UN', async () => {
    const text = MINI('    random intercept by patient type AR1');
    const { d, word } = await one(text, 'random-type');
    expect(d.message).toBe('a random-effects structure can be VC or UN, not AR1');
    expect(word).toBe('AR1');
  });

  it('random intercept with an unstructured R-side covariance', async () => {
    const text = MINI('    repeated visit\n    random intercept by patient\n    cov UN');
    const { d, word } = await one(text, 'unidentifiable');
    expect(d.severity).toBe(W);
    expect(d.message).toBe(
      'a random intercept by patient is not identifiable together with an unstructured R-side covariance (cov UN): UN already contains the between-subject variance',
    );
    expect(word).toBe('intercept');
    expect(d.range.start.line).toBe(lineOf(text, 'random intercept'));
  });

  it('class main effect tested while an uncentred covariate interacts with it', async () => {
    const text = KETAMINE_SPEC;
    const { d, word } = await one(text, 'tested-at-zero');
    expect(d.severity).toBe(I);
    expect(d.message).toBe(
      'visit is tested at age = 0 (the mean age is 51.1): with visit*age in the model, the visit test compares visit levels where age is 0. To test visit at the mean age, centre it: `let age_c = age centred at 51.1` and use age_c',
    );
    expect(word).toBe('visit');
    expect(d.range.start.line).toBe(lineOf(text, 'test visit'));
  });

  it('no information when the covariate is centred or the interaction is absent', async () => {
    const dir = tempFolder({ 'c.csv': 'id,visit,y,x\nA,1,1,-1\nA,2,2,-1\nB,1,3,1\nB,2,4,1\n' });
    const r = await check('data "c.csv"\nsubject id\nmodel m {\n    outcome y\n    repeated visit\n    covariate x\n    test visit\n}\n', dir);
    expect(byCode(r.diagnostics, 'tested-at-zero')).toEqual([]);
    const r2 = await check(MINI('    repeated visit\n    covariate age\n    fixed visit + age\n    test visit'));
    expect(byCode(r2.diagnostics, 'tested-at-zero')).toEqual([]);
  });

  it('random intercept with compound symmetry, and with UN/CS candidates of select cov', async () => {
    const text = MINI('    repeated visit\n    random intercept by patient\n    cov CS');
    const { d, word } = await one(text, 'unidentifiable');
    expect(d.message).toBe(
      'a random intercept by patient is not identifiable together with a compound-symmetric R-side covariance (cov CS): the random-intercept variance and the CS covariance are the same parameter',
    );
    expect(word).toBe('intercept');
    const text2 = MINI('    repeated visit\n    random intercept by patient\n    select cov CS, AR1, UN');
    const r2 = await one(text2, 'unidentifiable');
    expect(r2.d.message).toBe('a random intercept by patient is not identifiable together with the CS and UN candidates of `select cov`: they already contain the between-subject variance');
    // AR1 alone is fine
    const r3 = await check(MINI('    repeated visit\n    random intercept by patient\n    cov AR1'));
    expect(byCode(r3.diagnostics, 'unidentifiable')).toEqual([]);
  });

  it('analysis value without `at` that changes within a subject', async () => {
    const text = 'data "ketamine.csv"\nsubject patient\nanalysis a {\n    correlate age with bdi\n}\n';
    const { d, word } = await one(text, 'not-per-subject');
    expect(d.severity).toBe(W);
    expect(d.message).toBe('bdi changes within patient P001: say which value to use (bdi at <column> <level>)');
    expect(word).toBe('bdi');
  });

  it('derived variable where a data column is needed', async () => {
    const text = 'data "ketamine.csv"\nsubject patient\nlet c = change of bdi from visit 1\nmodel m {\n    outcome bdi\n    factor c\n}\n';
    const { d, word } = await one(text, 'derived-not-allowed');
    expect(d.message).toBe("'c' is a derived variable: a data column is needed here");
    expect(word).toBe('c');
    expect(d.range.start.line).toBe(5);
  });

  it('dropping a variable the base model does not have', async () => {
    const text = KETAMINE_SPEC + '\nsensitivity trajectory { drop covariate bmi }\n';
    const { d, word } = await one(text, 'not-in-model');
    expect(d.severity).toBe(W);
    expect(d.message).toBe('bmi is not a covariate of trajectory: nothing to drop');
    expect(word).toBe('bmi');
  });

  it('no subject for an R-side structure', async () => {
    const text = 'data "ketamine.csv"\nmodel m {\n    outcome bdi\n    repeated visit\n    cov AR1\n}\n';
    const { d, word } = await one(text, 'no-subject');
    expect(d.message).toBe('no subject: add `subject <column>` to say whose observations are correlated');
    expect(word).toBe('cov');
  });

  it('a Kenward-Roger variant on another df method', async () => {
    const text = MINI('    repeated visit\n    cov CS\n    df satterthwaite observed');
    const { d, word } = await one(text, 'df-variant');
    expect(d.message).toBe("'observed' is a Kenward-Roger variant: use `df kenward-roger observed`");
    expect(d.severity).toBe(E);
    expect(word).toBe('observed');
  });

  it('Kenward-Roger with ML', async () => {
    const text = MINI('    repeated visit\n    cov CS\n    method ML\n    df kenward-roger');
    const { d, word } = await one(text, 'df-variant');
    expect(d.message).toBe('Kenward-Roger df need a REML fit (as in SAS and pbkrtest): remove `method ML` or choose another df method');
    expect(word).toBe('kenward-roger');
  });

  it('df between-within with a random effect that spans several subjects', async () => {
    const text = MINI('    repeated visit\n    random intercept by sex\n    cov CS\n    df between-within');
    const { d, word } = await one(text, 'df-not-available');
    expect(d.message).toBe(
      'df between-within is not available when a random effect spans several patient subjects (random … by sex): use containment (the default with random effects), satterthwaite or kenward-roger',
    );
    expect(d.severity).toBe(E);
    expect(word).toBe('between-within');
  });

  it('compare … at each: the slice must be a class factor and the crossed effect a fixed effect', async () => {
    const a = await one(MINI('    repeated visit\n    factor sex\n    covariate age\n    fixed visit * sex + age\n    compare sex at each age pairwise'), 'not-in-model');
    expect(a.d.message).toBe('compare needs class effects; age is not a class factor of m');
    expect(a.word).toBe('age');
    const b = await one(MINI('    repeated visit\n    factor sex\n    fixed visit + sex\n    compare sex at each visit pairwise'), 'not-in-model');
    expect(b.d.message).toBe('compare … at each visit needs sex*visit in the model: its LS-means are those of sex*visit (fixed: visit + sex)');
    expect(b.word).toBe('sex');
    const ok = await check(MINI('    repeated visit\n    factor sex\n    fixed visit * sex\n    compare sex at each visit pairwise adjust tukey'));
    expect(byCode(ok.diagnostics, 'not-in-model')).toEqual([]);
  });

  it('a number of bands on a structure other than TOEP (a select candidate may be banded)', async () => {
    const a = await one(MINI('    repeated visit\n    cov UN(3)'), 'cov-bands');
    expect(a.d.message).toBe('only TOEP takes a number of bands (TOEP(4)); UN(3) is not a structure');
    expect(a.word).toBe('3');
    const b = await one(MINI('    random intercept by patient type UN(2)'), 'cov-bands');
    expect(b.d.message).toBe('only TOEP takes a number of bands (TOEP(4)); UN(2) is not a structure');
    const c = await one(MINI('    repeated visit\n    cov TOEP(0)'), 'cov-bands');
    expect(c.d.message).toBe('TOEP(q) needs a whole number of bands q >= 1, not 0');
    for (const ok of ['    cov TOEP(3)', '    select cov CS, TOEP(2) by BIC']) {
      const r = await check(MINI('    repeated visit\n' + ok));
      expect(r.diagnostics.filter((d) => d.severity === E)).toEqual([]);
    }
  });

  it('predict random effects without a G-side random effect', async () => {
    const text = MINI('    repeated visit\n    cov UN\n    predict random effects');
    const { d, word } = await one(text, 'predict-random');
    expect(d.message).toMatch(/^`predict random effects` needs a G-side random effect/);
    expect(d.severity).toBe(E);
    expect(word).toBe('predict');
  });

  it('predict random effects with a df method whose t tests it does not define', async () => {
    const text = MINI('    covariate age\n    random intercept by patient\n    df satterthwaite\n    predict random effects');
    const { d, word } = await one(text, 'predict-random');
    expect(d.message).toBe(
      '`predict random effects` is computed with df containment (the default with random effects) or residual, as SAS documents them; its t tests under df satterthwaite are not implemented',
    );
    expect(word).toBe('predict');
    // the default df with a random effect (containment) is fine
    const ok = await check(MINI('    covariate age\n    random intercept by patient\n    predict random effects'));
    expect(byCode(ok.diagnostics, 'predict-random')).toEqual([]);
  });

  it('compare … at a variable that is not a covariate of the model', async () => {
    const text = MINI('    repeated visit\n    covariate age\n    cov CS\n    compare visit at bmi 25');
    const { d, word } = await one(text, 'not-in-model');
    expect(d.message).toBe('at: bmi is not a covariate of m');
    expect(word).toBe('bmi');
  });

  it('a centred text column is not numeric, and a centred covariate silences tested-at-zero', async () => {
    const text = MINI('    repeated visit\n    covariate age_c\n    cov CS\n    test visit', 'let age_c = age centred at 51\nlet s_c = sex centred at 1');
    const { d, word, all } = await one(text, 'not-numeric');
    expect(d.message).toMatch(/sex/);
    expect(word).toBe('sex');
    expect(byCode(all, 'tested-at-zero')).toEqual([]);
  });

  it('model without outcome', async () => {
    const text = 'data "ketamine.csv"\nmodel empty {\n    covariate age\n}\n';
    const { d, word } = await one(text, 'no-outcome');
    expect(d.message).toBe("model 'empty' has no outcome: add `outcome <variable>`");
    expect(word).toBe('empty');
  });

  it('tested effect that is not in the model', async () => {
    const text = MINI('    repeated visit\n    covariate age\n    test visit*bmi');
    const { d, word } = await one(text, 'not-in-model');
    expect(d.message).toBe('visit*bmi is not a fixed effect of m (fixed: visit + age + visit*age)');
    expect(word).toBe('visit*bmi');
  });

  it('estimate and compare on variables that are not in the model', async () => {
    const text = MINI('    repeated visit\n    covariate age\n    estimate slope of bmi at each visit\n    compare age pairwise');
    const r = await check(text);
    const ds = byCode(r.diagnostics, 'not-in-model');
    expect(ds.map((d) => [d.message, covered(text, d.range)])).toEqual([
      ['bmi is not a covariate of m', 'bmi'],
      ['compare needs class effects; age is not a class factor of m', 'age'],
    ]);
  });

  it('filter value of the wrong type', async () => {
    const text = 'data "ketamine.csv"\nwhere visit == "two"\n';
    const { d, word } = await one(text, 'type-mismatch');
    expect(d.message).toBe('visit is numeric: compare it with a number, not "two"');
    expect(word).toBe('"two"');
  });

  it('sensitivity of an unknown model is a linking error', async () => {
    const text = 'data "ketamine.csv"\nsensitivity nomodel { method ML }\n';
    const r = await check(text);
    const errs = r.diagnostics.filter((d) => d.severity === E);
    expect(errs).toHaveLength(1);
    expect(covered(text, errs[0].range)).toBe('nomodel');
  });

  it('sensitivity diagnostics: a bad added covariate is reported once', async () => {
    const text = KETAMINE_SPEC + '\nsensitivity trajectory { exclude dose_adjusted == 1; add covariate sex }\n';
    const { d, word } = await one(text, 'covariate-not-numeric');
    expect(d.range.start.line).toBe(lineOf(text, 'sensitivity trajectory {'));
    expect(word).toBe('sex');
  });

  it('never throws on garbage', async () => {
    for (const text of ['}}}{{{', 'model { repeated 2..', 'let = percent', 'data', 'where (((', 'sensitivity of of {', '\u0000\u0001']) {
      const r = await check(text);
      expect(Array.isArray(r.diagnostics)).toBe(true);
    }
  });
});

describe('covariance structures, GROUP=, REF=, alpha, intercept-only (fixtures/fev.csv)', () => {
  const FEV = (body: string, extra = '') => `data "fev.csv"\nsubject USUBJID\n${extra}model m {\n    outcome FEV1\n    repeated AVISIT\n${body}\n}\n`;
  const fev = (text: string, code: string, dir = FEV_DIR) => one(text, code, dir);
  /** the 0-based range of the first occurrence of `word` on the first line containing `needle` */
  const at = (text: string, needle: string, word = needle) => {
    const line = lineOf(text, needle);
    const character = text.split('\n')[line].indexOf(word);
    return { start: { line, character }, end: { line, character: character + word.length } };
  };

  it('the new structures, SAS spellings, group and ref check cleanly', async () => {
    for (const body of [
      '    cov TOEPH',
      '    cov ANTE(1)',
      '    cov ANTE1 group ARMCD',
      '    cov AR(1)',
      '    cov ARH(1)',
      '    cov SP(POW)(WEEK)',
      '    cov SP(EXP)(VISITN VISITN2) group ARMCD',
      '    cov SP(GAU)(VISITN, VISITN2)',
      '    select cov CS, AR1, UN group ARMCD by BIC',
      '    select cov CS, SP(EXP)(WEEK), TOEP(2) by AICC group ARMCD',
      '    factor ARMCD ref "PBO", RACE ref "Asian", SEX\n    fixed AVISIT * ARMCD + RACE + SEX\n    cov UN',
      '    factor VISITN ref 4\n    fixed VISITN',
      '    factor ARMCD ref PBO\n    fixed ARMCD\n    alpha 0.10',
      '    factor AVISIT ref "VIS4"\n    cov AR1',
      '    factor AVISIT ref "VIS1"\n    cov UN',
    ]) {
      const r = await check(FEV(body), FEV_DIR);
      expect(r.diagnostics, body).toEqual([]);
    }
  });

  it('the FEV1 examples of docs/language.md check cleanly against fixtures/fev.csv', async () => {
    const md = readFileSync(fileURLToPath(new URL('../../../docs/language.md', import.meta.url)), 'utf8');
    const blocks = [...md.matchAll(/```study\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('FEV1'));
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    for (const b of blocks) {
      const text = b.includes('data "') ? b : `data "fev.csv"\nsubject USUBJID\n${b}`;
      const r = await check(text, FEV_DIR);
      expect(r.diagnostics, text).toEqual([]);
    }
  });

  it('a spatial structure without coordinates: at the structure', async () => {
    const text = FEV('    cov SP(EXP) group ARMCD');
    const { d, word } = await fev(text, 'cov-coordinates');
    expect(d.severity).toBe(E);
    expect(d.message).toBe("SP(EXP) needs coordinates: the numeric column(s) giving each observation's position, as in SP(EXP)(week) or SP(EXP)(x y)");
    expect(word).toBe('SP(EXP)');
    expect(d.range).toEqual(at(text, 'cov SP', 'SP(EXP)'));
  });

  it('coordinates on a structure that is not spatial: at the first coordinate', async () => {
    const text = FEV('    cov AR1(VISITN VISITN2)');
    const { d, word } = await fev(text, 'cov-coordinates');
    expect(d.message).toBe('AR1 takes no coordinates: only the spatial structures SP(POW), SP(EXP) and SP(GAU) do, as in SP(EXP)(week)');
    expect(d.range).toEqual(at(text, 'cov AR1', 'VISITN'));
    expect(word).toBe('VISITN');
    const b = await fev(FEV('    select cov CS, UN(WEEK)'), 'cov-coordinates');
    expect(b.d.message).toMatch(/^UN takes no coordinates/);
    expect(b.word).toBe('WEEK');
  });

  it('a coordinate that is not numeric: not-numeric at the column', async () => {
    const text = FEV('    cov SP(POW)(WEEK AVISIT)');
    const { d, word } = await fev(text, 'not-numeric');
    expect(d.message).toBe("coordinate 'AVISIT' is not numeric (values VIS1, VIS2, VIS3, VIS4)");
    expect(d.range).toEqual(at(text, 'cov SP', 'AVISIT'));
    expect(word).toBe('AVISIT');
  });

  it('an unknown coordinate or group column, with a suggestion', async () => {
    const r = await check(FEV('    cov SP(EXP)(VISTN) group ARMC'), FEV_DIR);
    expect(byCode(r.diagnostics, 'unknown-column').map((d) => d.message)).toEqual([
      "unknown column 'VISTN' in fev.csv; did you mean 'VISITN'?",
      "unknown column 'ARMC' in fev.csv; did you mean 'ARMCD'?",
    ]);
  });

  it('an unknown spatial kind, SP without a kind, AR(2)', async () => {
    const a = await fev(FEV('    cov SP(EXPO)(WEEK)'), 'unknown-cov-type');
    expect(a.d.message).toBe("unknown spatial structure 'SP(EXPO)' (known: SP(POW), SP(EXP), SP(GAU)); did you mean 'SP(EXP)'?");
    expect(a.word).toBe('EXPO');
    expect(a.d.data).toEqual({ code: 'unknown-cov-type', suggestion: 'EXP' });
    const b = await fev(FEV('    cov SP'), 'unknown-cov-type');
    expect(b.d.message).toBe('SP needs a kind and coordinates: SP(POW), SP(EXP) or SP(GAU), as in SP(EXP)(week)');
    const c = await fev(FEV('    cov AR(2)'), 'cov-bands');
    expect(c.d.message).toBe('AR(2) is not available: only the first order, AR(1), is');
    expect(c.word).toBe('2');
    const d = await fev(FEV('    cov SPEXP(WEEK)'), 'unknown-cov-type');
    expect(d.d.message).toMatch(/did you mean 'SP\(EXP\)'\?$/);
  });

  it('a spatial or heterogeneous structure as a random-effects type', async () => {
    const { d, word } = await fev(FEV('    random intercept by USUBJID type SP(EXP)(WEEK)'), 'random-type');
    expect(d.message).toBe('a random-effects structure can be VC or UN, not SP(EXP)(WEEK)');
    expect(word).toBe('SP');
  });

  it('a GROUP= variable that varies within a subject: at the group column, naming the subject', async () => {
    const dir = tempFolder({ 'fev.csv': FEV_CSV.replace('PT12,VIS3,TRT', 'PT12,VIS3,PBO') });
    const text = FEV('    cov UN group ARMCD');
    const { d, word } = await fev(text, 'group-not-constant', dir);
    expect(d.severity).toBe(E);
    expect(d.message).toBe('ARMCD varies within subject PT12 (TRT, PBO): a GROUP= variable must be constant within subject');
    expect(d.range).toEqual(at(text, 'group ARMCD', 'ARMCD'));
    expect(word).toBe('ARMCD');
    // a filter that removes the odd row removes the error; so does select cov with the same group
    const r = await check(FEV('    cov UN group ARMCD\n    exclude USUBJID == "PT12"'), dir);
    expect(byCode(r.diagnostics, 'group-not-constant')).toEqual([]);
    const s = await fev(FEV('    select cov CS, UN by BIC group ARMCD'), 'group-not-constant', dir);
    expect(s.word).toBe('ARMCD');
  });

  it('a derived variable as the group', async () => {
    const text = FEV('    cov UN group d', 'let d = change of FEV1 from AVISIT "VIS1"\n');
    const { d, word } = await fev(text, 'derived-not-allowed');
    expect(d.message).toBe("'d' is a derived variable: a data column is needed here");
    expect(word).toBe('d');
  });

  it('group without a subject is reported as no-subject on cov', async () => {
    const text = 'data "fev.csv"\nmodel m {\n    outcome FEV1\n    repeated AVISIT\n    cov UN group ARMCD\n}\n';
    const { d, word } = await fev(text, 'no-subject');
    expect(word).toBe('cov');
    expect(d.range.start.line).toBe(4);
  });

  it('a REF level that is not in the data: unknown-level with the closest level and a quick fix', async () => {
    const text = FEV('    factor ARMCD ref "pbo", RACE ref Asain\n    fixed AVISIT * ARMCD + RACE\n    cov UN');
    const r = await check(text, FEV_DIR);
    const ds = byCode(r.diagnostics, 'unknown-level');
    expect(ds.map((d) => d.message)).toEqual([
      "ARMCD has no level pbo in fev.csv (levels: PBO, TRT); did you mean 'PBO'?",
      "RACE has no level Asain in fev.csv (levels: White, Black or African American, Asian); did you mean 'Asian'?",
    ]);
    expect(ds[0].range).toEqual(at(text, 'factor ARMCD', '"pbo"'));
    expect(ds.map((d) => d.data)).toEqual([
      { code: 'unknown-level', suggestion: '"PBO"' },
      { code: 'unknown-level', suggestion: 'Asian' },
    ]);
    expect(ds.every((d) => d.severity === E)).toBe(true);
    const n = await fev(FEV('    factor VISITN ref 7\n    fixed VISITN'), 'unknown-level');
    expect(n.d.message).toBe('VISITN has no level 7 in fev.csv (levels: 1, 2, 3, 4)');
    expect(n.word).toBe('7');
  });

  it('a REF level in a sensitivity block is checked once', async () => {
    const text = FEV('    cov UN') + 'sensitivity m { add factor ARMCD ref "PLB" }\nsensitivity s2 of m { method ML }\n';
    const { d, word } = await fev(text, 'unknown-level');
    expect(d.range.start.line).toBe(lineOf(text, 'sensitivity m'));
    expect(word).toBe('"PLB"');
  });

  it('REF on the repeated effect with a structure that depends on the order of the levels: a warning', async () => {
    const text = FEV('    factor AVISIT ref "VIS1"\n    cov AR(1)');
    const { d, word } = await fev(text, 'ref-order');
    expect(d.severity).toBe(W);
    expect(d.message).toBe('REF moves level VIS1 to the last position of the R matrix, as SAS does: the AR(1) lags then follow that order');
    expect(d.range).toEqual(at(text, 'factor AVISIT', '"VIS1"'));
    expect(word).toBe('"VIS1"');
    const b = await fev(FEV('    factor AVISIT ref "VIS2"\n    select cov CS, TOEP, ANTE1, UN'), 'ref-order');
    expect(b.d.message).toBe('REF moves level VIS2 to the last position of the R matrix, as SAS does: the TOEP and ANTE(1) lags then follow that order');
    // in a sensitivity variant that changes the structure
    const c = await fev(FEV('    factor AVISIT ref "VIS1"\n    cov UN') + 'sensitivity m { cov ARH1 }\n', 'ref-order');
    expect(c.d.message).toMatch(/the ARH\(1\) lags/);
  });

  it('alpha outside (0, 1): at the number', async () => {
    const text = FEV('    cov UN\n    alpha 1.5');
    const { d, word } = await fev(text, 'alpha-range');
    expect(d.severity).toBe(E);
    expect(d.message).toBe('alpha must be a number between 0 and 1, not 1.5: the confidence limits are at level 1 − alpha (alpha 0.05 gives 95% limits)');
    expect(d.range).toEqual(at(text, 'alpha', '1.5'));
    for (const [v, w] of [['0', '0'], ['-0.1', '-0.1'], ['"a"', '"a"']]) {
      const r = await fev(FEV(`    alpha ${v}`), 'alpha-range');
      expect(r.word).toBe(w);
    }
    const s = await fev(FEV('    cov UN') + 'sensitivity m { alpha 5 }\n', 'alpha-range');
    expect(s.word).toBe('5');
  });

  it('two alpha statements in a model', async () => {
    const { d, word } = await fev(FEV('    alpha 0.1\n    alpha 0.05'), 'duplicate-statement');
    expect(d.message).toBe("a model has one 'alpha' statement");
    expect(word).toBe('alpha');
  });

  it('fixed intercept: test, compare and estimate name effects that are not in the model; nothing is tested at zero', async () => {
    const text = FEV('    covariate VISITN\n    fixed intercept\n    cov UN\n    test AVISIT\n    compare AVISIT pairwise\n    estimate slope of VISITN at each AVISIT');
    const r = await check(text, FEV_DIR);
    expect(byCode(r.diagnostics, 'not-in-model').map((d) => [d.message, covered(text, d.range)])).toEqual([
      ['AVISIT is not a fixed effect of m (fixed: intercept only)', 'AVISIT'],
      ['VISITN is not a covariate of m', 'VISITN'],
      ['AVISIT is not a fixed effect of m (fixed: intercept only)', 'AVISIT'],
    ]);
    expect(byCode(r.diagnostics, 'tested-at-zero')).toEqual([]);
    const ok = await check(FEV('    fixed intercept\n    cov SP(POW)(WEEK)'), FEV_DIR);
    expect(ok.diagnostics).toEqual([]);
  });
});

describe('data cache', () => {
  it('reads a data file once and re-reads it when it changes', async () => {
    const dir = tempFolder({ 'c.csv': 'id,visit,y\nA,1,2\nA,2,3\nB,1,2\n' });
    const text = 'data "c.csv"\nsubject id\nmodel m { outcome yy }\n';
    const before = dataReadCount();
    await check(text, dir);
    await check(text, dir);
    expect(dataReadCount() - before).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(path.join(dir, 'c.csv'), 'id,visit,yy,extra\nA,1,2,0\nA,2,3,0\nB,1,2,0\n');
    const r = await check(text, dir);
    expect(dataReadCount() - before).toBe(2);
    expect(byCode(r.diagnostics, 'unknown-column')).toEqual([]);
  });
});
