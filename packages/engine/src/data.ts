/**
 * Reading long-format data files: bytes → text (UTF-8, else Latin-1 with a warning; UTF-16 with a
 * byte-order mark), text → records (comma, tab or semicolon delimited; RFC 4180 quoting; any line ends),
 * and what each cell means: missing (empty, `.` as SAS writes it, `NA` as R writes it), a number, or text.
 *
 * A column is numeric when its cells are numbers except a few (fewer than 5% of its non-missing cells,
 * plus any number of cells that are numbers gone wrong: a decimal comma in a file that uses `.`, `Inf`,
 * `NaN`, a value that overflows a double, a spreadsheet error such as `#DIV/0!`). Those cells are
 * *defects*: they are missing in `rows`, and each is recorded with its position in the file so that the
 * user is told (the language's validator makes a spec that uses such a column an error). Positions are the
 * 1-based line of the file and the 1-based character column where the field starts (its opening quote,
 * for a quoted field), as editors and `file:line:col` links count them.
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { Value } from './model-spec.js';
import { dataFormatOf, readFormat } from './formats/index.js';
import { rowsOfTable, tableFromRows, type DataTable, type TableColumn } from './table.js';

export type ColumnKind = 'numeric' | 'text';

/** Why a cell of a numeric column is not a number. */
export type CellDefectKind =
  | 'not-a-number'
  | 'not-finite'
  | 'overflow'
  | 'decimal-comma'
  | 'thousands-separator'
  | 'decimal-point'
  | 'spreadsheet-error';

/** A cell that spoils a numeric column (it is missing in the rows). */
export interface CellDefect {
  /** 1-based line of the data file */
  line: number;
  /** 1-based character column in that line where the field starts */
  column: number;
  /** 1-based index of the field in its record (the header's column number) */
  field: number;
  /** the cell as written (trimmed) */
  text: string;
  kind: CellDefectKind;
  /** e.g. "age is 'fifty' on line 37: not a number" */
  message: string;
}

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  /** number of missing cells in `rows` (defective cells included) */
  missing: number;
  /** distinct non-missing values, as text, in first-seen order (capped at 1000 for very wide text columns) */
  distinct: string[];
  /** numeric columns: the cells that are not numbers, in file order (the first 100); absent when there are none */
  defects?: CellDefect[];
  /** the number of defective cells (may exceed `defects.length`) */
  defectCount?: number;
  /** the variable's label, when the file has one (SAS formats, Dataset-JSON) */
  label?: string;
}

/** Something the reader noticed about the file as a whole, or one line of it. */
export interface DataNote {
  severity: 'warning' | 'info';
  /** `data-encoding` (how the bytes were decoded) or `data-format` (delimiter, decimal mark) */
  code: 'data-encoding' | 'data-format';
  message: string;
  line?: number;
  column?: number;
}

export type Delimiter = ',' | '\t' | ';';
export type DecimalMark = '.' | ',';
export type TextEncoding = 'utf-8' | 'latin1' | 'utf-16le' | 'utf-16be';

export interface Dataset {
  /** file the data came from, if any */
  path?: string;
  columns: ColumnInfo[];
  /**
   * one object per row; the CSV reader makes them only when asked (from `table`): read them, do not
   * change them (assigning `rows` drops `table`)
   */
  rows: Record<string, Value>[];
  /**
   * the same data in columns (table.ts), when the reader kept them (the CSV reader does); not
   * enumerable, so a copy or a clone of the dataset carries `rows` only. `tableOf` gives it for any dataset.
   */
  table?: DataTable;
  /** 1-based line of the file where each row starts (parallel to `rows`) */
  rowLines?: number[];
  /** the field delimiter detected from the header */
  delimiter?: Delimiter;
  /** the decimal mark numbers were read with */
  decimal?: DecimalMark;
  /** how the file's bytes were decoded (text given as a string is 'utf-8') */
  encoding?: TextEncoding;
  /** encoding and format notes, in file order */
  notes?: DataNote[];
  /** SHA-256 (hex) of the file's bytes as read, when read from a file */
  sha256?: string;
}

export class DataError extends Error {
  constructor(
    message: string,
    /** 1-based line in the data file, when the problem is on one line */
    readonly line?: number,
    /** 1-based character column in that line */
    readonly column?: number,
  ) {
    super(message);
    this.name = 'DataError';
  }
}

const MISSING = new Set(['', '.', 'NA']);
const DISTINCT_CAP = 1000;
const DEFECTS_KEPT = 100;
/** A column stays numeric when fewer than this share of its non-missing cells are text. */
const TEXT_SHARE = 0.05;

export function isMissingCell(text: string): boolean {
  return MISSING.has(text.trim());
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const COMMA_NUMBER = /^[+-]?(\d+,\d*|,\d+)([eE][+-]?\d+)?$/;
const POINT_FRACTION = /^[+-]?\d*\.\d+([eE][+-]?\d+)?$/;
const COMMA_FRACTION = /^[+-]?\d*,\d+([eE][+-]?\d+)?$/;
const COMMA_THOUSANDS = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const POINT_THOUSANDS = /^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$/;
const NOT_FINITE = /^[+-]?(inf|infinity|nan)$/i;
const SPREADSHEET_ERROR = /^#(DIV\/0!|N\/A|VALUE!|REF!|NAME\?|NUM!|NULL!)$/i;

type Cell = { value: number } | { defect: CellDefectKind };
const NOT_A_NUMBER: Cell = { defect: 'not-a-number' };

/** What a non-missing, trimmed cell is under a decimal mark. */
function readCell(t: string, decimal: DecimalMark): Cell {
  // a cell that starts (after a sign) with none of the characters the patterns below start with is text
  const c = t.charCodeAt(t.charCodeAt(0) === 43 || t.charCodeAt(0) === 45 ? 1 : 0);
  if (!((c >= 48 && c <= 57) || c === 46 || c === 44 || c === 35 || c === 73 || c === 105 || c === 78 || c === 110)) return NOT_A_NUMBER;
  if (decimal === '.') {
    if (NUMBER.test(t)) {
      const v = Number(t);
      return Number.isFinite(v) ? { value: v } : { defect: 'overflow' };
    }
    if (COMMA_THOUSANDS.test(t)) return { defect: 'thousands-separator' };
    if (COMMA_NUMBER.test(t)) return { defect: 'decimal-comma' };
  } else {
    if (COMMA_NUMBER.test(t) || /^[+-]?\d+$/.test(t) || /^[+-]?\d+[eE][+-]?\d+$/.test(t)) {
      const v = Number(t.replace(',', '.'));
      return Number.isFinite(v) ? { value: v } : { defect: 'overflow' };
    }
    if (POINT_THOUSANDS.test(t)) return { defect: 'thousands-separator' };
    if (NUMBER.test(t)) return { defect: 'decimal-point' };
  }
  if (NOT_FINITE.test(t)) return { defect: 'not-finite' };
  if (SPREADSHEET_ERROR.test(t)) return { defect: 'spreadsheet-error' };
  return { defect: 'not-a-number' };
}

function defectReason(kind: CellDefectKind, t: string, decimal: DecimalMark): string {
  switch (kind) {
    case 'not-a-number':
      return 'not a number';
    case 'not-finite':
      return /nan/i.test(t) ? "not a finite number (a missing value is written as an empty cell, '.' or 'NA')" : 'not a finite number';
    case 'overflow':
      return 'overflows a double (the largest is about 1.8e308)';
    case 'decimal-comma':
      return `it uses a decimal comma; Study reads '.' as the decimal point in this file (write ${t.replace(',', '.')})`;
    case 'thousands-separator':
      return decimal === '.'
        ? "it has a thousands separator or a decimal comma; Study reads '.' as the decimal point, and no thousands separators"
        : "it has a thousands separator or a decimal point; this file's numbers use a decimal comma, and no thousands separators";
    case 'decimal-point':
      return `it uses '.' as the decimal point, but this file's numbers use a decimal comma (write ${t.replace('.', ',')})`;
    case 'spreadsheet-error':
      return 'a spreadsheet error value, not a number';
  }
}

// ---------------------------------------------------------------------------------------------------
// Records

interface RawRecord {
  fields: string[];
  /** line where the record starts */
  line: number;
  /** offset in the text where the record starts (always a line start) */
  offset: number;
}

interface FieldPosition {
  line: number;
  column: number;
}

const NL = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;

function delimiterName(d: Delimiter): string {
  return d === ',' ? 'comma' : d === ';' ? 'semicolon' : 'tab';
}

/**
 * Reads one record starting at `pos` (a line start). Quotes open a field only at its start (after
 * spaces); a quote inside an unquoted field is an ordinary character. Returns the position after the
 * record's line end and the line the next record starts on.
 */
function readRecord(
  text: string,
  start: number,
  startLine: number,
  delimiter: number,
  where: string,
  positions?: FieldPosition[],
): { fields: string[]; next: number; nextLine: number } {
  const fields: string[] = [];
  const n = text.length;
  let pos = start;
  let line = startLine;
  let lineStart = start;
  for (;;) {
    // one field
    let p = pos;
    while (p < n && text.charCodeAt(p) === SPACE) p++;
    positions?.push({ line, column: p - lineStart + 1 });
    if (p < n && text.charCodeAt(p) === QUOTE) {
      const openLine = line;
      const openColumn = p - lineStart + 1;
      let value = '';
      let q = p + 1;
      let chunk = q;
      for (;;) {
        if (q >= n) throw new DataError(`cannot parse ${where}: the quote that opens a field on line ${openLine} (column ${openColumn}) is never closed`, openLine, openColumn);
        const c = text.charCodeAt(q);
        if (c === QUOTE) {
          if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(chunk, q + 1);
            q += 2;
            chunk = q;
            continue;
          }
          value += text.slice(chunk, q);
          q++;
          break;
        }
        if (c === NL || (c === CR && text.charCodeAt(q + 1) !== NL)) {
          line++;
          lineStart = q + 1;
        }
        q++;
      }
      while (q < n && text.charCodeAt(q) === SPACE) q++;
      const c = q < n ? text.charCodeAt(q) : -1;
      if (c !== -1 && c !== delimiter && c !== NL && c !== CR) {
        throw new DataError(
          `cannot parse ${where}: on line ${line}, column ${q - lineStart + 1}, the quoted field ends and '${text[q]}' follows instead of a ${delimiterName(String.fromCharCode(delimiter) as Delimiter)} or the end of the line`,
          line,
          q - lineStart + 1,
        );
      }
      fields.push(value);
      pos = q;
    } else {
      let q = p;
      while (q < n) {
        const c = text.charCodeAt(q);
        if (c === delimiter || c === NL || c === CR) break;
        q++;
      }
      fields.push(text.slice(pos, q));
      pos = q;
    }
    if (pos >= n) return { fields, next: n, nextLine: line + 1 };
    const c = text.charCodeAt(pos);
    if (c === delimiter) {
      pos++;
      continue;
    }
    // end of line
    const next = c === CR && text.charCodeAt(pos + 1) === NL ? pos + 2 : pos + 1;
    return { fields, next, nextLine: line + 1 };
  }
}

/** Where the next line starts when the line at `pos` is empty or holds only spaces (and tabs, unless they delimit). */
function blankLineEnd(text: string, pos: number, delimiter: number): number | undefined {
  let p = pos;
  const n = text.length;
  while (p < n && (text.charCodeAt(p) === SPACE || (text.charCodeAt(p) === 9 && delimiter !== 9))) p++;
  if (p >= n) return n;
  const c = text.charCodeAt(p);
  if (c === NL) return p + 1;
  if (c === CR) return text.charCodeAt(p + 1) === NL ? p + 2 : p + 1;
  return undefined;
}

function readRecords(text: string, delimiter: Delimiter, where: string): RawRecord[] {
  const records: RawRecord[] = [];
  const d = delimiter.charCodeAt(0);
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    const blank = blankLineEnd(text, pos, d);
    if (blank !== undefined) {
      pos = blank;
      line++;
      continue;
    }
    const r = readRecord(text, pos, line, d, where);
    records.push({ fields: r.fields, line, offset: pos });
    pos = r.next;
    line = r.nextLine;
  }
  return records;
}

function fieldPositions(text: string, rec: RawRecord, delimiter: Delimiter): FieldPosition[] {
  const positions: FieldPosition[] = [];
  readRecord(text, rec.offset, rec.line, delimiter.charCodeAt(0), '', positions);
  return positions;
}

/** The delimiter the header line uses most (outside quotes): comma, tab or semicolon; comma when it has none. */
function detectDelimiter(text: string): Delimiter {
  const counts: Record<Delimiter, number> = { ',': 0, '\t': 0, ';': 0 };
  let inQuotes = false;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (c === '\n' || c === '\r')) {
      if (started) break;
      continue;
    } else if (!inQuotes && (c === ',' || c === '\t' || c === ';')) counts[c]++;
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') started = true;
  }
  let best: Delimiter = ',';
  for (const d of ['\t', ';'] as Delimiter[]) if (counts[d] > counts[best]) best = d;
  return best;
}

/**
 * The decimal mark: '.' in a comma-separated file; in a semicolon- or tab-separated file a comma when more
 * cells are written with a decimal comma than with a decimal point (in a tab-separated file only when some
 * comma is not followed by exactly three digits, which could be a thousands separator).
 */
function detectDecimal(body: RawRecord[], delimiter: Delimiter): DecimalMark {
  if (delimiter === ',') return '.';
  let points = 0;
  let commas = 0;
  let unambiguous = false;
  for (const rec of body) {
    for (const f of rec.fields) {
      const t = f.trim();
      if (POINT_FRACTION.test(t)) points++;
      else if (COMMA_FRACTION.test(t)) {
        commas++;
        if (!/,\d{3}([eE]|$)/.test(t)) unambiguous = true;
      }
    }
  }
  if (commas <= points) return '.';
  return delimiter === ';' || unambiguous ? ',' : '.';
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Parses delimited text (comma, tab or semicolon separated, detected from the header line). */
export function parseDelimited(text: string, path?: string): Dataset {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // the columnar reader (below) reads well-formed files; a file it cannot read (an unclosed quote, a
  // ragged row, no rows) is read again by the record reader, which says what is wrong, as it always did
  return parseDelimitedColumns(text, path) ?? parseDelimitedRecords(text, path);
}

/** The record reader: every record as an array of strings, then the columns. */
export function parseDelimitedRecords(text: string, path?: string): Dataset {
  const where = path ?? 'data';
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const delimiter = detectDelimiter(text);
  const records = readRecords(text, delimiter, where);
  if (records.length === 0) throw new DataError(`${where} is empty: a header row is needed`, 1);
  const headerRecord = records[0];
  const header = headerRecord.fields.map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') throw new DataError(`column ${i + 1} of the header has no name`, headerRecord.line);
    if (seen.has(h)) throw new DataError(`column name '${h}' appears twice in the header`, headerRecord.line);
    seen.add(h);
  });
  const body = records.slice(1);
  if (body.length === 0) throw new DataError(`${where} has a header but no data rows`);

  const ragged = body.filter((r) => r.fields.length !== header.length);
  if (ragged.length > 0) {
    const first = ragged[0];
    const found = first.fields.length;
    const column = found > header.length ? fieldPositions(text, first, delimiter)[header.length].column : 1;
    const others = ragged.slice(1);
    const more =
      others.length === 0
        ? ''
        : `; ${plural(others.length, 'other row')} ${others.length === 1 ? 'has' : 'have'} the wrong number of fields too (line${others.length > 1 ? 's' : ''} ${others.slice(0, 5).map((r) => r.line).join(', ')}${others.length > 5 ? ', …' : ''})`;
    throw new DataError(
      `cannot parse ${where}: the row on line ${first.line} has ${plural(found, 'field')} where the header has ${header.length} (${delimiterName(delimiter)}-separated)${more}`,
      first.line,
      column,
    );
  }

  const decimal = detectDecimal(body, delimiter);
  const notes: DataNote[] = [];
  const sample = decimal === ',' ? firstCommaNumber(body) : undefined;
  if (delimiter !== ',' || decimal !== '.') {
    const how = `${delimiterName(delimiter)}-separated`;
    notes.push({
      severity: 'info',
      code: 'data-format',
      message:
        decimal === ','
          ? `${where} is ${how} with decimal commas${sample ? ` ('${sample}' is read as ${sample.replace(',', '.')})` : ''}`
          : `${where} is ${how}`,
    });
  }

  const values: (number | null)[][] = header.map(() => []);
  const columns: ColumnInfo[] = header.map((name, j) => {
    let missing = 0;
    let textCells = 0;
    let numbers = 0;
    let nonMissing = 0;
    const col = values[j];
    const spoilt: { row: number; text: string; kind: CellDefectKind }[] = [];
    for (let i = 0; i < body.length; i++) {
      const t = body[i].fields[j].trim();
      if (MISSING.has(t)) {
        missing++;
        col.push(null);
        continue;
      }
      nonMissing++;
      const cell = readCell(t, decimal);
      if ('value' in cell) {
        numbers++;
        col.push(cell.value);
      } else {
        if (cell.defect === 'not-a-number') textCells++;
        spoilt.push({ row: i, text: t, kind: cell.defect });
        col.push(null);
      }
    }
    // a column of missing cells only is numeric (as it always was); one with no number at all is text
    const numeric = (numbers > 0 || nonMissing === 0) && textCells < TEXT_SHARE * Math.max(nonMissing, 1);
    const distinct = new Set<string>();
    if (numeric) {
      // levels as written (1.50 stays 1.50), except under a decimal comma, where they are written as numbers
      for (let i = 0; i < body.length && distinct.size < DISTINCT_CAP; i++) {
        const v = col[i];
        if (v !== null) distinct.add(decimal === '.' ? body[i].fields[j].trim() : String(v));
      }
      const info: ColumnInfo = { name, kind: 'numeric', missing: missing + spoilt.length, distinct: [...distinct] };
      if (spoilt.length > 0) {
        info.defectCount = spoilt.length;
        info.defects = spoilt.slice(0, DEFECTS_KEPT).map((s) => {
          const rec = body[s.row];
          const pos = fieldPositions(text, rec, delimiter)[j];
          return {
            line: pos.line,
            column: pos.column,
            field: j + 1,
            text: s.text,
            kind: s.kind,
            message: `${name} is '${s.text}' on line ${pos.line}: ${defectReason(s.kind, s.text, decimal)}`,
          };
        });
      }
      return info;
    }
    for (const rec of body) {
      const t = rec.fields[j].trim();
      if (!MISSING.has(t) && distinct.size < DISTINCT_CAP) distinct.add(t);
    }
    values[j] = [];
    return { name, kind: 'text', missing, distinct: [...distinct] };
  });
  const rows = body.map((rec, i) => {
    const row: Record<string, Value> = {};
    columns.forEach((c, j) => {
      if (c.kind === 'numeric') row[c.name] = values[j][i];
      else {
        const t = rec.fields[j].trim();
        row[c.name] = MISSING.has(t) ? null : t;
      }
    });
    return row;
  });
  const dataset: Dataset = { path, columns, rows, rowLines: body.map((r) => r.line), delimiter, decimal, encoding: 'utf-8' };
  if (notes.length) dataset.notes = notes;
  return dataset;
}

function firstCommaNumber(body: RawRecord[]): string | undefined {
  for (const rec of body) for (const f of rec.fields) if (COMMA_FRACTION.test(f.trim())) return f.trim();
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// The columnar reader: one pass over the text, each cell read in place (numbers parsed from the
// characters, no substring; text cells interned per column), straight into typed columns.

/** 10^k for the exact fast path of number parsing: an integer below 2^53 over 10^k (k <= 22) is correctly rounded. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * A plain number from text[p] up to end: a sign, digits and at most one decimal mark, read as the
 * characters are scanned; up to 15 digits it is what Number() gives (m exact, one division by a power
 * of ten). Sets out.plainValue (NaN when it is no plain number: no digits, or over 15) and returns
 * where the number's characters stop (end, or the first other character). One reader for the field
 * scan and for `range` (the field's text already delimited).
 */
function plainNumber(text: string, p: number, end: number, mark: number, out: { plainValue: number }): number {
  let negative = false;
  const c0 = p < end ? text.charCodeAt(p) : -1;
  if (c0 === 45) {
    negative = true;
    p++;
  } else if (c0 === 43) p++;
  let m = 0;
  let digits = 0;
  let fraction = 0;
  let point = false;
  for (; p < end; p++) {
    const ch = text.charCodeAt(p);
    if (ch >= 48 && ch <= 57) {
      m = m * 10 + (ch - 48);
      digits++;
      if (point) fraction++;
    } else if (ch === mark && !point) point = true;
    else break;
  }
  if (digits > 0 && digits <= 15) {
    const u = fraction === 0 ? m : m / POW10[fraction]!;
    out.plainValue = negative ? -u : u;
  } else out.plainValue = NaN;
  return p;
}

/** Whether text[s, e) is the string t. */
function sameText(text: string, s: number, e: number, t: string): boolean {
  if (e - s !== t.length) return false;
  for (let k = 0; k < t.length; k++) if (text.charCodeAt(s + k) !== t.charCodeAt(k)) return false;
  return true;
}

/** One column while the file is read: its numbers, its non-number cells (interned), what decides its kind. */
class ColumnReader {
  readonly numbers: Float64Array;
  /** per row: 1 + the code of a non-number cell's text, 0 for a number or missing cell (allocated on the first such cell) */
  codes: Int32Array | null = null;
  readonly levels: string[] = [];
  readonly kinds: CellDefectKind[] = [];
  /** the levels by the hash of their text (open addressing: 1 + code, 0 empty) */
  private slots = new Int32Array(64);
  private lastCode = -1;
  missing = 0;
  numberCells = 0;
  nonMissing = 0;
  textCells = 0;
  spoilt = 0;
  /** the numbers' distinct texts as written (or String(v) under a decimal comma), first seen first, up to the cap */
  readonly distinct: string[] = [];
  private distinctFull = false;
  private readonly byValue = new Map<number, string | string[]>();
  private readonly smallSeen: (string | string[] | undefined)[] = [];
  private readonly mark: number;
  /** the number plainNumber read last (NaN: none) */
  plainValue = NaN;

  constructor(
    private readonly text: string,
    private readonly capacity: number,
    private readonly decimal: DecimalMark,
  ) {
    this.numbers = new Float64Array(capacity);
    this.mark = decimal.charCodeAt(0);
  }

  /** the unquoted field text[s, e) of row i (spaces around it included) */
  range(i: number, s: number, e: number): void {
    const text = this.text;
    let c = 0;
    while (s < e && ((c = text.charCodeAt(s)) === SPACE || c === 9)) s++;
    while (e > s && ((c = text.charCodeAt(e - 1)) === SPACE || c === 9)) e--;
    if (s === e) return this.miss(i);
    const c0 = text.charCodeAt(s);
    const cl = text.charCodeAt(e - 1);
    // other white space (trim's), control characters, non-ASCII: as a string
    if (c0 < 33 || c0 > 126 || cl < 33 || cl > 126) return this.string(i, text.slice(s, e).trim());
    const len = e - s;
    if ((len === 1 && c0 === 46) || (len === 2 && c0 === 78 && cl === 65)) return this.miss(i);
    if (plainNumber(text, s, e, this.mark, this) === e && !Number.isNaN(this.plainValue)) {
      const v = this.plainValue;
      this.numbers[i] = v;
      this.numberCells++;
      this.nonMissing++;
      if (!this.distinctFull) this.noteDistinct(v, s, e, undefined);
      return;
    }
    // the text of the cell before (long data repeat a subject's id row after row), else one seen
    // before in this column, looked up without making a string
    const last = this.lastCode;
    if (last >= 0 && sameText(text, s, e, this.levels[last]!)) return this.nonNumber(i, last);
    let h = 0x811c9dc5;
    for (let k = s; k < e; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
    const mask = this.slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const c1 = this.slots[slot]!;
      if (c1 === 0) break;
      if (sameText(text, s, e, this.levels[c1 - 1]!)) return this.nonNumber(i, c1 - 1);
    }
    this.fresh(i, text.slice(s, e), h);
  }

  /**
   * the trimmed cell text t of row i (trim done); the field scan below and `range` read most cells
   * without making a string
   */
  string(i: number, t: string): void {
    if (MISSING.has(t)) return this.miss(i);
    let h = 0x811c9dc5;
    for (let k = 0; k < t.length; k++) h = Math.imul(h ^ t.charCodeAt(k), 0x01000193);
    const mask = this.slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const c1 = this.slots[slot]!;
      if (c1 === 0) break;
      if (this.levels[c1 - 1] === t) return this.nonNumber(i, c1 - 1);
    }
    this.fresh(i, t, h);
  }

  /** a non-missing cell t (hash h) not among the column's non-number texts yet: a number, or a new text */
  private fresh(i: number, t: string, h: number): void {
    const cell = readCell(t, this.decimal);
    if ('value' in cell) {
      this.numbers[i] = cell.value;
      this.numberCells++;
      this.nonMissing++;
      if (!this.distinctFull) this.noteDistinct(cell.value, 0, 0, t);
      return;
    }
    const code = this.levels.push(t) - 1;
    this.kinds.push(cell.defect);
    if (2 * this.levels.length > this.slots.length) this.rehash();
    else this.place(h, code);
    this.nonNumber(i, code);
  }

  private place(h: number, code: number): void {
    const mask = this.slots.length - 1;
    let slot = h & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = code + 1;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 4);
    this.levels.forEach((t, code) => {
      let h = 0x811c9dc5;
      for (let k = 0; k < t.length; k++) h = Math.imul(h ^ t.charCodeAt(k), 0x01000193);
      this.place(h, code);
    });
  }

  private nonNumber(i: number, code: number): void {
    this.lastCode = code;
    this.numbers[i] = NaN;
    this.nonMissing++;
    this.spoilt++;
    if (this.kinds[code] === 'not-a-number') this.textCells++;
    (this.codes ??= new Int32Array(this.capacity))[i] = code + 1;
  }

  /**
   * An unquoted field from `start`: a plain number (sign, up to 15 digits, the decimal mark, spaces
   * around) is read as its characters are scanned; anything else goes to `range`. Returns where the
   * field ends (the delimiter, the line end or the end of the text).
   */
  scan(i: number, start: number, d: number): number {
    const text = this.text;
    const n = text.length;
    let p = start;
    let c = -1;
    while (p < n && ((c = text.charCodeAt(p)) === SPACE || (c === 9 && d !== 9))) p++;
    const s = p;
    const e = (p = plainNumber(text, p, n, this.mark, this));
    while (p < n && ((c = text.charCodeAt(p)) === SPACE || (c === 9 && d !== 9))) p++;
    if (p >= n || c === d || c === NL || c === CR) {
      if (!Number.isNaN(this.plainValue)) {
        const v = this.plainValue;
        this.numbers[i] = v;
        this.numberCells++;
        this.nonMissing++;
        if (!this.distinctFull) {
          // a small whole number written as before (the common case): nothing to note
          const seen = v >= 0 && v < 4096 && (v | 0) === v ? this.smallSeen[v] : undefined;
          if (typeof seen !== 'string' || !sameText(text, s, e, seen)) this.noteDistinct(v, s, e, undefined);
        }
        return p;
      }
    }
    while (p < n) {
      c = text.charCodeAt(p);
      if (c === d || c === NL || c === CR) break;
      p++;
    }
    this.range(i, start, p);
    return p;
  }

  private miss(i: number): void {
    this.numbers[i] = NaN;
    this.missing++;
  }

  /** the number v, written text[s, e) (or t) */
  private noteDistinct(v: number, s: number, e: number, t: string | undefined): void {
    // small whole numbers (visits, ages, codes) by index, the others by value
    const small = v >= 0 && v < 4096 && (v | 0) === v;
    const seen = small ? this.smallSeen[v] : this.byValue.get(v);
    if (this.decimal === ',') {
      if (seen === undefined) {
        if (small) this.smallSeen[v] = '';
        else this.byValue.set(v, '');
        this.addDistinct(String(v));
      }
      return;
    }
    const same = (x: string) => (t === undefined ? sameText(this.text, s, e, x) : t === x);
    if (seen === undefined) {
      const w = t ?? this.text.slice(s, e);
      if (small) this.smallSeen[v] = w;
      else this.byValue.set(v, w);
      this.addDistinct(w);
    } else if (typeof seen === 'string') {
      if (same(seen)) return;
      const w = t ?? this.text.slice(s, e);
      if (small) this.smallSeen[v] = [seen, w];
      else this.byValue.set(v, [seen, w]);
      this.addDistinct(w);
    } else {
      for (const x of seen) if (same(x)) return;
      const w = t ?? this.text.slice(s, e);
      seen.push(w);
      this.addDistinct(w);
    }
  }

  private addDistinct(w: string): void {
    this.distinct.push(w);
    if (this.distinct.length >= DISTINCT_CAP) this.distinctFull = true;
  }
}

/**
 * Reads delimited text into columns in one pass. Undefined when the file is not one it reads: a header
 * without a name or with a name twice, no data rows, a quote that is not closed or not followed by
 * the delimiter, a row with the wrong number of fields (the record reader then says what is wrong).
 */
export function parseDelimitedColumns(text: string, path?: string): Dataset | undefined {
  const where = path ?? 'data';
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const delimiter = detectDelimiter(text);
  const d = delimiter.charCodeAt(0);
  const n = text.length;
  let pos = 0;
  let line = 1;
  for (;;) {
    if (pos >= n) return undefined;
    const blank = blankLineEnd(text, pos, d);
    if (blank === undefined) break;
    pos = blank;
    line++;
  }
  let headerRecord: { fields: string[]; next: number; nextLine: number };
  try {
    headerRecord = readRecord(text, pos, line, d, where);
  } catch {
    return undefined;
  }
  const header = headerRecord.fields.map((h) => h.trim());
  if (header.some((h) => h === '') || new Set(header).size !== header.length) return undefined;
  const ncol = header.length;
  const bodyStart = headerRecord.next;
  const bodyLine = headerRecord.nextLine;

  // rows: at most one per line end, plus one
  let capacity = 1;
  for (let k = text.indexOf('\n', bodyStart); k >= 0; k = text.indexOf('\n', k + 1)) capacity++;
  for (let k = text.indexOf('\r', bodyStart); k >= 0; k = text.indexOf('\r', k + 1)) if (text.charCodeAt(k + 1) !== NL) capacity++;

  // the decimal mark: '.' in a comma-separated file; else from the cells, as detectDecimal has it
  let decimal: DecimalMark = '.';
  let sample: string | undefined;
  if (delimiter !== ',') {
    let points = 0;
    let commas = 0;
    let unambiguous = false;
    let p = bodyStart;
    let l = bodyLine;
    try {
      while (p < n) {
        const blank = blankLineEnd(text, p, d);
        if (blank !== undefined) {
          p = blank;
          l++;
          continue;
        }
        const r = readRecord(text, p, l, d, where);
        for (const f of r.fields) {
          const t = f.trim();
          if (POINT_FRACTION.test(t)) points++;
          else if (COMMA_FRACTION.test(t)) {
            commas++;
            sample ??= t;
            if (!/,\d{3}([eE]|$)/.test(t)) unambiguous = true;
          }
        }
        p = r.next;
        l = r.nextLine;
      }
    } catch {
      return undefined;
    }
    if (commas > points && (delimiter === ';' || unambiguous)) decimal = ',';
  }

  const readers = header.map(() => new ColumnReader(text, capacity, decimal));
  const rowStart = new Int32Array(capacity);
  const rowLine = new Int32Array(capacity);
  let rows = 0;
  pos = bodyStart;
  line = bodyLine;
  while (pos < n) {
    const blank = blankLineEnd(text, pos, d);
    if (blank !== undefined) {
      pos = blank;
      line++;
      continue;
    }
    const i = rows;
    rowStart[i] = pos;
    rowLine[i] = line;
    let j = 0;
    for (;;) {
      let p = pos;
      while (p < n && text.charCodeAt(p) === SPACE) p++;
      if (p < n && text.charCodeAt(p) === QUOTE) {
        let value = '';
        let q = p + 1;
        let chunk = q;
        for (;;) {
          if (q >= n) return undefined;
          const c = text.charCodeAt(q);
          if (c === QUOTE) {
            if (q + 1 < n && text.charCodeAt(q + 1) === QUOTE) {
              value += text.slice(chunk, q + 1);
              q += 2;
              chunk = q;
              continue;
            }
            value += text.slice(chunk, q);
            q++;
            break;
          }
          if (c === NL || (c === CR && text.charCodeAt(q + 1) !== NL)) line++;
          q++;
        }
        while (q < n && text.charCodeAt(q) === SPACE) q++;
        const c = q < n ? text.charCodeAt(q) : -1;
        if (c !== -1 && c !== d && c !== NL && c !== CR) return undefined;
        if (j < ncol) readers[j]!.string(i, value.trim());
        pos = q;
      } else if (j < ncol) {
        pos = readers[j]!.scan(i, pos, d);
      } else {
        let q = p;
        while (q < n) {
          const c = text.charCodeAt(q);
          if (c === d || c === NL || c === CR) break;
          q++;
        }
        pos = q;
      }
      j++;
      if (pos >= n) break;
      const c = text.charCodeAt(pos);
      if (c === d) {
        pos++;
        continue;
      }
      pos = c === CR && text.charCodeAt(pos + 1) === NL ? pos + 2 : pos + 1;
      break;
    }
    if (j !== ncol) return undefined;
    line++;
    rows++;
  }
  if (rows === 0) return undefined;

  const notes: DataNote[] = [];
  if (delimiter !== ',' || decimal !== '.') {
    const how = `${delimiterName(delimiter)}-separated`;
    notes.push({
      severity: 'info',
      code: 'data-format',
      message:
        decimal === ','
          ? `${where} is ${how} with decimal commas${sample ? ` ('${sample}' is read as ${sample.replace(',', '.')})` : ''}`
          : `${where} is ${how}`,
    });
  }

  const columns: ColumnInfo[] = [];
  const table = new Map<string, TableColumn>();
  header.forEach((name, j) => {
    const r = readers[j]!;
    const numeric = (r.numberCells > 0 || r.nonMissing === 0) && r.textCells < TEXT_SHARE * Math.max(r.nonMissing, 1);
    if (numeric) {
      // (the arrays were made for every line end: a few blank lines are not worth a copy)
      const values = r.numbers.length - rows <= r.numbers.length / 8 ? r.numbers.subarray(0, rows) : r.numbers.slice(0, rows);
      table.set(name, { kind: 'number', values });
      const info: ColumnInfo = { name, kind: 'numeric', missing: r.missing + r.spoilt, distinct: r.distinct };
      if (r.spoilt > 0) {
        info.defectCount = r.spoilt;
        info.defects = [];
        for (let i = 0; i < rows && info.defects.length < DEFECTS_KEPT; i++) {
          const code = r.codes![i]!;
          if (code === 0) continue;
          const t = r.levels[code - 1]!;
          const kind = r.kinds[code - 1]!;
          const at = fieldPositions(text, { fields: [], line: rowLine[i]!, offset: rowStart[i]! }, delimiter)[j]!;
          info.defects.push({ line: at.line, column: at.column, field: j + 1, text: t, kind, message: `${name} is '${t}' on line ${at.line}: ${defectReason(kind, t, decimal)}` });
        }
      }
      columns.push(info);
      return;
    }
    let codes: Int32Array;
    let levels: string[];
    if (r.numberCells === 0) {
      // 1 + code, 0 for missing: the codes, in place
      levels = r.levels;
      codes = r.codes ?? new Int32Array(rows);
      for (let i = 0; i < rows; i++) codes[i] = codes[i]! - 1;
      codes = codes.length - rows <= codes.length / 8 ? codes.subarray(0, rows) : codes.slice(0, rows);
    } else {
      codes = new Int32Array(rows);
      // numbers among the text: every cell as written, read again from its record
      levels = [];
      const index = new Map<string, number>();
      for (let i = 0; i < rows; i++) {
        const t = readRecord(text, rowStart[i]!, rowLine[i]!, d, where).fields[j]!.trim();
        if (MISSING.has(t)) {
          codes[i] = -1;
          continue;
        }
        let code = index.get(t);
        if (code === undefined) index.set(t, (code = levels.push(t) - 1));
        codes[i] = code;
      }
    }
    table.set(name, { kind: 'text', codes, levels });
    columns.push({ name, kind: 'text', missing: r.missing, distinct: levels.slice(0, DISTINCT_CAP) });
  });

  const data = { path, columns, delimiter, decimal, encoding: 'utf-8' } as Dataset;
  if (notes.length) data.notes = notes;
  const lines = rowLine.subarray(0, rows);
  return withTable(data, { length: rows, columns: table }, () => Array.from(lines));
}

/**
 * A dataset whose rows are made from `table` when first read (and `rowLines`, when given, from
 * `lines`); `table` is not enumerable. Assigning `rows` replaces them and drops the table.
 */
export function withTable(data: Omit<Dataset, 'rows'> & { rows?: Dataset['rows'] }, table: DataTable, lines?: () => number[]): Dataset {
  const out = data as Dataset;
  Object.defineProperty(out, 'table', { value: table, enumerable: false, configurable: true, writable: true });
  let rows: Dataset['rows'] | undefined;
  Object.defineProperty(out, 'rows', {
    enumerable: true,
    configurable: true,
    get: () => (rows ??= rowsOfTable(table)),
    set(value: Dataset['rows']) {
      rows = value;
      out.table = undefined;
    },
  });
  if (lines) {
    let rowLines: number[] | undefined;
    Object.defineProperty(out, 'rowLines', {
      enumerable: true,
      configurable: true,
      get: () => (rowLines ??= lines()),
      set(value: number[]) {
        rowLines = value;
      },
    });
  }
  return out;
}

/** Columns made from rows, per rows array (a dataset whose `rows` are replaced gets new columns). */
const tablesOfRows = new WeakMap<object, DataTable>();

/** The dataset's columns: its `table`, else its rows in columns. */
export function tableOf(data: Dataset): DataTable {
  if (data.table) return data.table;
  let t = tablesOfRows.get(data.rows);
  if (!t) tablesOfRows.set(data.rows, (t = tableFromRows(data.rows, data.columns.map((c) => c.name))));
  return t;
}

// ---------------------------------------------------------------------------------------------------
// Bytes

/** Offset of the first byte that does not belong to a valid UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = c & (need === 1 ? 0x1f : need === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= need; k++) {
      const x = b[i + k];
      if (x === undefined || (x & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** 1-based line of a byte offset, and the 1-based character column when the line's bytes before it are UTF-8. */
function bytePosition(b: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (b[i] === NL || (b[i] === CR && b[i + 1] !== NL)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: new TextDecoder('utf-8').decode(b.subarray(lineStart, offset)).length + 1 };
}

/** Windows-1252's characters for the bytes 0x80–0x9F (undefined ones stay as the C1 code); other bytes are Latin-1. */
const CP1252_HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/** Windows-1252 decoding (Node's TextDecoder('windows-1252') decodes 0x80–0x9F as Latin-1's control codes). */
function decodeWindows1252(b: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let i = 0; i < b.length; i += CHUNK) {
    const codes: number[] = [];
    const end = Math.min(b.length, i + CHUNK);
    for (let k = i; k < end; k++) {
      const x = b[k];
      codes.push(x >= 0x80 && x <= 0x9f ? CP1252_HIGH.charCodeAt(x - 0x80) : x);
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

function hex(x: number): string {
  return `0x${x.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Decodes a data file's bytes: UTF-8 (a BOM is dropped), UTF-16 with a BOM, else Latin-1 (Windows-1252) with a warning. */
export function decodeData(bytes: Uint8Array, path?: string): { text: string; encoding: TextEncoding; notes: DataNote[] } {
  const where = path ?? 'data';
  const notes: DataNote[] = [];
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    throw new DataError(`${where} is a ZIP archive (an Excel .xlsx workbook?), not a text file: export the sheet as CSV`);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    notes.push({ severity: 'info', code: 'data-encoding', message: `${where} is UTF-16 (little-endian, with a byte-order mark): it is read as such` });
    return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), encoding: 'utf-16le', notes };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    notes.push({ severity: 'info', code: 'data-encoding', message: `${where} is UTF-16 (big-endian, with a byte-order mark): it is read as such` });
    return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), encoding: 'utf-16be', notes };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const { line } = bytePosition(bytes, nul);
    throw new DataError(`${where} has NUL bytes (the first on line ${line}): it is not a text file; a UTF-16 file without a byte-order mark? Save it as UTF-8`, line);
  }
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  // (the native check first: the scan below only finds where a file that is not UTF-8 goes wrong)
  const bad = isUtf8(body) ? -1 : firstInvalidUtf8(body);
  if (bad < 0) return { text: new TextDecoder('utf-8').decode(body), encoding: 'utf-8', notes };
  const text = decodeWindows1252(body);
  const { line, column } = bytePosition(body, bad);
  let otherLines = 0;
  {
    // lines after the first that also have bytes which are not UTF-8 (a rough count: any byte >= 0x80)
    let l = line;
    let seen = false;
    for (let i = bad; i < body.length; i++) {
      if (body[i] === NL) {
        l++;
        seen = false;
      } else if (!seen && body[i] >= 0x80 && l > line) {
        otherLines++;
        seen = true;
      }
    }
  }
  const ch = decodeWindows1252(body.subarray(bad, bad + 1));
  notes.push({
    severity: 'warning',
    code: 'data-encoding',
    line,
    column,
    message:
      `line ${line} has the byte ${hex(body[bad])}, which is not UTF-8: ${where} is read as Latin-1 (Windows-1252), where it is '${ch}'` +
      (otherLines > 0 ? ` (${plural(otherLines, 'more line')} with such bytes)` : '') +
      '; save the file as UTF-8 to be sure',
  });
  return { text, encoding: 'latin1', notes };
}

/** Decodes and parses a data file's bytes: delimited text, or the format its extension names (formats/). */
export function parseDataBytes(bytes: Uint8Array, path?: string): Dataset {
  const format = dataFormatOf(path);
  if (format) return readFormat(format, bytes, path);
  const { text, encoding, notes } = decodeData(bytes, path);
  const data = parseDelimited(text, path);
  data.encoding = encoding;
  const all = [...notes, ...(data.notes ?? [])];
  if (all.length) data.notes = all;
  return data;
}

export function readDataFile(path: string): Dataset {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? `data file not found: ${path}` : `cannot read data file ${path}: ${(e as Error).message}`);
  }
  const data = parseDataBytes(bytes, path);
  // the digest of the bytes read (a provenance manifest records the data as analysed, not a re-read)
  data.sha256 = createHash('sha256').update(bytes).digest('hex');
  return data;
}

/** Modification time and size: enough for a cache to know when to re-read a file. */
export function dataFileStamp(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}`;
  } catch {
    return undefined;
  }
}

export function column(data: Dataset, name: string): ColumnInfo | undefined {
  return data.columns.find((c) => c.name === name);
}

/** Text form of a value, as used for class levels ("2", "F"). */
export function levelText(v: Value): string {
  return v === null ? '' : typeof v === 'number' ? String(v) : v;
}

/** The number of rows, without making row objects. */
export function rowCount(data: Dataset): number {
  return data.table ? data.table.length : data.rows.length;
}
