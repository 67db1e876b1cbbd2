import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, parseDataBytes, parseDelimited, readDataFile } from '../src/data.js';

describe('parseDelimited', () => {
  it('reads numbers, text and the three spellings of missing', () => {
    const d = parseDelimited('id,y,g\nA,1.5,x\nB,.,y\nC,NA,\nD,,z\n');
    expect(d.columns.map((c) => [c.name, c.kind, c.missing])).toEqual([
      ['id', 'text', 0],
      ['y', 'numeric', 3],
      ['g', 'text', 1],
    ]);
    expect(d.rows[0]).toEqual({ id: 'A', y: 1.5, g: 'x' });
    expect(d.rows[1].y).toBeNull();
    expect(d.rows[2].g).toBeNull();
  });

  it('treats a column with any non-number as text, keeping the cells as written', () => {
    const d = parseDelimited('visit\n1\n2\nbaseline\n');
    expect(d.columns[0].kind).toBe('text');
    expect(d.rows.map((r) => r.visit)).toEqual(['1', '2', 'baseline']);
  });

  it('detects tab-separated files and strips a byte-order mark', () => {
    const d = parseDelimited('\uFEFFa\tb\n1\t2\n');
    expect(d.columns.map((c) => c.name)).toEqual(['a', 'b']);
    expect(d.rows[0]).toEqual({ a: 1, b: 2 });
  });

  it('handles quoted fields with commas and CRLF line ends', () => {
    const d = parseDelimited('name,x\r\n"Smith, J",3\r\n');
    expect(d.rows[0]).toEqual({ name: 'Smith, J', x: 3 });
  });

  it('rejects a duplicated column name, naming it', () => {
    expect(() => parseDelimited('a,b,a\n1,2,3\n')).toThrow(/column name 'a' appears twice/);
  });

  it('rejects a ragged row with the line number, the fields found and expected', () => {
    try {
      parseDelimited('a,b\n1,2\n3\n');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).message).toBe('cannot parse data: the row on line 3 has 1 field where the header has 2 (comma-separated)');
      expect((e as DataError).line).toBe(3);
      expect((e as DataError).column).toBe(1);
    }
  });

  it('a row with too many fields: the column of the first extra field, and the other ragged lines', () => {
    const e = catchError(() => parseDelimited('a,b\n1,2\n3,4,5\n6,7\n8\n9,10,11\n', 'x.csv'));
    expect(e.message).toBe('cannot parse x.csv: the row on line 3 has 3 fields where the header has 2 (comma-separated); 2 other rows have the wrong number of fields too (lines 5, 6)');
    expect([e.line, e.column]).toEqual([3, 5]);
  });

  it('rejects an empty file', () => {
    expect(() => parseDelimited('')).toThrow(/empty/);
    expect(() => parseDelimited('\n\n  \n')).toThrow(/empty/);
  });

  it('rejects a header without data rows', () => {
    expect(() => parseDelimited('a,b\n\n', 'h.csv')).toThrow('h.csv has a header but no data rows');
  });

  it('reports an unclosed quote at its position', () => {
    const e = catchError(() => parseDelimited('a,b\n1,"x\n2,3\n', 'q.csv'));
    expect(e.message).toBe('cannot parse q.csv: the quote that opens a field on line 2 (column 3) is never closed');
    expect([e.line, e.column]).toEqual([2, 3]);
  });

  it('keeps a quote inside an unquoted field, and doubled quotes and line breaks inside a quoted one', () => {
    const d = parseDelimited('h,x\n5\'11",1\n"say ""hi""\nthere",2\nz,3\n');
    expect(d.rows).toEqual([{ h: '5\'11"', x: 1 }, { h: 'say "hi"\nthere', x: 2 }, { h: 'z', x: 3 }]);
    expect(d.rowLines).toEqual([2, 3, 5]);
  });

  it('reads mixed line ends (CRLF, LF, CR) and skips blank lines, counting them in line numbers', () => {
    const d = parseDelimited('a,b\r\n1,2\n\n3,4\r5,6\n');
    expect(d.rows).toEqual([{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 }]);
    expect(d.rowLines).toEqual([2, 4, 5]);
  });
});

function catchError(f: () => unknown): DataError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error('no error');
}

/** 40 rows of id,age (ages 40..79) with some cells replaced: { line: text }. */
function ages(replace: Record<number, string> = {}): string {
  const lines = ['id,age'];
  for (let i = 0; i < 40; i++) lines.push(`P${String(i).padStart(2, '0')},${replace[i + 2] ?? 40 + i}`);
  return lines.join('\n') + '\n';
}

describe('cells that spoil a numeric column', () => {
  it('a few bad cells keep the column numeric, missing in the rows, each with its line and character column', () => {
    const d = parseDelimited(ages({ 7: 'fifty', 9: '"52,5"', 10: 'Inf', 11: '1e309', 12: '-Inf', 13: 'NaN' }), 'k.csv');
    const age = d.columns[1];
    expect(age.kind).toBe('numeric');
    expect(age.defectCount).toBe(6);
    expect(age.missing).toBe(6);
    expect(age.distinct).not.toContain('fifty');
    expect(d.rows[5]).toEqual({ id: 'P05', age: null });
    expect(d.rows[4]).toEqual({ id: 'P04', age: 44 });
    expect(age.defects!.map((x) => [x.line, x.column, x.field, x.kind, x.message])).toEqual([
      [7, 5, 2, 'not-a-number', "age is 'fifty' on line 7: not a number"],
      [9, 5, 2, 'decimal-comma', "age is '52,5' on line 9: it uses a decimal comma; Study reads '.' as the decimal point in this file (write 52.5)"],
      [10, 5, 2, 'not-finite', "age is 'Inf' on line 10: not a finite number"],
      [11, 5, 2, 'overflow', "age is '1e309' on line 11: overflows a double (the largest is about 1.8e308)"],
      [12, 5, 2, 'not-finite', "age is '-Inf' on line 12: not a finite number"],
      [13, 5, 2, 'not-finite', "age is 'NaN' on line 13: not a finite number (a missing value is written as an empty cell, '.' or 'NA')"],
    ]);
  });

  it('the column is the field\'s character column, past quotes, spaces and tabs', () => {
    const d = parseDelimited('id\tname\tage\nP1\t"A, B"\t 12\nP2\tC\t  #DIV/0!\n' + 'P\tD\t3\n'.repeat(30));
    expect(d.delimiter).toBe('\t');
    const bad = d.columns[2].defects![0];
    expect([bad.line, bad.column, bad.field, bad.kind]).toEqual([3, 8, 3, 'spreadsheet-error']);
    expect(bad.message).toBe("age is '#DIV/0!' on line 3: a spreadsheet error value, not a number");
  });

  it('a thousands separator is named as such', () => {
    const d = parseDelimited(ages({ 5: '"1,234"' }));
    expect(d.columns[1].defects![0].message).toBe("age is '1,234' on line 5: it has a thousands separator or a decimal comma; Study reads '.' as the decimal point, and no thousands separators");
  });

  it('many text cells (5% or more) make the column text, as written, without defects', () => {
    const d = parseDelimited(ages({ 2: 'x', 3: 'y' }));
    expect(d.columns[1]).toMatchObject({ kind: 'text', missing: 0 });
    expect(d.columns[1].defects).toBeUndefined();
    expect(d.rows[2].age).toBe('42');
  });

  it('numbers gone wrong do not count towards the 5%: a column of decimal commas stays numeric', () => {
    const replace: Record<number, string> = {};
    for (let l = 2; l < 22; l++) replace[l] = `"${l},5"`;
    const d = parseDelimited(ages(replace));
    expect(d.columns[1].kind).toBe('numeric');
    expect(d.columns[1].defectCount).toBe(20);
  });

  it('a column with no number at all is text; one with only missing cells is numeric, as before', () => {
    const d = parseDelimited('a,b\nInf,\nNaN,.\n');
    expect(d.columns.map((c) => c.kind)).toEqual(['text', 'numeric']);
  });
});

describe('delimiters and decimal marks', () => {
  it('comma-separated with decimal points: no note', () => {
    const d = parseDelimited('a,b\n1.5,2\n');
    expect([d.delimiter, d.decimal, d.notes]).toEqual([',', '.', undefined]);
  });

  it('semicolon-separated (it used to fail with "Invalid Record Length")', () => {
    const d = parseDelimited('id;visit;y\nA;1;2.5\nB;2;3\n', 's.csv');
    expect(d.delimiter).toBe(';');
    expect(d.decimal).toBe('.');
    expect(d.rows).toEqual([{ id: 'A', visit: 1, y: 2.5 }, { id: 'B', visit: 2, y: 3 }]);
    expect(d.notes).toEqual([{ severity: 'info', code: 'data-format', message: 's.csv is semicolon-separated' }]);
  });

  it('European CSV: semicolons and decimal commas are read as numbers, with a note saying so', () => {
    const d = parseDelimited('id;bdi;bmi\nA;29;26,3\nB;31;22\nC;.;-0,5\n', 'eu.csv');
    expect([d.delimiter, d.decimal]).toEqual([';', ',']);
    expect(d.rows).toEqual([{ id: 'A', bdi: 29, bmi: 26.3 }, { id: 'B', bdi: 31, bmi: 22 }, { id: 'C', bdi: null, bmi: -0.5 }]);
    expect(d.columns[2]).toMatchObject({ kind: 'numeric', distinct: ['26.3', '22', '-0.5'] });
    expect(d.notes).toEqual([{ severity: 'info', code: 'data-format', message: "eu.csv is semicolon-separated with decimal commas ('26,3' is read as 26.3)" }]);
  });

  it('in a decimal-comma file a decimal point is a defect', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `P${i};${i},5`);
    rows[3] = 'P3;52.5';
    const d = parseDelimited(['id;y', ...rows].join('\n'));
    expect(d.columns[1].defects!.map((x) => [x.line, x.column, x.message])).toEqual([
      [5, 4, "y is '52.5' on line 5: it uses '.' as the decimal point, but this file's numbers use a decimal comma (write 52,5)"],
    ]);
  });

  it('tab-separated with decimal commas, but not when every comma could be a thousands separator', () => {
    expect(parseDelimited('a\tb\n1,5\t2\n').decimal).toBe(',');
    const d = parseDelimited('a\tb\n1,500\t2\n2,000\t3\n');
    expect(d.decimal).toBe('.');
    expect(d.notes).toEqual([{ severity: 'info', code: 'data-format', message: 'data is tab-separated' }]);
  });

  it('the delimiter is the header\'s most frequent one, outside quotes', () => {
    expect(parseDelimited('"a;b",c\n1,2\n').columns.map((c) => c.name)).toEqual(['a;b', 'c']);
    expect(parseDelimited('a\tb,c\tc\n1\t2\t3\n').columns.map((c) => c.name)).toEqual(['a', 'b,c', 'c']);
  });
});

describe('encodings', () => {
  it('UTF-8, with or without a byte-order mark', () => {
    const d = parseDataBytes(Buffer.from('\uFEFFname,x\nMüller,1\n', 'utf8'));
    expect(d.rows).toEqual([{ name: 'Müller', x: 1 }]);
    expect([d.encoding, d.notes]).toEqual(['utf-8', undefined]);
  });

  it('Latin-1 bytes: read as Latin-1 (Windows-1252), with a warning naming the line, column and byte', () => {
    const bytes = Buffer.concat([Buffer.from('name,x\nA,1\n'), Buffer.from('M\xfcller,2\n\x8amith \x80,3\n', 'latin1')]);
    const d = parseDataBytes(bytes, 'l.csv');
    expect(d.rows).toEqual([{ name: 'A', x: 1 }, { name: 'Müller', x: 2 }, { name: 'Šmith €', x: 3 }]);
    expect(d.encoding).toBe('latin1');
    expect(d.notes).toEqual([
      {
        severity: 'warning',
        code: 'data-encoding',
        line: 3,
        column: 2,
        message: "line 3 has the byte 0xFC, which is not UTF-8: l.csv is read as Latin-1 (Windows-1252), where it is 'ü' (1 more line with such bytes); save the file as UTF-8 to be sure",
      },
    ]);
  });

  it('UTF-16 with a byte-order mark is decoded, with a note', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\nÄ,2\n', 'utf16le')]);
    const d = parseDataBytes(le, 'u.csv');
    expect(d.rows).toEqual([{ a: 'Ä', b: 2 }]);
    expect(d.encoding).toBe('utf-16le');
    expect(d.notes![0].message).toBe('u.csv is UTF-16 (little-endian, with a byte-order mark): it is read as such');
    const be = Buffer.from(le.subarray(2)).swap16();
    expect(parseDataBytes(Buffer.concat([Buffer.from([0xfe, 0xff]), be])).rows).toEqual([{ a: 'Ä', b: 2 }]);
  });

  it('refuses UTF-16 without a byte-order mark and a workbook, saying what they are', () => {
    expect(() => parseDataBytes(Buffer.from('a,b\n1,2\n', 'utf16le'), 'w.csv')).toThrow(
      'w.csv has NUL bytes (the first on line 1): it is not a text file; a UTF-16 file without a byte-order mark? Save it as UTF-8',
    );
    expect(() => parseDataBytes(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), 'x.csv')).toThrow('x.csv is a ZIP archive (an Excel .xlsx workbook?), not a text file: export the sheet as CSV');
  });
});

describe('readDataFile', () => {
  it('says which file is missing', () => {
    expect(() => readDataFile('/nonexistent/x.csv')).toThrow('data file not found: /nonexistent/x.csv');
  });

  it('reads a file from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'study-data-'));
    const file = join(dir, 'd.csv');
    writeFileSync(file, 'a\n1\n');
    expect(readDataFile(file).rows).toEqual([{ a: 1 }]);
  });
});
