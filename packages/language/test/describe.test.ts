/**
 * `describe` blocks in the language: the syntax (the one-line form included), their plan, the
 * checks of validation/describe-checks.ts (one value per subject: a variable that varies within subject is
 * an error on its word, naming the subject; `by` constant within subject for per-subject values; levels of
 * `at`), the names they share with models and analyses, formatting and the outline.
 */
import { describe, expect, it } from 'vitest';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { buildPlan } from '@study/language';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { URI } from 'langium';
import { expectCompletion, expectFormatting } from 'langium/test';
import type { DescribeBlock, StudyFile } from '../src/generated/ast.js';
import { byCode, check, covered, KETAMINE_DIR, services, tempFolder } from './helpers.js';

const E = DiagnosticSeverity.Error;
const W = DiagnosticSeverity.Warning;
const HEAD = 'data "ketamine.csv"\nsubject patient\n';

async function diagnostics(text: string, dir?: string): Promise<{ all: Diagnostic[]; text: string }> {
  const r = await check(text, dir);
  return { all: r.diagnostics, text };
}

/** The diagnostics with a code, as [severity, the word they cover, message]. */
function at(r: { all: Diagnostic[]; text: string }, code: string): [number | undefined, string, string][] {
  return byCode(r.all, code).map((d) => [d.severity, covered(r.text, d.range), d.message]);
}

describe('syntax and plan', () => {
  it("the issue's one-line form: lists separated by `;`, `at` levels, `by`", async () => {
    const text = `${HEAD}describe cohort { age, sex, bmi, ptsd, bipolar; bdi at visit 1, bdi at visit 6; by sex }\n`;
    const r = await check(text);
    expect(r.diagnostics.filter((d) => d.severity === E || d.severity === W)).toEqual([]);
    const block = (r.document.parseResult.value as StudyFile).elements[2] as DescribeBlock;
    expect(block.statements.map((s) => s.$type)).toEqual(['DescribeList', 'DescribeList', 'DescribeBy']);
    expect(buildPlan(r.document).describes).toEqual([
      {
        name: 'cohort',
        filters: [],
        variables: [
          { variable: 'age' },
          { variable: 'sex', categorical: true },
          { variable: 'bmi' },
          { variable: 'ptsd' },
          { variable: 'bipolar' },
          { variable: 'bdi', at: { column: 'visit', level: 1 } },
          { variable: 'bdi', at: { column: 'visit', level: 6 } },
        ],
        by: ['sex'],
      },
    ]);
  });

  it('factor, filters and a let: numeric codes as categories, the block its own rows', async () => {
    const text = `${HEAD}let pct = percent change of bdi from visit 1\ndescribe d {\n    ptsd, pct at visit 6\n    factor ptsd\n    exclude dose_adjusted == 1\n}\n`;
    const r = await check(text);
    expect(r.diagnostics.filter((d) => d.severity === E || d.severity === W)).toEqual([]);
    expect(buildPlan(r.document).describes).toEqual([
      {
        name: 'd',
        filters: [{ mode: 'exclude', expr: { kind: 'compare', column: 'dose_adjusted', op: '==', value: 1 } }],
        variables: [{ variable: 'ptsd', categorical: true }, { variable: 'pct', at: { column: 'visit', level: 6 } }],
        by: [],
      },
    ]);
  });

  it('columns spelt like keywords: after a comma also `factor`, `where`, `exclude`', async () => {
    const dir = tempFolder({ 'k.csv': 'id,type,factor,y\nA,1,2,3\nB,1,2,4\n' });
    const r = await check('data "k.csv"\nsubject id\ndescribe d { type, factor; y }\n', dir);
    expect(r.diagnostics.filter((d) => d.severity === E)).toEqual([]);
    expect(buildPlan(r.document).describes![0]!.variables.map((v) => v.variable)).toEqual(['type', 'factor', 'y']);
  });

  it('formats like the other blocks, one statement per line', async () => {
    await expectFormatting(services)({
      before: 'describe cohort {age ,sex;bdi at visit 1\nfactor ptsd\nby sex}',
      after: 'describe cohort {\n    age, sex;\n    bdi at visit 1\n    factor ptsd\n    by sex\n}',
    });
  });

  it('completes column names in a describe list, first and after a comma, and in `by`', async () => {
    const texts = [`${HEAD}describe d {\n    <|>\n}`, `${HEAD}describe d {\n    age, <|>\n}`, `${HEAD}describe d {\n    age\n    by <|>\n}`];
    for (const [k, text] of texts.entries()) {
      await expectCompletion(services)({
        text,
        index: 0,
        parseOptions: { documentUri: URI.file(path.join(KETAMINE_DIR, `describe-completion-${k}.study`)).toString() },
        assert: (list) => expect(list.items.map((i) => i.label)).toEqual(expect.arrayContaining(['age', 'sex', 'bdi', 'visit'])),
      });
    }
  });

  it('a spec with only a describe block has something to run', async () => {
    const r = await check(`${HEAD}describe d { age }\n`);
    expect(byCode(r.diagnostics, 'nothing-to-run')).toEqual([]);
  });
});

describe('one value per subject (varies-within-subject, by-not-constant)', () => {
  it('a variable that varies within a patient without `at`: an error on its word, naming the patient and a visit to take it at', async () => {
    const r = await diagnostics(`${HEAD}model m {\n    outcome bdi\n    repeated visit\n}\ndescribe cohort {\n    age, bdi\n}\n`);
    expect(at(r, 'varies-within-subject')).toEqual([
      [E, 'bdi', 'bdi varies within patient P001 (29, 22): a describe variable has one value per patient: say which visit it is taken at (`bdi at visit 1`), or describe it in a block `by visit`'],
    ]);
  });

  it("no error once the block's filter leaves one row per patient", async () => {
    const r = await diagnostics(`${HEAD}describe baseline {\n    bdi\n    where visit == 1\n}\n`);
    expect(at(r, 'varies-within-subject')).toEqual([]);
  });

  it('two rows of a patient at the level of `at`: an error on the level', async () => {
    const dir = tempFolder({ 'w.csv': 'id,visit,y\nA,1,3\nA,1,4\nB,1,5\n' });
    const r = await diagnostics('data "w.csv"\nsubject id\ndescribe d {\n    y at visit 1\n}\n', dir);
    expect(at(r, 'varies-within-subject')).toEqual([[E, 'visit 1', 'y has more than one value for id A at visit 1 (3, 4): a describe variable has one value per id']]);
  });

  it('`by visit` (varies within patient): a per-patient value cannot be grouped by it, an error on the `by` column', async () => {
    const r = await diagnostics(`${HEAD}describe course {\n    bdi, age\n    by visit\n}\ndescribe at1 {\n    bdi at visit 1\n    by visit\n}\n`);
    expect(at(r, 'by-not-constant')).toEqual([
      [E, 'visit', 'visit varies within patient P001 (1, 2): age is one value per patient, so a `by` column must be constant within patient; describe age in a block without `by visit`'],
      [E, 'visit', 'visit varies within patient P001 (1, 2): bdi at visit 1 is one value per patient, so a `by` column must be constant within patient; describe bdi at visit 1 in a block without `by visit`'],
    ]);
  });

  it('`by visit` with a per-visit variable is one value per patient and visit: no error', async () => {
    const r = await diagnostics(`${HEAD}let pct = percent change of bdi from visit 1\ndescribe course {\n    bdi, pct\n    by visit\n}\n`);
    expect(r.all.filter((d) => d.severity === E || d.severity === W)).toEqual([]);
  });
});

describe('levels, subjects, names', () => {
  it('a level of `at` that the column does not have (unknown-level); an unknown variable (unknown-column)', async () => {
    const r = await diagnostics(`${HEAD}describe d {\n    bdi at visit 9, agee\n}\n`);
    expect(at(r, 'unknown-level')).toEqual([[E, '9', 'visit has no level 9 in ketamine.csv (levels: 1, 2, 3, 4, 5, 6, 7)']]);
    expect(at(r, 'unknown-column')).toEqual([[E, 'agee', "unknown column 'agee' in ketamine.csv; did you mean 'age'?"]]);
  });

  it('`at` without a subject (no-subject)', async () => {
    const r = await diagnostics('data "ketamine.csv"\ndescribe d {\n    bdi at visit 1\n}\n');
    expect(at(r, 'no-subject')).toEqual([[E, 'visit 1', '`bdi at …` is one value per subject: add `subject <column>`']]);
  });

  it('`factor` on a variable the block does not list: a warning', async () => {
    const r = await diagnostics(`${HEAD}describe d {\n    age\n    factor ptsd\n}\n`);
    expect(at(r, 'not-in-model')).toEqual([[W, 'ptsd', 'ptsd is not described in d: list it to describe it as a factor']]);
  });

  it('describe blocks share the names of models and analyses (duplicate-name)', async () => {
    const r = await diagnostics(`${HEAD}model m {\n    outcome bdi\n}\ndescribe m {\n    age\n}\n`);
    expect(at(r, 'duplicate-name')).toEqual([[E, 'm', 'a model named m is already defined at line 3']]);
  });

  it('the describe examples of docs/language.md check cleanly against ketamine.csv', async () => {
    const md = readFileSync(fileURLToPath(new URL('../../../docs/language.md', import.meta.url)), 'utf8');
    const blocks = [...md.matchAll(/```study\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes('describe '));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) {
      const r = await diagnostics(b.includes('data "') ? b : `${HEAD}${b}`);
      expect(r.all.filter((d) => d.severity === E || d.severity === W), b).toEqual([]);
    }
  });

  it('the ketamine example: Table 1 and Fig. 1A without a diagnostic', async () => {
    const { KETAMINE_SPEC } = await import('./helpers.js');
    const r = await diagnostics(KETAMINE_SPEC);
    expect(r.all.filter((d) => d.severity === E || d.severity === W)).toEqual([]);
  });
});
