// The data formats besides CSV (src/formats/), each read from files the project makes
// (test/fixtures/formats/: make-fixtures.R, make-parquet.mjs, make-rle.c; README there) and compared
// with the same table written as CSV: the same rows, the same column kinds, the labels the format keeps.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DataError, parseDataBytes, readDataFile, type Dataset } from '../src/data.js';
import { ibmFloat } from '../src/formats/xpt.js';
import { sasFormatKind, sasDateText, sasDateTimeText } from '../src/formats/dataset.js';

const dir = fileURLToPath(new URL('./fixtures/formats/', import.meta.url));
const csv = readDataFile(dir + 'table.csv');

const LABELS: Record<string, string> = {
  USUBJID: 'Unique Subject Identifier',
  PARAMCD: 'Parameter Code',
  AVISIT: 'Analysis Visit',
  AVISITN: 'Analysis Visit (N)',
  AVAL: 'Analysis Value (µkat/L)',
  ADT: 'Analysis Date',
  TRTSDT: 'Date of First Exposure to Treatment',
  ADTM: 'Analysis Datetime',
  SEX: 'Sex',
  SITE: 'Site City',
  ABLFL: 'Baseline Record Flag',
};

const kinds = (d: Dataset) => Object.fromEntries(d.columns.map((c) => [c.name, c.kind]));
const labels = (d: Dataset) => Object.fromEntries(d.columns.map((c) => [c.name, c.label]));

describe('the reference CSV', () => {
  it('reads the table the formats are compared with', () => {
    expect(csv.rows).toHaveLength(8);
    expect(kinds(csv)).toEqual({
      USUBJID: 'text', PARAMCD: 'text', AVISIT: 'text', AVISITN: 'numeric', AVAL: 'numeric', ADT: 'text',
      TRTSDT: 'text', ADTM: 'text', SEX: 'text', SITE: 'text', ABLFL: 'text',
    });
    expect(csv.rows[0]).toMatchObject({ USUBJID: 'S01', AVAL: 23.5, ADT: '2021-03-04', ADTM: '2021-03-04T08:30:00', SITE: 'Zürich', ABLFL: 'Y' });
    expect(csv.rows[1].AVAL).toBeNull();
    expect(csv.rows[1].ABLFL).toBeNull();
  });
});

const FORMATS: [string, boolean][] = [
  ['table.xpt', true],
  ['table-v8.xpt', true],
  ['table.sas7bdat', true],
  ['table-rle.sas7bdat', true],
  ['table.json', true],
  ['table.ndjson', true],
  ['table.parquet', false],
  ['table-zstd.parquet', false],
];

describe.each(FORMATS)('%s', (file, hasLabels) => {
  const data = readDataFile(dir + file);
  it('reads to the rows of the CSV', () => {
    expect(data.rows).toEqual(csv.rows);
  });
  it('gives every column the kind the CSV reader gives it', () => {
    expect(data.columns.map((c) => c.name)).toEqual(csv.columns.map((c) => c.name));
    expect(kinds(data)).toEqual(kinds(csv));
    expect(data.columns.map((c) => c.missing)).toEqual(csv.columns.map((c) => c.missing));
  });
  it(hasLabels ? 'keeps the variable labels' : 'has no labels (the format has none)', () => {
    if (hasLabels) expect(labels(data)).toEqual(LABELS);
    else expect(data.columns.every((c) => c.label === undefined)).toBe(true);
  });
  it('says what the file is in an information note', () => {
    expect(data.notes?.some((n) => n.code === 'data-format' && n.severity === 'info' && n.message.startsWith(dir + file))).toBe(true);
  });
});

describe('SAS numbers and dates', () => {
  it('converts IBM floats exactly and reads SAS special missing values as missing', () => {
    const ibm = (...b: number[]) => ibmFloat(Uint8Array.from(b), 0, b.length);
    expect(ibm(0x41, 0x10, 0, 0, 0, 0, 0, 0)).toBe(1);
    expect(ibm(0xc2, 0x76, 0xa0, 0, 0, 0, 0, 0)).toBe(-118.625);
    expect(ibm(0x40, 0x19, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a)).toBe(0.1);
    expect(ibm(0, 0, 0, 0, 0, 0, 0, 0)).toBe(0);
    for (const first of [0x2e, 0x5f, 0x41, 0x5a]) expect(ibm(first, 0, 0, 0, 0, 0, 0, 0)).toBeNull();
    // a 4-byte SAS number keeps the first bytes
    expect(ibm(0x41, 0x10, 0, 0)).toBe(1);
  });
  it('knows the date, datetime and time formats by name, with or without width', () => {
    expect(['DATE9.', 'DATE', 'yymmdd10.', 'E8601DA.', 'E8601DA10.', 'MMDDYY10', 'B8601DA8.'].map(sasFormatKind)).toEqual(Array(7).fill('date'));
    expect(['DATETIME20.', 'E8601DT19.', 'B8601DT19.3'].map(sasFormatKind)).toEqual(Array(3).fill('datetime'));
    expect(['TIME8.', 'TOD8.', 'HHMM5.'].map(sasFormatKind)).toEqual(Array(3).fill('time'));
    expect(['BEST12.', '8.2', '', '$CHAR10.', undefined].map(sasFormatKind)).toEqual(Array(5).fill(undefined));
  });
  it('counts days and seconds from 1960-01-01', () => {
    expect(sasDateText(0)).toBe('1960-01-01');
    expect(sasDateText(-1)).toBe('1959-12-31');
    expect(sasDateText(22343)).toBe('2021-03-04');
    expect(sasDateTimeText(1930465800)).toBe('2021-03-04T08:30:00');
    expect(sasDateTimeText(0.5)).toBe('1960-01-01T00:00:00.5');
  });
});

/** The error reading `bytes` as `name` gives (a DataError, never another exception or rows). */
function failure(bytes: Uint8Array, name: string): DataError {
  try {
    parseDataBytes(bytes, name);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error(`${name} was read`);
}

describe('damaged files', () => {
  const bytes = (file: string) => new Uint8Array(readFileSync(dir + file));
  it.each([
    ['table.xpt', 1000, /broken\.xpt is not a readable SAS transport \(XPT\) file: its length, 1000 bytes, is not a multiple of 80/],
    ['table.xpt', 400, /broken\.xpt is not a readable SAS transport \(XPT\) file: the NAMESTR header record is missing: the file ends at byte 400, it is truncated/],
    ['table.xpt', 1440, /broken\.xpt is not a readable SAS transport \(XPT\) file: the observation header record is missing: the file is truncated/],
    ['table.sas7bdat', 5000, /broken\.sas7bdat is not a readable SAS data set \(sas7bdat\): the header declares \d+ pages of \d+ bytes .* but the file has 5000: it is truncated/],
    ['table.sas7bdat', 100, /broken\.sas7bdat is not a readable SAS data set \(sas7bdat\): it has 100 bytes, fewer than a sas7bdat header/],
    ['table.json', 700, /broken\.json is not valid JSON/],
    ['table.parquet', 900, /broken\.parquet is not a readable Parquet file: .*footer/],
  ])('%s cut to %i bytes: a DataError that names the file and what is wrong', (file, length, message) => {
    const ext = file.replace(/^[^.]*/, '');
    const e = failure(bytes(file).subarray(0, length), `broken${ext}`);
    expect(e.message).toMatch(message);
  });
  it('an NDJSON file cut at a line end: fewer rows than it declares', () => {
    const lines = readFileSync(dir + 'table.ndjson', 'utf8').split('\n');
    const cut = lines.slice(0, 5).join('\n');
    expect(failure(Buffer.from(cut), 'cut.ndjson').message).toBe('cut.ndjson declares 8 records but has 4 rows: the file is truncated or damaged');
  });
  it('a sas7bdat whose pages are overwritten with noise', () => {
    const b = bytes('table.sas7bdat');
    const noisy = Uint8Array.from(b);
    const header = new DataView(noisy.buffer).getUint32(196 + (noisy[35] === 0x33 ? 4 : 0), true);
    for (let i = header; i < noisy.length; i++) noisy[i] = (i * 7919) & 0xff;
    expect(failure(noisy, 'noise.sas7bdat').message).toMatch(/^noise\.sas7bdat is not a readable SAS data set \(sas7bdat\): /);
  });
  it('a file whose extension does not match its content', () => {
    expect(failure(bytes('table.csv'), 'table.xpt').message).toMatch(/table\.xpt is not a readable SAS transport \(XPT\) file: it does not start with the library header record/);
    expect(failure(bytes('table.xpt'), 'table.parquet').message).toMatch(/table\.parquet is not a readable Parquet file: it does not start with PAR1/);
    expect(failure(bytes('table.csv'), 'table.json').message).toMatch(/table\.json is not valid JSON/);
    expect(failure(Buffer.from('{"a": 1}'), 'other.json').message).toBe('other.json is not a CDISC Dataset-JSON file: it has no "rows" array and no "columns"');
  });
  it('an RDC-compressed sas7bdat is refused with what to do instead', () => {
    // the compression literal in the first column-text subheader is what marks RDC; swap RLE's for RDC's
    const b = Uint8Array.from(bytes('table-rle.sas7bdat'));
    const text = Buffer.from(b).toString('latin1');
    const at = text.indexOf('SASYZCRL');
    expect(at).toBeGreaterThan(0);
    b.set(Buffer.from('SASYZCR2', 'latin1'), at);
    expect(failure(b, 'rdc.sas7bdat').message).toBe('rdc.sas7bdat: sas7bdat with RDC compression (COMPRESS=BINARY) is not supported: export it as XPT (or save it with COMPRESS=CHAR or COMPRESS=NO)');
  });
});

describe('Dataset-JSON details', () => {
  const base = {
    datasetJSONVersion: '1.1.0',
    records: 2,
    name: 'X',
    columns: [
      { itemOID: 'IT.A', name: 'A', label: 'A label', dataType: 'boolean' },
      { itemOID: 'IT.D', name: 'D', label: 'Numeric date', dataType: 'integer', displayFormat: 'DATE9.' },
      { itemOID: 'IT.S', name: 'S', label: '', dataType: 'string' },
    ],
    rows: [
      [true, 22343, '  x '],
      [false, null, ''],
    ],
  };
  it('reads booleans as 1/0, a numeric SAS date as ISO text, and blank text as missing', () => {
    const d = parseDataBytes(Buffer.from(JSON.stringify(base)), 'x.json');
    expect(d.rows).toEqual([
      { A: 1, D: '2021-03-04', S: 'x' },
      { A: 0, D: null, S: null },
    ]);
    expect(d.columns.map((c) => [c.kind, c.label])).toEqual([
      ['numeric', 'A label'],
      ['text', 'Numeric date'],
      ['text', undefined],
    ]);
  });
  it('refuses a value of the wrong type, naming the column and row', () => {
    const bad = { ...base, rows: [[true, 'soon', 'x'], [false, 1, 'y']] };
    expect(failure(Buffer.from(JSON.stringify(bad)), 'x.json').message).toBe('x.json: D on row 1 is "soon", not a integer value');
    const ragged = { ...base, rows: [[true, 1], [false, 1, 'y']] };
    expect(failure(Buffer.from(JSON.stringify(ragged)), 'x.json').message).toBe('x.json: row 1 has 2 values where there are 3 columns');
  });
  it('reads Dataset-JSON 1.0 (itemGroupData), without ITEMGROUPDATASEQ', () => {
    const v10 = {
      datasetJSONVersion: '1.0.0',
      clinicalData: {
        itemGroupData: {
          'IG.X': {
            records: 1,
            name: 'X',
            label: 'x',
            items: [
              { OID: 'ITEMGROUPDATASEQ', name: 'ITEMGROUPDATASEQ', label: 'Record identifier', type: 'integer' },
              { OID: 'IT.Y', name: 'Y', label: 'Y value', type: 'float' },
            ],
            itemData: [[1, 2.5]],
          },
        },
      },
    };
    const d = parseDataBytes(Buffer.from(JSON.stringify(v10)), 'v10.json');
    expect(d.rows).toEqual([{ Y: 2.5 }]);
    expect(d.columns[0].label).toBe('Y value');
  });
});

describe('CSV and TSV are read as before', () => {
  it('a .csv, .tsv or .txt file goes to the delimited reader', () => {
    for (const name of ['a.csv', 'a.tsv', 'a.txt', 'a']) {
      const d = parseDataBytes(Buffer.from('id,y\nA,1\n'), name);
      expect(d.delimiter).toBe(',');
      expect(d.rows).toEqual([{ id: 'A', y: 1 }]);
    }
  });
});
