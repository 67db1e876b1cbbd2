import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { URI } from 'langium';
import { expectCompletion, expectFormatting, expectGoToDefinition, expectHover, expectSymbols, highlightHelper, expectSemanticToken } from 'langium/test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { SemanticTokenTypes, SymbolKind, type CodeAction, type DocumentSymbol } from 'vscode-languageserver';
import { check, services, KETAMINE_DIR, KETAMINE_SPEC, ketamineWith } from './helpers.js';

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
      expectedItems: ['VC', 'CS', 'AR1', 'UN', 'CSH', 'ARH1', 'TOEP'],
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
  it('outlines study, data, subject, lets, models and analyses', async () => {
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
});
