import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import type { StudyPlan } from '@study/engine';
import { buildPlan, checkStudyFile, parseStudyDocument } from '@study/language';
import { FEV_DIR, KETAMINE_DIR, KETAMINE_SPEC } from './helpers.js';

const at = (level: number) => ({ column: 'visit', level });

async function plan(text: string, dir = KETAMINE_DIR): Promise<StudyPlan> {
  const r = await parseStudyDocument(text, path.join(dir, 'plan-test.study'));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return buildPlan(r.document);
}

const HEAD = 'data "ketamine.csv"\nsubject patient\n';

describe('buildPlan', () => {
  it('builds the full plan of the ketamine spec', async () => {
    const r = await checkStudyFile(path.join(KETAMINE_DIR, 'ketamine.study'));
    const p = buildPlan(r.document);
    expect(p).toEqual({
      title: 'Age and the speed of ketamine response (synthetic cohort)',
      dataPath: 'ketamine.csv',
      subject: 'patient',
      derived: [{ kind: 'percent-change', name: 'pct_change', variable: 'bdi', by: 'visit', baseline: 1 }],
      filters: [],
      models: [
        {
          spec: {
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
          },
          filters: [{ mode: 'where', expr: { kind: 'in', column: 'visit', values: [2, 3, 4, 5, 6] } }],
          repeatedLevels: [2, 3, 4, 5, 6],
        },
        // the three sensitivity variants (sex, BMI, the full dose): the base model with what each block changes
        ...[
          { name: 'sex_adjusted', classes: ['visit', 'sex'], fixed: [['visit'], ['age'], ['visit', 'age'], ['sex']], description: 'add factor sex; fixed visit * age + sex' },
          { name: 'bmi_adjusted', classes: ['visit'], fixed: [['visit'], ['age'], ['visit', 'age'], ['bmi']], description: 'add covariate bmi; fixed visit * age + bmi' },
          { name: 'full_dose', classes: ['visit'], fixed: [['visit'], ['age'], ['visit', 'age']], description: 'exclude dose_adjusted == 1', exclude: true },
        ].map((v) => ({
          spec: {
            name: v.name,
            response: 'pct_change',
            subject: 'patient',
            classes: v.classes,
            fixed: v.fixed,
            intercept: true,
            repeated: { effect: 'visit', type: 'CS', candidates: ['CS', 'AR1', 'UN'], criterion: 'BIC' },
            random: [],
            method: 'REML',
            ddfm: 'between-within',
            tests: [['visit'], ['age'], ['visit', 'age']],
            estimates: [{ kind: 'slope-at-levels', covariate: 'age', factor: 'visit' }],
            lsmeans: [{ effect: 'visit', pairwise: true, adjust: 'tukey' }],
          },
          filters: [
            ...(v.exclude ? [{ mode: 'exclude', expr: { kind: 'compare', column: 'dose_adjusted', op: '==', value: 1 } }] : []),
            { mode: 'where', expr: { kind: 'in', column: 'visit', values: [2, 3, 4, 5, 6] } },
          ],
          sensitivity: { of: 'trajectory', description: v.description },
          repeatedLevels: [2, 3, 4, 5, 6],
        })),
      ],
      analyses: [
        {
          name: 'durability',
          filters: [],
          tests: [
            { kind: 'paired-t', label: 'pct_change at visit 6 vs visit 7', left: { variable: 'pct_change', at: at(6) }, right: { variable: 'pct_change', at: at(7) } },
            {
              kind: 'correlation',
              label: 'age with pct_change at visit 6 - pct_change at visit 7',
              x: { kind: 'value', value: { variable: 'age' } },
              y: { kind: 'difference', left: { variable: 'pct_change', at: at(6) }, right: { variable: 'pct_change', at: at(7) } },
            },
          ],
        },
      ],
      describes: [
        {
          name: 'cohort',
          filters: [],
          variables: [
            { variable: 'age' },
            { variable: 'sex', categorical: true },
            { variable: 'bmi' },
            { variable: 'ptsd', categorical: true },
            { variable: 'bipolar', categorical: true },
            { variable: 'bdi', at: at(1) },
            { variable: 'bdi', at: at(6) },
          ],
          by: [],
        },
        { name: 'course', filters: [], variables: [{ variable: 'bdi' }], by: ['visit'] },
      ],
    });
    // the plan is plain data
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it('refuses a document with errors', async () => {
    const r = await parseStudyDocument(KETAMINE_SPEC.replace('covariate age', 'covariate agee'), path.join(KETAMINE_DIR, 'bad.study'));
    expect(() => buildPlan(r.document)).toThrow("cannot build a plan: the spec has 1 error (first: line 11: unknown column 'agee' in ketamine.csv; did you mean 'age'?)");
  });

  it('works from the root node too', async () => {
    const r = await checkStudyFile(path.join(KETAMINE_DIR, 'ketamine.study'));
    expect(buildPlan(r.document.parseResult.value)).toEqual(buildPlan(r.document));
  });

  it('explicit fixed formula: a*b expands, a:b is the interaction only, - intercept', async () => {
    const p = await plan(HEAD + 'model m {\n    outcome bdi\n    repeated visit\n    covariate age\n    factor sex\n    fixed visit * age + sex + visit:sex - intercept\n}');
    const s = p.models[0].spec;
    expect(s.fixed).toEqual([['visit'], ['age'], ['visit', 'age'], ['sex'], ['visit', 'sex']]);
    expect(s.intercept).toBe(false);
    expect(s.classes).toEqual(['visit', 'sex']);
    expect(s.repeated).toEqual({ effect: 'visit', type: 'VC' });
    expect(p.models[0].repeatedLevels).toBeUndefined();
    expect(p.models[0].filters).toEqual([]);
  });

  it('a*b:c crosses a with the interaction b:c', async () => {
    const p = await plan(HEAD + 'model m {\n    outcome bdi\n    factor sex\n    fixed sex * age:bmi\n}');
    expect(p.models[0].spec.fixed).toEqual([['sex'], ['age', 'bmi'], ['sex', 'age', 'bmi']]);
  });

  it('default fixed effects with several covariates and factors: repeated, main effects, then interactions', async () => {
    const p = await plan(HEAD + 'model m {\n    outcome bdi\n    repeated visit\n    covariate age\n    factor sex\n    random subject\n    cov UN\n}');
    expect(p.models[0].spec.fixed).toEqual([['visit'], ['age'], ['sex'], ['visit', 'age'], ['visit', 'sex']]);
    expect(p.models[0].spec.tests).toBeUndefined();
  });

  it('G-side random effects: VC and UN, with a subject; defaults to containment df', async () => {
    const p = await plan(HEAD + 'model a {\n    outcome bdi\n    covariate week\n    random intercept, slope week by patient\n}\nmodel b {\n    outcome bdi\n    covariate week\n    random intercept, week by patient type UN\n}');
    expect(p.models[0].spec).toMatchObject({ random: [{ terms: [[], ['week']], subject: 'patient', type: 'VC' }], ddfm: 'containment', fixed: [['week']] });
    expect(p.models[0].spec.subject).toBeUndefined();
    expect(p.models[0].spec.repeated).toBeUndefined();
    expect(p.models[1].spec.random).toEqual([{ terms: [[], ['week']], subject: 'patient', type: 'UN' }]);
    expect(p.models[0].spec.randomSolution).toBeUndefined();
  });

  it('compare sex at each visit: LS-means of visit*sex, differences within each visit', async () => {
    const p = await plan(HEAD + 'model a {\n    outcome bdi\n    factor visit, sex\n    fixed visit * sex\n    compare sex at each visit pairwise adjust tukey\n}');
    expect(p.models[0].spec.lsmeans).toEqual([{ effect: 'sex*visit', pairwise: true, adjust: 'tukey', slice: 'visit' }]);
  });

  it('cov TOEP(4) is a banded Toeplitz', async () => {
    const p = await plan(HEAD + 'model a {\n    outcome bdi\n    repeated visit\n    cov TOEP(4)\n}');
    expect(p.models[0].spec.repeated).toEqual({ effect: 'visit', type: 'TOEP', toeplitzBands: 4 });
  });

  it('predict random effects asks the engine for the solution for random effects', async () => {
    const p = await plan(HEAD + 'model a {\n    outcome bdi\n    covariate week\n    random intercept by patient\n    predict random effects\n}');
    expect(p.models[0].spec.randomSolution).toBe(true);
  });

  it('random effects without a subject (split plot)', async () => {
    const dir = path.join(KETAMINE_DIR);
    void dir;
    const p = await plan(HEAD + 'model split {\n    outcome bdi\n    factor sex, ptsd, bipolar\n    fixed sex * ptsd\n    random bipolar, sex*bipolar\n}');
    expect(p.models[0].spec).toMatchObject({
      classes: ['sex', 'ptsd', 'bipolar'],
      random: [{ terms: [['bipolar'], ['sex', 'bipolar']], type: 'VC' }],
      ddfm: 'containment',
    });
    expect(p.models[0].spec.random[0].subject).toBeUndefined();
  });

  it('random subject without an R-side structure is a random intercept per subject', async () => {
    const p = await plan(HEAD + 'model m {\n    outcome bdi\n    repeated visit\n    random subject\n}');
    expect(p.models[0].spec).toMatchObject({ subject: 'patient', random: [{ terms: [[]], subject: 'patient', type: 'VC' }], repeated: { effect: 'visit', type: 'VC' }, ddfm: 'containment' });
  });

  it('cov, method ML, explicit df, compare without pairwise, no subject → residual df', async () => {
    const p = await plan(HEAD + 'model a {\n    outcome bdi\n    repeated visit 1, 4, 7\n    random subject\n    cov AR1\n    method ML\n    df satterthwaite\n}\nmodel b {\n    outcome bdi\n    factor sex\n    compare sex\n}');
    expect(p.models[0].spec).toMatchObject({ repeated: { effect: 'visit', type: 'AR1' }, method: 'ML', ddfm: 'satterthwaite' });
    expect(p.models[0].repeatedLevels).toEqual([1, 4, 7]);
    expect(p.models[1].spec).toMatchObject({ ddfm: 'residual', method: 'REML', lsmeans: [{ effect: 'sex', pairwise: false, adjust: 'none' }] });
  });

  it('study-level and block-level filters', async () => {
    const p = await plan(
      HEAD +
        'where visit >= 1 and (sex == "F" or not age < 30)\nexclude bmi is missing\nmodel m {\n    outcome bdi\n    exclude dose_adjusted in (1, 2)\n    where bdi is not missing\n}\nanalysis a {\n    where ptsd != 1\n    paired bdi at visit 1 vs bmi at visit 1 "bdi vs bmi"\n}',
    );
    expect(p.filters).toEqual([
      {
        mode: 'where',
        expr: {
          kind: 'and',
          left: { kind: 'compare', column: 'visit', op: '>=', value: 1 },
          right: { kind: 'or', left: { kind: 'compare', column: 'sex', op: '==', value: 'F' }, right: { kind: 'not', expr: { kind: 'compare', column: 'age', op: '<', value: 30 } } },
        },
      },
      { mode: 'exclude', expr: { kind: 'missing', column: 'bmi' } },
    ]);
    expect(p.models[0].filters).toEqual([
      { mode: 'exclude', expr: { kind: 'in', column: 'dose_adjusted', values: [1, 2] } },
      { mode: 'where', expr: { kind: 'not', expr: { kind: 'missing', column: 'bdi' } } },
    ]);
    expect(p.analyses[0]).toEqual({
      name: 'a',
      filters: [{ mode: 'where', expr: { kind: 'compare', column: 'ptsd', op: '!=', value: 1 } }],
      tests: [{ kind: 'paired-t', label: 'bdi vs bmi', left: { variable: 'bdi', at: at(1) }, right: { variable: 'bmi', at: at(1) } }],
    });
  });

  it('change (not percent) derivations', async () => {
    // with a model: a spec without any model or analysis is an error (nothing-to-run)
    const p = await plan(HEAD + 'let d = change of bdi from visit_label "infusion1"\nmodel m { outcome d }');
    expect(p.derived).toEqual([{ kind: 'change', name: 'd', variable: 'bdi', by: 'visit_label', baseline: 'infusion1' }]);
  });

  it('sensitivity variants: unnamed and named, filters appended, add/drop, statements replaced', async () => {
    const p = await plan(
      KETAMINE_SPEC +
        '\nsensitivity trajectory { exclude dose_adjusted == 1; add factor sex }\nsensitivity no_age of trajectory {\n    drop covariate age\n    cov UN\n    test visit\n    estimate slope of bmi at each visit\n    add covariate bmi\n}\n',
    );
    expect(p.models.map((m) => m.spec.name)).toEqual(['trajectory', 'sex_adjusted', 'bmi_adjusted', 'full_dose', 'trajectory (sensitivity 1)', 'no_age']);
    const s1 = p.models[4];
    expect(s1.sensitivity).toEqual({ of: 'trajectory', description: 'exclude dose_adjusted == 1; add factor sex' });
    expect(s1.spec.fixed).toEqual([['visit'], ['age'], ['sex'], ['visit', 'age'], ['visit', 'sex']]);
    expect(s1.spec.classes).toEqual(['visit', 'sex']);
    expect(s1.filters).toEqual([
      { mode: 'exclude', expr: { kind: 'compare', column: 'dose_adjusted', op: '==', value: 1 } },
      { mode: 'where', expr: { kind: 'in', column: 'visit', values: [2, 3, 4, 5, 6] } },
    ]);
    expect(s1.spec.repeated).toEqual(p.models[0].spec.repeated);
    const s2 = p.models[5].spec;
    expect(p.models[5].sensitivity).toEqual({ of: 'trajectory', description: 'drop covariate age; cov UN; test visit; estimate slope of bmi at each visit; add covariate bmi' });
    expect(s2.fixed).toEqual([['visit'], ['bmi'], ['visit', 'bmi']]);
    expect(s2.repeated).toEqual({ effect: 'visit', type: 'UN' });
    expect(s2.tests).toEqual([['visit']]);
    expect(s2.estimates).toEqual([{ kind: 'slope-at-levels', covariate: 'bmi', factor: 'visit' }]);
    expect(s2.lsmeans).toEqual(p.models[0].spec.lsmeans);
    // the base model is untouched
    expect(p.models[0].spec.fixed).toEqual([['visit'], ['age'], ['visit', 'age']]);
  });

  it('maps the Kenward-Roger variants', async () => {
    const model = (df: string) => HEAD + `model a {\n    outcome bdi\n    repeated visit\n    random subject\n    cov CS\n    ${df}\n}`;
    const plain = await plan(model('df kenward-roger'));
    expect(plain.models[0].spec.ddfm).toBe('kenward-roger');
    expect(plain.models[0].spec.kenwardRoger).toBeUndefined();
    expect((await plan(model('df kenward-roger observed'))).models[0].spec.kenwardRoger).toEqual({ information: 'observed' });
    // SAS KR(FIRSTORDER) and KR(LINEAR): SAS's observed information without the second-derivative term
    // (`variant` keeps the spelling for the SAS export: DDFM=KR(FIRSTORDER) or KR(LINEAR))
    expect((await plan(model('df kenward-roger firstorder'))).models[0].spec.kenwardRoger).toEqual({ information: 'observed', firstOrder: true, variant: 'firstorder' });
    expect((await plan(model('df kenward-roger linear'))).models[0].spec.kenwardRoger).toEqual({ information: 'observed', firstOrder: true, variant: 'linear' });
  });

  it('maps a fallback chain and a nested subject', async () => {
    const p = await plan(HEAD + 'model a {\n    outcome bdi\n    repeated visit\n    random subject\n    cov UN else TOEPH else AR(1)\n}\nmodel b {\n    outcome bdi\n    factor sex\n    fixed sex\n    random intercept by patient(sex)\n}');
    expect(p.models[0].spec.repeated).toEqual({ effect: 'visit', type: 'UN', fallback: ['TOEPH', 'AR1'] });
    expect(p.models[1].spec.random).toEqual([{ terms: [[]], subject: 'patient(sex)', type: 'VC' }]);
  });

  it('maps converge sas / optimum to the stopping rule', async () => {
    const model = (line: string) => HEAD + `model a {\n    outcome bdi\n    repeated visit\n    random subject\n    cov UN\n    ${line}\n}`;
    expect((await plan(model('converge sas'))).models[0].spec.convergence).toBe('sas');
    expect((await plan(model('converge optimum'))).models[0].spec.convergence).toBe('optimum');
    expect((await plan(model('method REML'))).models[0].spec.convergence).toBeUndefined();
  });

  it('maps compare … at to LS-means at covariate values', async () => {
    const p = await plan(HEAD + 'model a {\n    outcome bdi\n    repeated visit\n    covariate age\n    random subject\n    cov CS\n    compare visit pairwise at age 40 adjust bonferroni\n    compare visit at age -1.5\n}');
    expect(p.models[0].spec.lsmeans).toEqual([
      { effect: 'visit', pairwise: true, adjust: 'bonferroni', at: { age: 40 } },
      { effect: 'visit', pairwise: false, adjust: 'none', at: { age: -1.5 } },
    ]);
  });

  it('maps a centred covariate', async () => {
    const p = await plan(HEAD + 'let age_c = age centred at 50.5\nlet a2 = age centered at -3\nmodel a {\n    outcome bdi\n    covariate age_c\n}');
    expect(p.derived).toEqual([
      { kind: 'centred', name: 'age_c', variable: 'age', centre: 50.5 },
      { kind: 'centred', name: 'a2', variable: 'age', centre: -3 },
    ]);
  });
});

describe('buildPlan: covariance structures, GROUP=, REF=, intercept-only, alpha', () => {
  const FEV = (body: string, extra = '') => `data "fev.csv"\nsubject USUBJID\n${extra}model m {\n    outcome FEV1\n    repeated AVISIT\n${body}\n}\n`;
  const spec = async (body: string, extra = '') => (await plan(FEV(body, extra), FEV_DIR)).models[0].spec;

  it('TOEPH, ANTE1 / ANTE(1), AR(1), ARH(1) and TOEP(2)', async () => {
    expect((await spec('    cov TOEPH')).repeated).toEqual({ effect: 'AVISIT', type: 'TOEPH' });
    expect((await spec('    cov ANTE1')).repeated).toEqual({ effect: 'AVISIT', type: 'ANTE1' });
    expect((await spec('    cov ANTE(1)')).repeated).toEqual({ effect: 'AVISIT', type: 'ANTE1' });
    expect((await spec('    cov AR(1)')).repeated).toEqual({ effect: 'AVISIT', type: 'AR1' });
    expect((await spec('    cov ARH(1)')).repeated).toEqual({ effect: 'AVISIT', type: 'ARH1' });
    expect((await spec('    cov TOEP(2)')).repeated).toEqual({ effect: 'AVISIT', type: 'TOEP', toeplitzBands: 2 });
  });

  it('spatial structures with their coordinates', async () => {
    expect((await spec('    cov SP(POW)(WEEK)')).repeated).toEqual({ effect: 'AVISIT', type: 'SPPOW', coordinates: ['WEEK'] });
    expect((await spec('    cov SP(EXP)(VISITN VISITN2)')).repeated).toEqual({ effect: 'AVISIT', type: 'SPEXP', coordinates: ['VISITN', 'VISITN2'] });
    expect((await spec('    cov SP(GAU)(VISITN, VISITN2)')).repeated).toEqual({ effect: 'AVISIT', type: 'SPGAU', coordinates: ['VISITN', 'VISITN2'] });
  });

  it('select cov: candidates with options are CovarianceChoice objects, the others plain types', async () => {
    const s = await spec('    select cov CS, AR(1), SP(EXP)(VISITN), TOEP(2), ANTE(1) by BIC');
    expect(s.repeated).toEqual({
      effect: 'AVISIT',
      type: 'CS',
      candidates: ['CS', 'AR1', { type: 'SPEXP', coordinates: ['VISITN'] }, { type: 'TOEP', toeplitzBands: 2 }, 'ANTE1'],
      criterion: 'BIC',
    });
    // the spec's own type is the first candidate's, with its options
    const t = await spec('    select cov SP(POW)(WEEK), UN');
    expect(t.repeated).toEqual({ effect: 'AVISIT', type: 'SPPOW', coordinates: ['WEEK'], candidates: [{ type: 'SPPOW', coordinates: ['WEEK'] }, 'UN'], criterion: 'AIC' });
  });

  it('group: cov … group and select cov … group, by in either order', async () => {
    expect((await spec('    cov UN group ARMCD')).repeated).toEqual({ effect: 'AVISIT', type: 'UN', group: 'ARMCD' });
    expect((await spec('    cov SP(EXP)(VISITN VISITN2) group ARMCD')).repeated).toEqual({ effect: 'AVISIT', type: 'SPEXP', coordinates: ['VISITN', 'VISITN2'], group: 'ARMCD' });
    const expected = { effect: 'AVISIT', type: 'CS', candidates: ['CS', 'AR1', 'UN'], criterion: 'BIC', group: 'ARMCD' };
    expect((await spec('    select cov CS, AR1, UN group ARMCD by BIC')).repeated).toEqual(expected);
    expect((await spec('    select cov CS, AR1, UN by BIC group ARMCD')).repeated).toEqual(expected);
  });

  it('factor … ref: classReference as level text', async () => {
    const s = await spec('    factor ARMCD ref "PBO", RACE ref "Asian", SEX\n    fixed AVISIT * ARMCD + RACE + SEX\n    cov UN');
    expect(s.classReference).toEqual({ ARMCD: 'PBO', RACE: 'Asian' });
    expect(s.classes).toEqual(['AVISIT', 'ARMCD', 'RACE', 'SEX']);
    // numbers as String(n), also when quoted on a numeric column; an unquoted identifier
    expect((await spec('    factor VISITN ref 4\n    fixed VISITN')).classReference).toEqual({ VISITN: '4' });
    expect((await spec('    factor VISITN ref "4.0"\n    fixed VISITN')).classReference).toEqual({ VISITN: '4' });
    expect((await spec('    factor ARMCD ref PBO\n    fixed ARMCD')).classReference).toEqual({ ARMCD: 'PBO' });
    expect((await spec('    factor ARMCD\n    fixed ARMCD')).classReference).toBeUndefined();
  });

  it('factor … ref in a sensitivity block (add factor, and a replacing factor statement dropped by drop)', async () => {
    const p = await plan(
      FEV('    factor ARMCD\n    cov UN') + 'sensitivity m { add factor RACE ref "White" }\nsensitivity other of m { drop factor ARMCD; add factor ARMCD ref "TRT" }\n',
      FEV_DIR,
    );
    expect(p.models.map((m) => m.spec.classReference)).toEqual([undefined, { RACE: 'White' }, { ARMCD: 'TRT' }]);
  });

  it('fixed intercept: no fixed terms, an intercept, the repeated effect still places R', async () => {
    const s = await spec('    fixed intercept\n    cov UN');
    expect(s).toMatchObject({ fixed: [], intercept: true, classes: ['AVISIT'], repeated: { effect: 'AVISIT', type: 'UN' }, subject: 'USUBJID', ddfm: 'between-within' });
    expect(s.tests).toBeUndefined();
    // covariate-only mean
    const c = await spec('    covariate VISITN\n    fixed VISITN\n    cov SP(POW)(WEEK)');
    expect(c).toMatchObject({ fixed: [['VISITN']], intercept: true, classes: ['AVISIT'], repeated: { effect: 'AVISIT', type: 'SPPOW', coordinates: ['WEEK'] } });
  });

  it('alpha, also replaced in a sensitivity block', async () => {
    const p = await plan(FEV('    cov UN\n    alpha 0.10') + 'sensitivity m { alpha 0.01 }\n', FEV_DIR);
    expect(p.models.map((m) => m.spec.alpha)).toEqual([0.1, 0.01]);
    expect((await spec('    cov UN')).alpha).toBeUndefined();
  });

  it('the plan of a complete MMRM spec', async () => {
    const s = await spec('    factor ARMCD ref "PBO"\n    fixed AVISIT * ARMCD\n    cov UN group ARMCD\n    df kenward-roger linear\n    alpha 0.1');
    expect(s).toEqual({
      name: 'm',
      response: 'FEV1',
      subject: 'USUBJID',
      classes: ['AVISIT', 'ARMCD'],
      classReference: { ARMCD: 'PBO' },
      fixed: [['AVISIT'], ['ARMCD'], ['AVISIT', 'ARMCD']],
      intercept: true,
      repeated: { effect: 'AVISIT', type: 'UN', group: 'ARMCD' },
      random: [],
      method: 'REML',
      ddfm: 'kenward-roger',
      kenwardRoger: { information: 'observed', firstOrder: true, variant: 'linear' },
      alpha: 0.1,
      estimates: [],
      lsmeans: [],
    });
  });
});
