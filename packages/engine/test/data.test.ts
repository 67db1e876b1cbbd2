import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError, parseDelimited, readDataFile } from '../src/data.js';

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

  it('rejects a ragged row with the line number', () => {
    try {
      parseDelimited('a,b\n1,2\n3\n');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      expect((e as DataError).message).toMatch(/cannot parse/);
      expect((e as DataError).line).toBe(3);
    }
  });

  it('rejects an empty file', () => {
    expect(() => parseDelimited('')).toThrow(/empty/);
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
