import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { URI } from 'langium';
import { expectCompletion, expectFormatting, expectGoToDefinition, expectHover, expectSymbols, highlightHelper, expectSemanticToken } from 'langium/test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { SemanticTokenTypes, SymbolKind, type CodeAction, type DocumentSymbol } from 'vscode-languageserver';
import { check, services, FEV_DIR, KETAMINE_DIR, KETAMINE_SPEC, ketamineWith } from './helpers.js';

let n = 0;
const inKetamine = () => ({ documentUri: URI.file(path.join(KETAMINE_DIR, `lsp-test-${++n}.study`)).toString() });

describe('quick fix', () => {
  async function fix(input: string, code: string) {
    const r = await check(input);
    const d = r.diagnostics.find((x) => x.code === code)!;
    expect(d).toBeDefined();
    const actions = (await services.lsp.CodeActionProvider!.getCodeActions(r.document, {
      textDocument: { uri: r.document.textDocument.uri },
      range: d.range,
      context: { diagnostics: [d] },
    })) as CodeAction[];
    const fixed = actions.length ? TextDocument.applyEdits(r.document.textDocument, actions[0].edit!.changes![r.document.textDocument.uri]) : undefined;
    return { actions, fixed };
  }

  it('replaces an unknown column by the suggestion', async () => {
    const { actions, fixed } = await fix(ketamineWith('covariate age', 'covariate agee'), 'unknown-column');
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ title: "Replace with 'age'", kind: 'quickfix', isPreferred: true });
    expect(fixed).toBe(KETAMINE_SPEC);
  });

  it('replaces an unknown covariance structure by the suggestion', async () => {
    const { actions, fixed } = await fix(ketamineWith('select cov CS, AR1, UN', 'select cov CS, AR, UN'), 'unknown-cov-type');
    expect(actions[0].title).toBe("Replace with 'AR1'");
    expect(fixed).toBe(KETAMINE_SPEC);
  });

  it('replaces an unknown reference level by the closest level, quoted as it was', async () => {
    const fixed = 'data "fev.csv"\nsubject USUBJID\nmodel m {\n    outcome FEV1\n    factor ARMCD ref "PBO"\n}\n';
    const r = await check(fixed.replace('"PBO"', '"pbo"'), FEV_DIR);
    const d = r.diagnostics.find((x) => x.code === 'unknown-level')!;
    const actions = (await services.lsp.CodeActionProvider!.getCodeActions(r.document, {
      textDocument: { uri: r.document.textDocument.uri },
      range: d.range,
      context: { diagnostics: [d] },
    })) as CodeAction[];
    expect(actions[0].title).toBe(`Replace with '"PBO"'`);
    expect(TextDocument.applyEdits(r.document.textDocument, actions[0].edit!.changes![r.document.textDocument.uri])).toBe(fixed);
  });

  it('offers nothing without a suggestion', async () => {
    const { actions } = await fix(ketamineWith('covariate age', 'covariate cholesterol'), 'unknown-column');
    expect(actions).toEqual([]);
  });
});

describe('completion', () => {
  const columns = ['patient', 'visit', 'visit_label', 'week', 'bdi', 'age', 'sex', 'bmi', 'ptsd', 'bipolar', 'dose_adjusted'];

  it('offers the data columns after covariate', async () => {
    await expectCompletion(services)({
      text: 'data "ketamine.csv"\nsubject patient\nmodel m {\n    covariate <|>\n}',
      index: 0,
      parseOptions: inKetamine(),
      assert: (list) => {
        const labels = list.items.map((i) => i.label);
        for (const c of columns) expect(labels).toContain(c);
        expect(list.items.find((i) => i.label === 'age')?.detail).toMatch(/^numeric column/);
      },
    });
  });

  it('offers columns and earlier lets after outcome, filtered by prefix', async () => {
    await expectCompletion(services)({
      text: 'data "ketamine.csv"\nlet pct = percent change of bdi from visit 1\nmodel m {\n    outcome p<|>\n}',
      index: 0,
      parseOptions: inKetamine(),
      assert: (list) => {
        const labels = list.items.map((i) => i.label);
        expect(labels).toContain('pct');
        expect(labels).toContain('patient');
        expect(labels).toContain('ptsd');
      },
    });
  });

  it('offers columns in subject, repeated, factor and where positions', async () => {
    for (const text of [
      'data "ketamine.csv"\nsubject <|>',
      'data "ketamine.csv"\nmodel m { repeated <|> }',
      'data "ketamine.csv"\nmodel m { factor <|> }',
      'data "ketamine.csv"\nwhere <|>',
    ]) {
      await expectCompletion(services)({
        text,
        index: 0,
        parseOptions: inKetamine(),
        assert: (list) => expect(list.items.map((i) => i.label)).toContain('visit'),
      });
    }
  });

  it('offers statement keywords in a model block', async () => {
    await expectCompletion(services)({
      text: 'data "ketamine.csv"\nmodel m {\n    <|>\n}',
      index: 0,
      parseOptions: inKetamine(),
      assert: (list) => {
        const labels = list.items.map((i) => i.label);
        for (const k of ['outcome', 'repeated', 'covariate', 'factor', 'fixed', 'random', 'cov', 'select', 'method', 'df', 'test', 'estimate', 'compare', 'where', 'exclude']) {
          expect(labels).toContain(k);
        }
      },
    });
  });

  it('offers covariance structures after cov', async () => {
    await expectCompletion(services)({
      text: 'model m { cov <|> }',
      index: 0,
      expectedItems: ['VC', 'CS', 'AR1', 'UN', 'CSH', 'ARH1', 'TOEP', 'TOEPH', 'ANTE1', 'SP(POW)', 'SP(EXP)', 'SP(GAU)'],
    });
  });

  it('offers the structures after select cov and a comma, with a snippet for the coordinates of SP(…)', async () => {
    await expectCompletion(services)({
      text: 'model m { select cov CS, <|> }',
      index: 0,
      assert: (list) => {
        const labels = list.items.map((i) => i.label);
        for (const t of ['TOEPH', 'ANTE1', 'SP(POW)', 'SP(EXP)', 'SP(GAU)']) expect(labels).toContain(t);
        expect(list.items.find((i) => i.label === 'SP(EXP)')).toMatchObject({ insertText: 'SP(EXP)($1)', insertTextFormat: 2 });
        expect(String(list.items.find((i) => i.label === 'TOEPH')?.documentation)).toMatch(/heterogeneous Toeplitz/);
      },
    });
  });

  it('offers the spatial kinds inside SP(…), and columns for the coordinates and the group', async () => {
    await expectCompletion(services)({ text: 'model m { cov SP(<|> }', index: 0, expectedItems: ['POW', 'EXP', 'GAU'] });
    for (const text of ['data "ketamine.csv"\nmodel m { cov SP(EXP)(<|> }', 'data "ketamine.csv"\nmodel m { cov UN group <|> }']) {
      await expectCompletion(services)({
        text,
        index: 0,
        parseOptions: inKetamine(),
        assert: (list) => expect(list.items.map((i) => i.label)).toContain('week'),
      });
    }
  });

  it('offers group and by after a structure, and ref after a factor', async () => {
    await expectCompletion(services)({
      text: 'model m { cov UN <|> }',
      index: 0,
      assert: (list) => expect(list.items.map((i) => i.label)).toContain('group'),
    });
    await expectCompletion(services)({
      text: 'model m { select cov CS, UN <|> }',
      index: 0,
      assert: (list) => {
        const labels = list.items.map((i) => i.label);
        expect(labels).toContain('group');
        expect(labels).toContain('by');
      },
    });
    await expectCompletion(services)({
      text: 'model m { factor sex <|> }',
      index: 0,
      assert: (list) => expect(list.items.map((i) => i.label)).toContain('ref'),
    });
  });
});

describe('hover', () => {
  it('documents keywords', async () => {
    await expectHover(services)({ text: 'model m { rep<|>eated visit }', index: 0, hover: /R matrix \(SAS `REPEATED visit`\)/ });
    await expectHover(services)({ text: 'model m { df between-wi<|>thin }', index: 0, hover: /Between-within .*DDFM=BETWITHIN/ });
  });

  it('shows the expanded model on `model`', async () => {
    const text = KETAMINE_SPEC.replace('model trajectory', 'mo<|>del trajectory');
    await expectHover(services)({
      text,
      index: 0,
      parseOptions: inKetamine(),
      hover: /\*\*trajectory\*\*: `pct_change = visit \+ age \+ visit\*age`[\s\S]*repeated: `visit` \(levels 2\.\.6\)[\s\S]*best of CS, AR1, UN by BIC \(subject patient\)[\s\S]*method REML, df between-within$/,
    });
  });

  it('shows the expanded model of a sensitivity variant', async () => {
    const text = KETAMINE_SPEC + '\nsensi<|>tivity trajectory { exclude dose_adjusted == 1; add factor sex }\n';
    await expectHover(services)({ text, index: 0, parseOptions: inKetamine(), hover: /trajectory \(sensitivity 1\)\*\*: `pct_change = visit \+ age \+ sex \+ visit\*age \+ visit\*sex`/ });
  });

  it('describes a column', async () => {
    const text = KETAMINE_SPEC.replace('covariate age', 'covariate a<|>ge');
    await expectHover(services)({ text, index: 0, parseOptions: inKetamine(), hover: /`age` — numeric column of ketamine.csv: .*; 0 missing/ });
  });

  it('describes a covariance structure', async () => {
    await expectHover(services)({ text: 'model m { cov A<|>R1 }', index: 0, hover: /first-order autoregressive/ });
  });

  it('describes the new structures, also as SAS spells them', async () => {
    await expectHover(services)({ text: 'model m { cov TOE<|>PH }', index: 0, hover: /heterogeneous Toeplitz/ });
    await expectHover(services)({ text: 'model m { cov AN<|>TE(1) }', index: 0, hover: /first-order ante-dependence/ });
    await expectHover(services)({ text: 'model m { cov A<|>R(1) }', index: 0, hover: /first-order autoregressive/ });
    await expectHover(services)({ text: 'model m { cov S<|>P(EXP)(week) }', index: 0, hover: /spatial exponential/ });
    await expectHover(services)({ text: 'model m { cov SP(PO<|>W)(week) }', index: 0, hover: /spatial power/ });
    await expectHover(services)({ text: 'model m { select cov CS, SP(G<|>AU)(week) }', index: 0, hover: /spatial Gaussian/ });
  });

  it('documents group, ref, alpha, fixed intercept and the Kenward-Roger variants', async () => {
    await expectHover(services)({ text: 'model m { cov UN gro<|>up ARMCD }', index: 0, hover: /GROUP=ARMCD/ });
    await expectHover(services)({ text: 'model m { factor ARMCD r<|>ef "PBO" }', index: 0, hover: /REF='PBO'/ });
    await expectHover(services)({ text: 'model m { alp<|>ha 0.1 }', index: 0, hover: /SAS `ALPHA=`/ });
    await expectHover(services)({ text: 'model m { fixed inter<|>cept }', index: 0, hover: /`fixed intercept` is an intercept-only mean/ });
    await expectHover(services)({ text: 'model m { df kenward-roger lin<|>ear }', index: 0, hover: /DDFM=KR\(LINEAR\)/ });
    await expectHover(services)({ text: 'model m { df kenward-roger first<|>order }', index: 0, hover: /DDFM=KR\(FIRSTORDER\)/ });
  });

  it('shows group, reference levels and alpha in the expanded model', async () => {
    await expectHover(services)({
      text: 'subject USUBJID\nmo<|>del m {\n    outcome FEV1\n    repeated AVISIT\n    factor ARMCD ref "PBO"\n    fixed intercept\n    cov SP(EXP)(VISITN, VISITN2) group ARMCD\n    alpha 0.1\n}',
      index: 0,
      hover: /`FEV1 = 1`[\s\S]*R-side covariance: SP\(EXP\)\(VISITN VISITN2\) \(subject USUBJID, group ARMCD\)[\s\S]*reference levels: ARMCD PBO[\s\S]*alpha 0\.1$/,
    });
  });
});

describe('formatting', () => {
  it('indents blocks by 4 spaces and puts one space after keywords and commas', async () => {
    await expectFormatting(services)({
      before: `study   "x"
data "ketamine.csv"
subject    patient
let pct_change=percent   change of bdi from visit 1
model trajectory{
outcome   pct_change
  repeated visit 2 .. 6
        covariate age,bmi
random subject
select cov CS ,AR1,UN by BIC
fixed visit*age+sex
test visit , visit * age
where visit in(2,3) and not bmi is missing
}
analysis durability {
paired pct_change at visit 6 vs visit 7
correlate age with pct_change at visit 6-pct_change at visit 7
}`,
      after: `study "x"
data "ketamine.csv"
subject patient
let pct_change = percent change of bdi from visit 1
model trajectory {
    outcome pct_change
    repeated visit 2..6
    covariate age, bmi
    random subject
    select cov CS, AR1, UN by BIC
    fixed visit * age + sex
    test visit, visit*age
    where visit in (2, 3) and not bmi is missing
}
analysis durability {
    paired pct_change at visit 6 vs visit 7
    correlate age with pct_change at visit 6 - pct_change at visit 7
}`,
    });
  });

  it('leaves the ketamine spec unchanged', async () => {
    await expectFormatting(services)({ before: KETAMINE_SPEC, after: KETAMINE_SPEC });
  });

  it('formats spatial structures with coordinates, group, factor ref, alpha', async () => {
    await expectFormatting(services)({
      before: `data "fev.csv"
subject USUBJID
model m {
outcome FEV1
  factor ARMCD   ref   "PBO" ,RACE ref Asian
cov SP ( EXP ) ( VISITN   VISITN2 )   group   ARMCD
 alpha   0.10
}
sensitivity m { select cov CS ,SP(POW)(WEEK) group ARMCD by BIC; add factor SEX ref "F" }`,
      after: `data "fev.csv"
subject USUBJID
model m {
    outcome FEV1
    factor ARMCD ref "PBO", RACE ref Asian
    cov SP(EXP)(VISITN VISITN2) group ARMCD
    alpha 0.10
}
sensitivity m {
    select cov CS, SP(POW)(WEEK) group ARMCD by BIC;
    add factor SEX ref "F"
}`,
    });
  });

  it('leaves formatted new statements unchanged', async () => {
    const text = `data "fev.csv"
subject USUBJID
model m {
    outcome FEV1
    repeated AVISIT
    factor ARMCD ref "PBO"
    fixed intercept
    cov SP(EXP)(VISITN VISITN2) group ARMCD
    df kenward-roger linear
    alpha 0.1
}`;
    await expectFormatting(services)({ before: text, after: text });
    await expectFormatting(services)({ before: text.replace('VISITN VISITN2', 'VISITN, VISITN2'), after: text.replace('VISITN VISITN2', 'VISITN, VISITN2') });
  });

  it('formats cov TOEP(q) and predict random effects', async () => {
    await expectFormatting(services)({
      before: `data "ketamine.csv"
subject patient
model m {
outcome bdi
   random intercept by sex
cov TOEP ( 3 )
  predict   random effects
}`,
      after: `data "ketamine.csv"
subject patient
model m {
    outcome bdi
    random intercept by sex
    cov TOEP(3)
    predict random effects
}`,
    });
  });
});

describe('document symbols', () => {
  it('outlines study, data, subject, lets, models, analyses and describe blocks', async () => {
    await expectSymbols(services)({
      text: KETAMINE_SPEC + '\nsensitivity trajectory { method ML }\n',
      assert: (symbols: DocumentSymbol[]) => {
        expect(symbols.map((s) => [s.name, s.kind, s.detail])).toEqual([
          ['Age and the speed of ketamine response (synthetic cohort)', SymbolKind.File, 'study'],
          ['ketamine.csv', SymbolKind.File, 'data'],
          ['patient', SymbolKind.Key, 'subject'],
          ['pct_change', SymbolKind.Variable, 'percent change of bdi from visit 1'],
          ['trajectory', SymbolKind.Class, 'model'],
          ['durability', SymbolKind.Function, 'analysis'],
          ['cohort', SymbolKind.Struct, 'describe'],
          ['course', SymbolKind.Struct, 'describe'],
          ['sex_adjusted', SymbolKind.Class, 'sensitivity of trajectory'],
          ['bmi_adjusted', SymbolKind.Class, 'sensitivity of trajectory'],
          ['full_dose', SymbolKind.Class, 'sensitivity of trajectory'],
          ['trajectory (sensitivity 1)', SymbolKind.Class, 'sensitivity of trajectory'],
        ]);
        const model = symbols[4];
        expect(model.selectionRange).toEqual({ start: { line: 7, character: 6 }, end: { line: 7, character: 16 } });
        expect(model.range.start.line).toBe(7);
        expect(model.range.end.line).toBe(19);
      },
    });
  });
});

describe('go to definition', () => {
  it('goes from a let variable to its definition', async () => {
    await expectGoToDefinition(services)({
      text: 'let <|pct|> = percent change of bdi from visit 1\nmodel m { outcome p<|>ct }',
      index: 0,
      rangeIndex: 0,
    });
  });

  it('goes from a sensitivity block to its model', async () => {
    await expectGoToDefinition(services)({
      text: 'model <|trajectory|> { outcome bdi }\nsensitivity traj<|>ectory { method ML }',
      index: 0,
      rangeIndex: 0,
    });
  });
});

describe('semantic highlighting', () => {
  it('tells columns, derived variables, keywords and numbers apart', async () => {
    const tokens = await highlightHelper(services)('let p = change of <|bdi|> from visit <|1|>\nmodel m { <|outcome|> <|p|> }');
    expectSemanticToken(tokens, { rangeIndex: 0, tokenType: SemanticTokenTypes.property });
    expectSemanticToken(tokens, { rangeIndex: 1, tokenType: SemanticTokenTypes.number });
    expectSemanticToken(tokens, { rangeIndex: 2, tokenType: SemanticTokenTypes.keyword });
    expectSemanticToken(tokens, { rangeIndex: 3, tokenType: SemanticTokenTypes.variable });
  });

  it('highlights ref as a keyword, the level as a string, the spatial kind as a structure', async () => {
    const tokens = await highlightHelper(services)('model m { factor <|ARMCD|> <|ref|> <|"PBO"|>; cov <|SP|>(<|EXP|>)(<|week|>) <|group|> ARMCD }');
    expectSemanticToken(tokens, { rangeIndex: 0, tokenType: SemanticTokenTypes.property });
    expectSemanticToken(tokens, { rangeIndex: 1, tokenType: SemanticTokenTypes.keyword });
    expectSemanticToken(tokens, { rangeIndex: 2, tokenType: SemanticTokenTypes.string });
    expectSemanticToken(tokens, { rangeIndex: 3, tokenType: SemanticTokenTypes.enumMember });
    expectSemanticToken(tokens, { rangeIndex: 4, tokenType: SemanticTokenTypes.enumMember });
    expectSemanticToken(tokens, { rangeIndex: 5, tokenType: SemanticTokenTypes.property });
    expectSemanticToken(tokens, { rangeIndex: 6, tokenType: SemanticTokenTypes.keyword });
  });
});
