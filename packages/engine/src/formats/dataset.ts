/**
 * What the binary and JSON readers share: a typed column → the `Dataset` that the CSV reader makes
 * (kind, missing count, distinct values as text in first-seen order, rows), text decoding, and the
 * SAS calendar (dates as days, datetimes and times as seconds, from 1960-01-01) as ISO 8601 text.
 *
 * Conventions, the same in every format (docs/language.md, "Data formats"):
 * - a numeric column stays numeric; a text column stays text (no guessing as for CSV cells);
 * - text is trimmed, and an empty (blank) text value is missing, as SAS and the CSV reader have it;
 * - dates are ISO text `YYYY-MM-DD`, datetimes `YYYY-MM-DDTHH:MM:SS` (fractional seconds when there
 *   are any; no time zone), times `HH:MM:SS`: text columns, ordered as time orders them.
 */
import type { Value } from '../model-spec.js';
import type { ColumnInfo, Dataset, DataNote } from '../data.js';

const DISTINCT_CAP = 1000;

export interface TypedColumn {
  name: string;
  kind: 'numeric' | 'text';
  label?: string;
  values: Value[];
}

/** A non-missing cell of a text column as the CSV reader would keep it (trimmed; empty is missing). */
export function textValue(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  const t = s.trim();
  return t === '' ? null : t;
}

/** A number, or missing for NaN/±Infinity (SAS missing values are NaNs in sas7bdat). */
export function numberValue(x: number | null | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

export function buildDataset(path: string | undefined, columns: TypedColumn[], notes: DataNote[] = []): Dataset {
  const seen = new Set<string>();
  for (const c of columns) {
    if (c.name === '') throw new Error('a column has no name');
    if (seen.has(c.name)) throw new Error(`column name '${c.name}' appears twice`);
    seen.add(c.name);
  }
  const n = columns.length ? columns[0].values.length : 0;
  const info: ColumnInfo[] = columns.map((c) => {
    let missing = 0;
    const distinct = new Set<string>();
    for (const v of c.values) {
      if (v === null) missing++;
      else if (distinct.size < DISTINCT_CAP) distinct.add(typeof v === 'number' ? String(v) : v);
    }
    const col: ColumnInfo = { name: c.name, kind: c.kind, missing, distinct: [...distinct] };
    if (c.label) col.label = c.label;
    return col;
  });
  const rows: Record<string, Value>[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const row: Record<string, Value> = {};
    for (const c of columns) row[c.name] = c.values[i];
    rows[i] = row;
  }
  const data: Dataset = { path, columns: info, rows };
  if (notes.length) data.notes = notes;
  return data;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const cp1252 = new TextDecoder('windows-1252');
const latin1 = new TextDecoder('latin1');

/** Text bytes: UTF-8 when they are valid UTF-8, else Windows-1252 (SAS's WLATIN1), or as the file says. */
export function decodeText(bytes: Uint8Array, encoding: 'utf-8' | 'windows-1252' | 'latin1' | 'auto' = 'auto'): string {
  if (encoding === 'windows-1252') return cp1252.decode(bytes);
  if (encoding === 'latin1') return latin1.decode(bytes);
  try {
    return utf8.decode(bytes);
  } catch {
    return cp1252.decode(bytes);
  }
}

/** Bytes up to the first NUL, without trailing blanks and NULs. */
export function trimBytes(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 0 && (bytes[end - 1] === 0x20 || bytes[end - 1] === 0)) end--;
  return bytes.subarray(0, end);
}

// ---- the SAS calendar ----

/** How a SAS format shows a number: a date (days), a datetime (seconds), a time (seconds), or neither. */
export type TemporalKind = 'date' | 'datetime' | 'time';

const DATE_FORMATS = new Set([
  'DATE', 'DAY', 'DDMMYY', 'DDMMYYB', 'DDMMYYC', 'DDMMYYD', 'DDMMYYN', 'DDMMYYP', 'DDMMYYS', 'DOWNAME', 'E8601DA', 'B8601DA',
  'IS8601DA', 'JULDAY', 'JULIAN', 'MMDDYY', 'MMDDYYB', 'MMDDYYC', 'MMDDYYD', 'MMDDYYN', 'MMDDYYP', 'MMDDYYS', 'MMYY', 'MMYYC',
  'MMYYD', 'MMYYN', 'MMYYP', 'MMYYS', 'MONNAME', 'MONTH', 'MONYY', 'NENGO', 'NLDATE', 'QTR', 'QTRR', 'WEEKDATE', 'WEEKDATX',
  'WEEKDAY', 'WEEKU', 'WEEKV', 'WEEKW', 'WORDDATE', 'WORDDATX', 'YEAR', 'YYMM', 'YYMMC', 'YYMMD', 'YYMMN', 'YYMMP', 'YYMMS',
  'YYMMDD', 'YYMMDDB', 'YYMMDDC', 'YYMMDDD', 'YYMMDDN', 'YYMMDDP', 'YYMMDDS', 'YYMON', 'YYQ', 'YYQC', 'YYQD', 'YYQN', 'YYQP',
  'YYQS', 'YYQR', 'YYQRC', 'YYQRD', 'YYQRN', 'YYQRP', 'YYQRS', 'MINGUO',
]);
const DATETIME_FORMATS = new Set([
  'DATETIME', 'DATEAMPM', 'DTDATE', 'DTMONYY', 'DTWKDATX', 'DTYEAR', 'DTYYQC', 'MDYAMPM', 'NLDATM', 'E8601DT', 'E8601DN',
  'E8601DX', 'E8601DZ', 'E8601LX', 'B8601DT', 'B8601DN', 'B8601DX', 'B8601DZ', 'B8601LX', 'IS8601DT', 'IS8601DN', 'IS8601DZ',
]);
const TIME_FORMATS = new Set(['TIME', 'TIMEAMPM', 'TOD', 'HHMM', 'HOUR', 'MMSS', 'E8601TM', 'E8601TX', 'E8601TZ', 'E8601LZ', 'B8601TM', 'B8601TX', 'B8601TZ', 'B8601LZ', 'IS8601TM', 'IS8601TZ', 'NLTIME']);

/** The kind of a SAS format name as a file stores it (`DATE`, `DATE9.`, `yymmdd10`, `E8601DA.`). */
export function sasFormatKind(format: string | undefined): TemporalKind | undefined {
  if (!format) return undefined;
  // the name without its width and decimals: DATE9. → DATE, E8601DA10. → E8601DA, B8601DT19.3 → B8601DT
  const m = /^\$?([A-Za-z_]+(?:\d+[A-Za-z]+)?)\d*\.?\d*$/.exec(format.trim());
  const name = (m ? m[1] : format.trim()).toUpperCase();
  if (DATE_FORMATS.has(name)) return 'date';
  if (DATETIME_FORMATS.has(name)) return 'datetime';
  if (TIME_FORMATS.has(name)) return 'time';
  return undefined;
}

const DAY_MS = 86400000;
/** 1960-01-01 in Unix milliseconds */
const SAS_EPOCH_MS = Date.UTC(1960, 0, 1);

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function ymd(d: Date): string {
  const y = d.getUTCFullYear();
  const year = y < 0 ? '-' + pad(-y, 4) : pad(y, 4);
  return `${year}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Seconds after midnight as HH:MM:SS (with the fraction when there is one, to the millisecond). */
export function timeText(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const s = Math.floor(ms / 1000);
  const frac = ms - s * 1000;
  const h = Math.floor(s / 3600);
  const text = `${pad(h)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return frac ? `${text}.${pad(frac, 3).replace(/0+$/, '')}` : text;
}

/** Unix milliseconds as YYYY-MM-DDTHH:MM:SS (UTC, the fraction when there is one). */
export function dateTimeTextFromUnixMs(ms: number): string {
  const dayMs = Math.floor(ms / DAY_MS) * DAY_MS;
  return `${ymd(new Date(dayMs))}T${timeText((ms - dayMs) / 1000)}`;
}

/** Days since 1970-01-01 (Parquet DATE) as YYYY-MM-DD. */
export function dateTextFromUnixDays(days: number): string {
  return ymd(new Date(Math.round(days) * DAY_MS));
}

/** A SAS date (days since 1960-01-01) as YYYY-MM-DD; the fraction of a day, if any, is dropped as SAS's formats drop it. */
export function sasDateText(days: number): string {
  return ymd(new Date(SAS_EPOCH_MS + Math.floor(days) * DAY_MS));
}

/** A SAS datetime (seconds since 1960-01-01T00:00:00) as YYYY-MM-DDTHH:MM:SS. */
export function sasDateTimeText(seconds: number): string {
  return dateTimeTextFromUnixMs(SAS_EPOCH_MS + seconds * 1000);
}

/** A SAS time (seconds since midnight) as HH:MM:SS. */
export function sasTimeText(seconds: number): string {
  return timeText(seconds);
}

/** A number of a column with a SAS date, datetime or time format, as ISO text. */
export function sasTemporalText(kind: TemporalKind, x: number): string {
  return kind === 'date' ? sasDateText(x) : kind === 'datetime' ? sasDateTimeText(x) : sasTimeText(x);
}

/** The values of a numeric SAS column: ISO text when its format is a date, datetime or time format. */
export function sasColumn(name: string, label: string | undefined, format: string | undefined, values: (number | null)[]): TypedColumn {
  const kind = sasFormatKind(format);
  if (!kind) return { name, kind: 'numeric', ...(label ? { label } : {}), values };
  return { name, kind: 'text', ...(label ? { label } : {}), values: values.map((x) => (x === null ? null : sasTemporalText(kind, x))) };
}
