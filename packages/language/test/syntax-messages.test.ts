/**
 * Syntax errors in one line each (validation/syntax-messages.ts): what was expected and what was found,
 * at the token; at most 20 per document, then one "… and N more syntax errors".
 */
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { parseStudyDocument } from '@study/language';
import { MAX_SYNTAX_ERRORS } from '../src/validation/syntax-messages.js';
import { check, covered, KETAMINE_DIR, KETAMINE_SPEC } from './helpers.js';

/** The syntax errors of a text (1-based line:col and message), as `study check` prints them. */
async function syntax(text: string): Promise<string[]> {
  const r = await parseStudyDocument(text, path.join(KETAMINE_DIR, 'syntax.study'));
  return r.diagnostics
    .filter((d) => d.severity === 'error' && !d.code)
    .map((d) => `${d.line}:${d.column} ${d.message}`);
}

const MODEL = (body: string) => `data "ketamine.csv"\nsubject patient\nmodel m {\n    outcome bdi\n${body}\n}\n`;

describe('one-line syntax messages', () => {
  it('a keyword out of a closed set: "expected REML or ML, found \'foo\'" at the word', async () => {
    expect(await syntax(MODEL('    method foo'))).toEqual(["5:12 expected REML or ML, found 'foo'"]);
    expect(await syntax(MODEL('    df foo'))).toEqual(["5:8 expected residual, between-within, containment, satterthwaite or kenward-roger, found 'foo'"]);
  });

  it('a near miss says what was meant', async () => {
    expect(await syntax(MODEL('    method REMl'))).toEqual(["5:12 expected REML or ML, found 'REMl'; did you mean REML?"]);
    expect(await syntax(MODEL('    covarate age'))).toEqual(["5:5 expected a statement or '}', found 'covarate'; did you mean covariate?"]);
    expect(await syntax('data "ketamine.csv"\nmodl m { outcome bdi }\n')).toEqual([
      "2:1 expected a statement (study, data, subject, let, …), found 'modl'; did you mean model?",
    ]);
  });

  it('long alternatives are cut after four, names fold into "a name"', async () => {
    expect(await syntax('data "ketamine.csv"\nwhere bdi\nmodel m { outcome bdi }\n')).toEqual(["3:1 expected '==', '!=', '<=', '>=', …, found 'model'"]);
    expect(await syntax(MODEL('    outcome'))).toEqual(["6:1 expected a name, found '}'"]);
    expect(await syntax(MODEL('    random'))).toEqual(["6:1 expected intercept, slope or a name, found '}'"]);
  });

  it('terminals, the end of the file and stray characters', async () => {
    expect(await syntax('data ketamine\nmodel m { outcome bdi }\n')).toEqual(["1:6 expected a quoted string, duckdb or postgres, found 'ketamine'"]);
    expect(await syntax('data "ketamine.csv"\nmodel m {\n    outcome bdi\n')).toEqual(["3:16 expected '}', found the end of the file"]);
    expect(await syntax('data "ketamine.csv" @\nmodel m { outcome bdi }\n')).toEqual(["1:21 unexpected character '@'"]);
    expect((await syntax('data "ketamine.csv\nmodel m { outcome bdi }\n'))[0]).toBe('1:6 unterminated string: the " here has no closing "');
  });

  it('no message spans lines, for any prefix or token soup of the ketamine spec', async () => {
    const tokens = KETAMINE_SPEC.split(/(\s+)/);
    const inputs = [];
    for (let cut = 0; cut < KETAMINE_SPEC.length; cut += 23) inputs.push(KETAMINE_SPEC.slice(0, cut));
    for (let i = 0; i < 30; i++) inputs.push(tokens.filter((_, k) => (k * 7 + i) % 5 !== 0).join(''));
    for (const text of inputs) {
      const r = await check(text);
      for (const d of r.diagnostics) expect(d.message, JSON.stringify(text)).not.toMatch(/[\r\n]/);
    }
  });

  it(`at most ${MAX_SYNTAX_ERRORS} syntax errors, then "… and N more syntax errors" where the next one is`, async () => {
    const text = 'data "ketamine.csv"\nmodel m { outcome bdi }\n' + Array.from({ length: 37 }, () => '@').join(' ') + '\n';
    const r = await check(text);
    const syntaxErrors = r.diagnostics.filter((d) => !d.code);
    expect(syntaxErrors).toHaveLength(MAX_SYNTAX_ERRORS + 1);
    expect(syntaxErrors.slice(0, MAX_SYNTAX_ERRORS).every((d) => d.message === "unexpected character '@'")).toBe(true);
    const summary = syntaxErrors[MAX_SYNTAX_ERRORS];
    expect(summary.message).toBe('… and 17 more syntax errors');
    expect(summary.range.start).toEqual({ line: 2, character: 2 * MAX_SYNTAX_ERRORS });
    expect(covered(text, summary.range)).toBe('@');
  });
});
