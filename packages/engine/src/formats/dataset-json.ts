/**
 * CDISC Dataset-JSON: version 1.1 (a JSON object with `columns`, each with `itemOID`, `name`, `label`,
 * `dataType` and optional `targetDataType`, `displayFormat`, and `rows`, arrays of values in column
 * order), its NDJSON form (`.ndjson`: the same object without `rows` on the first line, then one row
 * array per line), and version 1.0 (`clinicalData` / `referenceData` → `itemGroupData` → `items` and
 * `itemData`, whose first item, ITEMGROUPDATASEQ, is dropped).
 *
 * dataType → column: `string`, `URI` → text; `integer`, `float`, `double`, `decimal` (decimals may be
 * written as strings, as v1.1 recommends) → numeric; `boolean` → numeric 1/0; `date`, `datetime`,
 * `time` → ISO 8601 text as written. A numeric column whose `displayFormat` is a SAS date, datetime or
 * time format (a SAS numeric date kept as a number) is ISO text as in XPT. `null` is missing; so is an
 * empty or blank string.
 */
import { DataError, type Dataset, type DataNote } from '../data.js';
import type { Value } from '../model-spec.js';
import { buildDataset, sasFormatKind, sasTemporalText, textValue, type TypedColumn } from './dataset.js';

interface JsonColumn {
  name?: unknown;
  label?: unknown;
  dataType?: unknown;
  targetDataType?: unknown;
  displayFormat?: unknown;
  /** v1.0 */
  type?: unknown;
  OID?: unknown;
}

const NUMERIC_TYPES = new Set(['integer', 'float', 'double', 'decimal']);
const TEXT_TYPES = new Set(['string', 'URI', 'uri', 'date', 'datetime', 'time', 'text']);

function decodeUtf8(bytes: Uint8Array, where: string): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    throw new DataError(`${where} is not UTF-8: Dataset-JSON files are UTF-8`);
  }
}

function parseJson(text: string, where: string, line?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(`${where} is not valid JSON${line ? ` on line ${line}` : ''}: ${(e as Error).message}`, line);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Reads `.json` (Dataset-JSON 1.1 or 1.0) and `.ndjson` (Dataset-JSON 1.1 NDJSON). */
export function readDatasetJson(bytes: Uint8Array, path?: string, ndjson = false): Dataset {
  const where = path ?? 'data';
  const text = decodeUtf8(bytes, where);
  if (text.trim() === '') throw new DataError(`${where} is empty`);
  let meta: Record<string, unknown>;
  let rows: unknown[];
  const rowLine: number[] = [];
  if (ndjson) {
    const lines = text.split(/\r?\n/);
    const first = lines.findIndex((l) => l.trim() !== '');
    const head = parseJson(lines[first], where, first + 1);
    if (!isObject(head)) throw new DataError(`${where}: the first line of a Dataset-JSON NDJSON file must be the metadata object`, first + 1);
    meta = head;
    rows = [];
    for (let i = first + 1; i < lines.length; i++) {
      if (lines[i].trim() === '') continue;
      rows.push(parseJson(lines[i], where, i + 1));
      rowLine.push(i + 1);
    }
  } else {
    const doc = parseJson(text, where);
    if (!isObject(doc)) throw new DataError(`${where} is not a CDISC Dataset-JSON file: its top level is not an object`);
    const v10 = (doc.clinicalData ?? doc.referenceData) as Record<string, unknown> | undefined;
    if (!('columns' in doc) && isObject(v10) && isObject(v10.itemGroupData)) return readVersion10(doc, v10.itemGroupData as Record<string, unknown>, path);
    meta = doc;
    if (!Array.isArray(doc.rows)) throw new DataError(`${where} is not a CDISC Dataset-JSON file: it has no "rows" array${'columns' in doc ? '' : ' and no "columns"'}`);
    rows = doc.rows;
  }
  if (!Array.isArray(meta.columns)) throw new DataError(`${where} is not a CDISC Dataset-JSON file: it has no "columns" array`);
  const declared = typeof meta.records === 'number' ? meta.records : undefined;
  if (declared !== undefined && declared !== rows.length) {
    throw new DataError(`${where} declares ${declared} records but has ${rows.length} rows: the file is truncated or damaged`);
  }
  const version = typeof meta.datasetJSONVersion === 'string' ? meta.datasetJSONVersion : '1.1';
  const name = typeof meta.name === 'string' ? meta.name : typeof meta.itemGroupOID === 'string' ? meta.itemGroupOID : '';
  const label = typeof meta.label === 'string' ? meta.label : '';
  return assemble(meta.columns as JsonColumn[], rows, path, `${where} is a CDISC Dataset-JSON ${version} file${ndjson ? ' (NDJSON)' : ''}`, name, label, 0, rowLine);
}

function readVersion10(doc: Record<string, unknown>, groups: Record<string, unknown>, path?: string): Dataset {
  const where = path ?? 'data';
  const keys = Object.keys(groups);
  if (keys.length === 0) throw new DataError(`${where}: Dataset-JSON itemGroupData is empty`);
  const g = groups[keys[0]];
  if (!isObject(g) || !Array.isArray(g.items) || !Array.isArray(g.itemData)) throw new DataError(`${where}: Dataset-JSON 1.0 item group ${keys[0]} has no "items" and "itemData"`);
  const items = g.items as JsonColumn[];
  const skip = items.length > 0 && (items[0].OID === 'ITEMGROUPDATASEQ' || items[0].name === 'ITEMGROUPDATASEQ') ? 1 : 0;
  const version = typeof doc.datasetJSONVersion === 'string' ? doc.datasetJSONVersion : '1.0';
  return assemble(items, g.itemData, path, `${where} is a CDISC Dataset-JSON ${version} file`, String(g.name ?? keys[0]), typeof g.label === 'string' ? g.label : '', skip);
}

function assemble(cols: JsonColumn[], rows: unknown[], path: string | undefined, about: string, dsName: string, dsLabel: string, skip: number, rowLine: number[] = []): Dataset {
  const where = path ?? 'data';
  const width = cols.length;
  const rowWhere = (i: number) => (rowLine[i] ? `line ${rowLine[i]}` : `row ${i + 1}`);
  const columns: TypedColumn[] = cols.slice(skip).map((c, jj) => {
    const j = jj + skip;
    const name = typeof c.name === 'string' ? c.name : undefined;
    if (!name) throw new DataError(`${where}: column ${j + 1} has no name`);
    const dataType = String(c.dataType ?? c.type ?? 'string');
    const label = typeof c.label === 'string' && c.label.trim() !== '' ? c.label.trim() : undefined;
    const format = typeof c.displayFormat === 'string' ? c.displayFormat : undefined;
    const temporal = NUMERIC_TYPES.has(dataType) ? sasFormatKind(format) : undefined;
    const numeric = (NUMERIC_TYPES.has(dataType) || dataType === 'boolean') && !temporal;
    if (!numeric && !temporal && !TEXT_TYPES.has(dataType)) throw new DataError(`${where}: column ${name} has the dataType '${dataType}', which Dataset-JSON does not define`);
    const values: Value[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!Array.isArray(row)) throw new DataError(`${where}: ${rowWhere(i)} is not an array of values`, rowLine[i]);
      if (row.length !== width) throw new DataError(`${where}: ${rowWhere(i)} has ${row.length} values where there are ${width} columns`, rowLine[i]);
      const v = row[j];
      values[i] = cell(v, dataType, numeric, temporal, () => `${where}: ${name} on ${rowWhere(i)} is ${JSON.stringify(v)}, not a ${dataType} value`, rowLine[i]);
    }
    return { name, kind: numeric ? 'numeric' : 'text', ...(label ? { label } : {}), values };
  });
  const notes: DataNote[] = [{ severity: 'info', code: 'data-format', message: `${about}: ${dsName || 'unnamed'}${dsLabel ? ` (${dsLabel})` : ''}, ${rows.length} rows` }];
  if (rows.length === 0) throw new DataError(`${where} has no rows`);
  try {
    return buildDataset(path, columns, notes);
  } catch (e) {
    throw new DataError(`${where}: ${(e as Error).message}`);
  }
}

function cell(v: unknown, dataType: string, numeric: boolean, temporal: ReturnType<typeof sasFormatKind>, bad: () => string, line?: number): Value {
  if (v === null || v === undefined) return null;
  if (temporal) {
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (typeof v === 'string' && v.trim() === '') return null;
    if (!Number.isFinite(x)) throw new DataError(bad(), line);
    return sasTemporalText(temporal, x);
  }
  if (numeric) {
    if (dataType === 'boolean') {
      if (typeof v === 'boolean') return v ? 1 : 0;
      throw new DataError(bad(), line);
    }
    if (typeof v === 'number') return Number.isFinite(v) ? v : null;
    if (typeof v === 'string') {
      if (v.trim() === '') return null;
      const x = Number(v);
      if (Number.isFinite(x)) return x;
    }
    throw new DataError(bad(), line);
  }
  if (typeof v === 'string') return textValue(v);
  if (typeof v === 'number' || typeof v === 'boolean') return textValue(String(v));
  throw new DataError(bad(), line);
}
