/**
 * Data defects, each provoked in a small file and checked as `study check` reports it: the message, its
 * position in the spec (1-based line and column of the word), the data file's position (`dataLocation`
 * and the `file:line:col:` the message starts with), and the exit code (1 when there is an error).
 */
import { describe, expect, it } from 'vitest';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { checkStudyFile, type StudyDiagnostic } from '@study/language';
import { URI } from 'langium';
import { check, KETAMINE_CSV, KETAMINE_SPEC } from './helpers.js';

/** A folder with the given files (text, or bytes). */
function folder(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'study-defects-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
  return dir;
}

/** Checks `spec` (written as spec.study in `dir`) as `study check` does: its diagnostics, the lines it prints, its exit code. */
async function studyCheck(dir: string, spec: string, verbose = false) {
  const file = path.join(dir, 'spec.study');
  writeFileSync(file, spec);
  const { diagnostics } = await checkStudyFile(file);
  const shown = diagnostics.filter((d) => verbose || (d.severity !== 'info' && d.severity !== 'hint'));
  return {
    diagnostics,
    lines: shown.map((d) => `spec.study:${d.line}:${d.column}: ${d.severity}: ${d.message}`),
    exitCode: diagnostics.some((d) => d.severity === 'error') ? 1 : 0,
    file,
    dir,
  };
}

function withCode(ds: StudyDiagnostic[], code: string): StudyDiagnostic[] {
  return ds.filter((d) => d.code === code);
}

/** The ketamine data with some lines replaced (1-based line → new text). */
function ketamineLines(replace: Record<number, (line: string) => string>): string {
  return KETAMINE_CSV.split('\n')
    .map((l, i) => (replace[i + 1] ? replace[i + 1](l) : l))
    .join('\n');
}

/** Replaces field `k` (0-based) of a CSV line. */
function setField(k: number, value: string): (line: string) => string {
  return (line) => {
    const f = line.split(',');
    f[k] = value;
    return f.join(',');
  };
}

/** 1-based character column of field `k` (0-based) of a comma-separated line. */
function fieldColumn(line: string, k: number): number {
  return line.split(',').slice(0, k).join(',').length + (k > 0 ? 2 : 1);
}

const KETAMINE = KETAMINE_CSV.split('\n');
const AGE = 5;

/**
 * A small long-format study: subjects S1..Sn at visits 1..v. `cell(subject, visit)` gives the row's
 * values (bdi, age, sex); undefined values are written as empty cells.
 */
function study(n: number, visits: number, cell: (s: number, v: number) => Partial<Record<'bdi' | 'age' | 'sex', string | number>>): string {
  const lines = ['id,visit,bdi,age,sex'];
  for (let s = 1; s <= n; s++) {
    for (let v = 1; v <= visits; v++) {
      const c = { bdi: 20 + ((s * 7 + v * 3) % 11) - v, age: 30 + s, sex: s % 2 ? 'F' : 'M', ...cell(s, v) };
      lines.push(`S${s},${v},${c.bdi ?? ''},${c.age ?? ''},${c.sex ?? ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

const SMALL_SPEC = (body: string, extra = '') => `data "d.csv"\nsubject id\n${extra}\nmodel m {\n    outcome bdi\n    repeated visit\n${body}\n    cov CS\n}\n`;

describe('cells that are not numbers, named at their row', () => {
  it("'fifty' and a quoted '52,5' among the ages: errors at the data path with the file position, and on every word using age", async () => {
    const dir = folder({ 'ketamine.csv': ketamineLines({ 37: setField(AGE, 'fifty'), 52: setField(AGE, '"52,5"') }) });
    const r = await studyCheck(dir, KETAMINE_SPEC);
    expect(r.exitCode).toBe(1);
    const c37 = fieldColumn(KETAMINE[36], AGE);
    const c52 = fieldColumn(KETAMINE[51], AGE);
    expect([c37, c52]).toEqual([23, 25]);
    const cells = withCode(r.diagnostics, 'bad-cell');
    expect(cells).toEqual([
      {
        severity: 'error',
        code: 'bad-cell',
        message: `ketamine.csv:37:${c37}: age is 'fifty' on line 37: not a number`,
        line: 3,
        column: 6,
        endLine: 3,
        endColumn: 20,
        dataLocation: { file: path.join(dir, 'ketamine.csv'), line: 37, column: c37 },
      },
      {
        severity: 'error',
        code: 'bad-cell',
        message: `ketamine.csv:52:${c52}: age is '52,5' on line 52: it uses a decimal comma; Study reads '.' as the decimal point in this file (write 52.5)`,
        line: 3,
        column: 6,
        endLine: 3,
        endColumn: 20,
        dataLocation: { file: path.join(dir, 'ketamine.csv'), line: 52, column: c52 },
      },
    ]);
    // and on the words that read the column: `covariate age` (line 11), `correlate age` (line 24), the
    // `describe cohort` list (line 29) and the sensitivity variants' `fixed visit * age` (lines 43, 48), not `test`/`estimate`
    const uses = withCode(r.diagnostics, 'column-bad-cells');
    expect(uses.map((d) => [d.severity, d.line, d.column, d.endColumn, d.message])).toEqual([
      ['error', 11, 15, 18, "age has 2 cells that are not numbers: line 37 'fifty', line 52 '52,5'"],
      ['error', 24, 15, 18, "age has 2 cells that are not numbers: line 37 'fifty', line 52 '52,5'"],
      ['error', 29, 5, 8, "age has 2 cells that are not numbers: line 37 'fifty', line 52 '52,5'"],
      ['error', 43, 19, 22, "age has 2 cells that are not numbers: line 37 'fifty', line 52 '52,5'"],
      ['error', 48, 19, 22, "age has 2 cells that are not numbers: line 37 'fifty', line 52 '52,5'"],
    ]);
    expect(uses[0].dataLocation).toEqual({ file: path.join(dir, 'ketamine.csv'), line: 37, column: c37 });
    // what the CLI prints
    expect(r.lines).toContain(`spec.study:3:6: error: ketamine.csv:37:23: age is 'fifty' on line 37: not a number`);
    // the cells are not also reported as missing ages
    expect(withCode(r.diagnostics, 'missing-covariate')).toEqual([]);
  });

  it('in the editor: the data position as related information (a link into the CSV) and in the diagnostic data', async () => {
    const dir = folder({ 'ketamine.csv': ketamineLines({ 37: setField(AGE, 'fifty') }) });
    const r = await check(KETAMINE_SPEC, dir);
    const cell = r.diagnostics.find((d) => d.code === 'bad-cell')!;
    const csv = URI.file(path.join(dir, 'ketamine.csv')).toString();
    expect(cell.relatedInformation).toEqual([
      { location: { uri: csv, range: { start: { line: 36, character: 22 }, end: { line: 36, character: 27 } } }, message: "age is 'fifty' on line 37: not a number" },
    ]);
    expect(cell.data).toEqual({ code: 'bad-cell', dataLocation: { file: path.join(dir, 'ketamine.csv'), line: 37, column: 23 } });
    const use = r.diagnostics.find((d) => d.code === 'column-bad-cells')!;
    expect(use.relatedInformation?.[0].location.uri).toBe(csv);
  });

  it("'Inf', '-Inf', 'NaN' and '1e309': not finite, overflowing", async () => {
    const dir = folder({ 'ketamine.csv': ketamineLines({ 10: setField(4, 'Inf'), 11: setField(4, '-Inf'), 12: setField(4, 'NaN'), 13: setField(4, '1e309') }) });
    const r = await studyCheck(dir, KETAMINE_SPEC);
    expect(r.exitCode).toBe(1);
    const col = (line: number) => fieldColumn(KETAMINE[line - 1], 4);
    expect(withCode(r.diagnostics, 'bad-cell').map((d) => d.message)).toEqual([
      `ketamine.csv:10:${col(10)}: bdi is 'Inf' on line 10: not a finite number`,
      `ketamine.csv:11:${col(11)}: bdi is '-Inf' on line 11: not a finite number`,
      `ketamine.csv:12:${col(12)}: bdi is 'NaN' on line 12: not a finite number (a missing value is written as an empty cell, '.' or 'NA')`,
      `ketamine.csv:13:${col(13)}: bdi is '1e309' on line 13: overflows a double (the largest is about 1.8e308)`,
    ]);
    // bdi is used by the let: the error is on that word
    const [use] = withCode(r.diagnostics, 'column-bad-cells');
    expect([use.line, use.column, use.message]).toEqual([6, 36, "bdi has 4 cells that are not numbers: line 10 'Inf', line 11 '-Inf', line 12 'NaN', line 13 '1e309'"]);
  });

  it('a bad cell in a column the spec does not use is a warning (exit 0)', async () => {
    const dir = folder({ 'ketamine.csv': ketamineLines({ 20: setField(3, 'n/a') }) });
    const r = await studyCheck(dir, KETAMINE_SPEC);
    expect(r.exitCode).toBe(0);
    expect(r.lines).toEqual([`spec.study:3:6: warning: ketamine.csv:20:${fieldColumn(KETAMINE[19], 3)}: week is 'n/a' on line 20: not a number`]);
  });

  it('many bad cells: five named one by one, the rest in one diagnostic; the use names five and counts the rest', async () => {
    const replace: Record<number, (l: string) => string> = {};
    for (let l = 2; l <= 16; l += 2) replace[l] = setField(AGE, '?');
    const dir = folder({ 'ketamine.csv': ketamineLines(replace) });
    const r = await studyCheck(dir, KETAMINE_SPEC);
    const cells = withCode(r.diagnostics, 'bad-cell');
    expect(cells).toHaveLength(6);
    expect(cells[5].message).toBe(`ketamine.csv:12:${fieldColumn(KETAMINE[11], AGE)}: age has 3 more cells that are not numbers (lines 12, 14, 16)`);
    expect(withCode(r.diagnostics, 'column-bad-cells')[0].message).toBe("age has 8 cells that are not numbers: line 2 '?', line 4 '?', line 6 '?', line 8 '?', line 10 '?' and 3 more");
  });

  it('many text cells (5% or more): the column is text, and the covariate error of a text column stays', async () => {
    const replace: Record<number, (l: string) => string> = {};
    for (let l = 2; l <= 40; l++) replace[l] = setField(AGE, 'old');
    const dir = folder({ 'ketamine.csv': ketamineLines(replace) });
    const r = await studyCheck(dir, KETAMINE_SPEC);
    expect(withCode(r.diagnostics, 'bad-cell')).toEqual([]);
    expect(withCode(r.diagnostics, 'covariate-not-numeric')).toHaveLength(1);
  });
});

describe('delimiters, decimal marks, ragged rows', () => {
  it('an unquoted 52,5 in a comma-separated file is a ragged row: one error naming the line and the fields', async () => {
    const dir = folder({ 'ketamine.csv': ketamineLines({ 52: setField(AGE, '52,5') }) });
    const r = await studyCheck(dir, KETAMINE_SPEC);
    expect(r.exitCode).toBe(1);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'data-error', line: 3, column: 6 });
    expect(r.diagnostics[0].message).toMatch(/^cannot parse .*ketamine\.csv: the row on line 52 has 12 fields where the header has 11 \(comma-separated\)/);
  });

  it('a semicolon-separated file with decimal commas (European CSV) reads as numbers, with an information note', async () => {
    const csv = study(6, 3, () => ({})).replace(/,/g, ';').replace(/;(\d+)\n/g, ';$1\n');
    const eu = csv
      .split('\n')
      .map((l, i) => (i === 0 || l === '' ? l : l.replace(/^(S\d+;\d+;)(\d+)/, (_, a, b) => `${a}${b},5`)))
      .join('\n');
    const dir = folder({ 'd.csv': eu });
    const spec = SMALL_SPEC('    covariate age');
    const quiet = await studyCheck(dir, spec);
    expect(quiet.exitCode).toBe(0);
    expect(quiet.lines).toEqual([]);
    const verbose = await studyCheck(dir, spec, true);
    const note = withCode(verbose.diagnostics, 'data-format');
    expect(note.map((d) => [d.severity, d.line, d.column, d.message])).toEqual([['info', 1, 6, "d.csv is semicolon-separated with decimal commas ('29,5' is read as 29.5)"]]);
  });

  it('a tab-separated file: an information note naming the delimiter', async () => {
    const dir = folder({ 'd.csv': study(6, 3, () => ({})).replace(/,/g, '\t') });
    const r = await studyCheck(dir, SMALL_SPEC('    covariate age'), true);
    expect(r.lines).toEqual(['spec.study:1:6: info: d.csv is tab-separated']);
  });
});

describe('encodings and empty files', () => {
  it('Latin-1 bytes: a warning with the line, column and byte; Müller reads right (its level is found)', async () => {
    const text = 'id,visit,bdi,site\n' + Array.from({ length: 8 }, (_, i) => `S${i % 4},${1 + (i >> 2)},${10 + i},${i % 2 ? 'Müller' : 'Köln'}`).join('\n') + '\n';
    const dir = folder({ 'd.csv': Buffer.from(text, 'latin1') });
    const r = await studyCheck(dir, 'data "d.csv"\nsubject id\nmodel m {\n    outcome bdi\n    factor site ref "Müller"\n}\n');
    expect(r.exitCode).toBe(0);
    expect(r.lines).toEqual([
      "spec.study:1:6: warning: d.csv:2:10: line 2 has the byte 0xF6, which is not UTF-8: d.csv is read as Latin-1 (Windows-1252), where it is 'ö' (7 more lines with such bytes); save the file as UTF-8 to be sure",
    ]);
    expect(r.diagnostics[0]).toMatchObject({ code: 'data-encoding', dataLocation: { file: path.join(dir, 'd.csv'), line: 2, column: 10 } });
  });

  it('UTF-16 with a byte-order mark is read; without one it is refused, saying why', async () => {
    const text = study(4, 2, () => ({}));
    const withBom = folder({ 'd.csv': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) });
    const spec = 'data "d.csv"\nsubject id\nmodel m {\n    outcome bdi\n}\n';
    const ok = await studyCheck(withBom, spec, true);
    expect(ok.exitCode).toBe(0);
    expect(ok.lines).toEqual(['spec.study:1:6: info: d.csv is UTF-16 (little-endian, with a byte-order mark): it is read as such']);
    const noBom = folder({ 'd.csv': Buffer.from(text, 'utf16le') });
    const bad = await studyCheck(noBom, spec);
    expect(bad.exitCode).toBe(1);
    expect(bad.diagnostics[0]).toMatchObject({ severity: 'error', code: 'data-error', line: 1, column: 6 });
    expect(bad.diagnostics[0].message).toMatch(/d\.csv has NUL bytes \(the first on line 1\): it is not a text file; a UTF-16 file without a byte-order mark\? Save it as UTF-8/);
  });

  it('a header without data rows is an error on the data path', async () => {
    const dir = folder({ 'd.csv': 'id,visit,bdi\n' });
    const r = await studyCheck(dir, 'data "d.csv"\nsubject id\nmodel m {\n    outcome bdi\n}\n');
    expect(r.exitCode).toBe(1);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', code: 'data-error', line: 1, column: 6, endColumn: 13 });
    expect(r.diagnostics[0].message).toMatch(/d\.csv has a header but no data rows$/);
  });
});

describe('the rows a model uses', () => {
  it('a covariate that is constant on those rows: a warning on its word', async () => {
    const dir = folder({ 'd.csv': study(6, 3, () => ({ age: 47 })) });
    const r = await studyCheck(dir, SMALL_SPEC('    covariate age'));
    expect(r.exitCode).toBe(0);
    expect(r.lines).toEqual(['spec.study:7:15: warning: age is 47 on every row the model uses: its effect cannot be estimated (it is aliased with the intercept)']);
  });

  it('constant only after a filter, and a factor with one level', async () => {
    const dir = folder({ 'd.csv': study(6, 3, (s) => ({ age: s <= 3 ? 47 : 50 })) });
    const r = await studyCheck(dir, SMALL_SPEC('    covariate age\n    factor sex', 'where age == 47\nexclude sex == "M"'));
    expect(r.lines).toEqual([
      'spec.study:8:15: warning: age is 47 on every row the model uses: its effect cannot be estimated (it is aliased with the intercept)',
      'spec.study:9:12: warning: sex is F on every row the model uses: its effect cannot be estimated (a factor with one level is aliased with the intercept)',
    ]);
  });

  it('a covariate missing for some subjects: a warning naming them and counting the rows left out', async () => {
    const dir = folder({ 'd.csv': study(8, 3, (s, v) => (s === 2 || s === 5 || (s === 7 && v === 3) ? { age: undefined } : {})) });
    const r = await studyCheck(dir, SMALL_SPEC('    covariate age'));
    expect(r.lines).toEqual(['spec.study:7:15: warning: age is missing for 3 subjects (S2, S5, S7): their 7 rows with bdi are not used']);
  });

  it('more than five subjects: the first five, then "and N more"', async () => {
    const dir = folder({ 'd.csv': study(10, 2, (s) => (s <= 7 ? { age: undefined } : {})) });
    const r = await studyCheck(dir, SMALL_SPEC('    covariate age'));
    expect(r.lines).toEqual(['spec.study:7:15: warning: age is missing for 7 subjects (S1, S2, S3, S4, S5 and 2 more): their 14 rows with bdi are not used']);
  });

  it('a visit with no outcome: a warning on the level when it is written, else on the repeated effect', async () => {
    const dir = folder({ 'd.csv': study(6, 5, (_, v) => (v === 4 ? { bdi: undefined } : {})) });
    const listed = await studyCheck(dir, 'data "d.csv"\nsubject id\nmodel m {\n    outcome bdi\n    repeated visit 1, 3, 4\n    cov UN\n}\n');
    expect(listed.lines).toEqual(['spec.study:5:26: warning: visit 4 has no value of bdi: it is not in the fit']);
    const all = await studyCheck(dir, SMALL_SPEC(''));
    expect(all.lines).toEqual(['spec.study:6:14: warning: visit 4 has no value of bdi: it is not in the fit']);
  });

  it('a visit where the outcome is there but a covariate never is', async () => {
    const dir = folder({ 'd.csv': study(6, 3, (_, v) => (v === 3 ? { age: undefined } : {})) });
    const r = await studyCheck(dir, SMALL_SPEC('    covariate age'));
    expect(r.lines).toEqual([
      'spec.study:6:14: warning: visit 3 has no row with every variable of the model (bdi, visit, age, id): it is not in the fit',
      'spec.study:7:15: warning: age is missing for 6 subjects (S1, S2, S3, S4, S5 and 1 more): their 6 rows with bdi are not used',
    ]);
  });

  it('no row with every variable: an error on the model name', async () => {
    const dir = folder({ 'd.csv': study(4, 2, () => ({ age: undefined })) });
    const r = await studyCheck(dir, SMALL_SPEC('    covariate age'));
    expect(r.exitCode).toBe(1);
    expect(r.lines).toEqual(['spec.study:4:7: error: no row of d.csv has every variable of m (bdi, visit, age, id): nothing can be fitted']);
  });

  it('a sensitivity variant reports what its base model does not, saying which variant', async () => {
    const dir = folder({ 'd.csv': study(6, 3, (s) => ({ age: s <= 3 ? 47 : 50 })) });
    const r = await studyCheck(dir, SMALL_SPEC('    covariate age') + 'sensitivity young of m {\n    where age == 47\n}\n');
    expect(r.lines).toEqual(['spec.study:7:15: warning: in young: age is 47 on every row the model uses: its effect cannot be estimated (it is aliased with the intercept)']);
  });
});

describe('baselines of percent change', () => {
  it('zero and negative baselines: warnings on the let, naming the subjects', async () => {
    const dir = folder({ 'd.csv': study(10, 3, (s, v) => (v === 1 && (s === 3 || s === 9) ? { bdi: 0 } : v === 1 && s === 4 ? { bdi: -2 } : {})) });
    const r = await studyCheck(dir, 'data "d.csv"\nsubject id\nlet pct = percent change of bdi from visit 1\nmodel m {\n    outcome pct\n    repeated visit 2..3\n    cov CS\n}\n');
    expect(r.exitCode).toBe(0);
    expect(r.lines).toEqual([
      'spec.study:3:5: warning: bdi is 0 at visit 1 for subjects S3, S9: percent change from it is undefined, so their pct is missing',
      'spec.study:3:5: warning: negative baseline for subject S4 (bdi -2 at visit 1): percent change is not meaningful',
    ]);
  });

  it('missing and ambiguous baselines', async () => {
    const text = study(6, 3, (s, v) => (v === 1 && s === 2 ? { bdi: undefined } : {})) + 'S5,1,12,35,F\n';
    const dir = folder({ 'd.csv': text.split('\n').filter((l) => !l.startsWith('S6,1,')).join('\n') });
    const r = await studyCheck(dir, 'data "d.csv"\nsubject id\nlet ch = change of bdi from visit 1\nmodel m {\n    outcome ch\n    repeated visit 2..3\n    cov CS\n}\n', true);
    expect(r.lines).toEqual([
      'spec.study:3:5: warning: subject S5 has more than one row at visit 1: the baseline is ambiguous, so their ch is missing',
      'spec.study:3:5: info: bdi is missing at visit 1 for subject S2: their ch is missing',
      'spec.study:3:5: info: subject S6 has no row at visit 1: their ch is missing',
    ]);
  });
});

describe('analyses', () => {
  it('a follow-up visit where the value is missing for every subject: an error on the `visit 7` words', async () => {
    const dir = folder({ 'ketamine.csv': ketamineLines(Object.fromEntries(KETAMINE.map((l, i) => [i + 1, (x: string) => (/^P\d+,7,/.test(l) ? setField(4, '')(x) : x)]))) });
    const r = await studyCheck(dir, KETAMINE_SPEC);
    expect(r.exitCode).toBe(1);
    expect(r.lines).toEqual([
      'spec.study:23:37: error: pct_change has no value at visit 7: the paired test has no subjects',
      'spec.study:24:62: error: pct_change has no value at visit 7: the correlation has no subjects',
    ]);
    const d = withCode(r.diagnostics, 'analysis-no-subjects')[0];
    expect([d.endLine, d.endColumn]).toEqual([23, 44]);
  });

  it('values on both sides but never for one subject', async () => {
    const dir = folder({ 'd.csv': study(6, 2, (s, v) => ((s % 2 === 0) === (v === 1) ? { bdi: undefined } : {})) });
    const r = await studyCheck(dir, 'data "d.csv"\nsubject id\nanalysis a {\n    paired bdi at visit 1 vs visit 2\n}\n');
    expect(r.exitCode).toBe(1);
    expect(r.lines).toEqual(['spec.study:4:5: error: no subject has both bdi at visit 1 and bdi at visit 2: the paired test has no subjects']);
  });
});
