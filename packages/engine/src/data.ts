/**
 * Reading long-format data files. CSV/TSV parsing is csv-parse's (quoting, BOMs, CRLF); this module
 * decides what a cell means: missing (empty, `.` as SAS writes it, `NA` as R writes it), a number, or text.
 * A column is numeric when every non-missing cell parses as a finite number.
 */
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Value } from './model-spec.js';

export type ColumnKind = 'numeric' | 'text';

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  /** number of missing cells */
  missing: number;
  /** distinct non-missing values, as text, in first-seen order (capped at 1000 for very wide text columns) */
  distinct: string[];
}

export interface Dataset {
  /** file the data came from, if any */
  path?: string;
  columns: ColumnInfo[];
  rows: Record<string, Value>[];
}

export class DataError extends Error {
  constructor(
    message: string,
    /** 1-based line in the data file, when the problem is on one line */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'DataError';
  }
}

const MISSING = new Set(['', '.', 'NA']);
const DISTINCT_CAP = 1000;

export function isMissingCell(text: string): boolean {
  return MISSING.has(text.trim());
}

function parseNumber(text: string): number | undefined {
  const t = text.trim();
  if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Tab-separated when the header line has a tab and no comma; comma-separated otherwise. */
function detectDelimiter(text: string): string {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  return firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
}

export function parseDelimited(text: string, path?: string): Dataset {
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: detectDelimiter(text),
      bom: true,
      skip_empty_lines: true,
      relax_column_count: false,
      trim: false,
    }) as string[][];
  } catch (e) {
    const err = e as { message: string; lines?: number };
    throw new DataError(`cannot parse ${path ?? 'data'}: ${err.message}`, err.lines);
  }
  if (records.length === 0) throw new DataError(`${path ?? 'data'} is empty: a header row is needed`, 1);
  const header = records[0].map((h) => h.trim());
  const seen = new Set<string>();
  header.forEach((h, i) => {
    if (h === '') throw new DataError(`column ${i + 1} of the header has no name`, 1);
    if (seen.has(h)) throw new DataError(`column name '${h}' appears twice in the header`, 1);
    seen.add(h);
  });
  const body = records.slice(1);
  const columns: ColumnInfo[] = header.map((name, j) => {
    let missing = 0;
    let numeric = true;
    const distinct = new Set<string>();
    for (const rec of body) {
      const cell = rec[j];
      if (isMissingCell(cell)) {
        missing++;
        continue;
      }
      if (numeric && parseNumber(cell) === undefined) numeric = false;
      if (distinct.size < DISTINCT_CAP) distinct.add(cell.trim());
    }
    return { name, kind: numeric ? 'numeric' : 'text', missing, distinct: [...distinct] };
  });
  const rows = body.map((rec) => {
    const row: Record<string, Value> = {};
    columns.forEach((c, j) => {
      const cell = rec[j];
      row[c.name] = isMissingCell(cell) ? null : c.kind === 'numeric' ? (parseNumber(cell) as number) : cell.trim();
    });
    return row;
  });
  return { path, columns, rows };
}

export function readDataFile(path: string): Dataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? `data file not found: ${path}` : `cannot read data file ${path}: ${(e as Error).message}`);
  }
  return parseDelimited(text, path);
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
