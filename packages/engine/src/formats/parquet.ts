/**
 * Apache Parquet, read with hyparquet (pure JavaScript, no native module, so the VS Code extension and
 * the bundled CLI carry it as they are; MIT; maintained by Hyperparam). Study's readers are synchronous
 * (`readDataFile`), so this module decodes the file from memory with hyparquet's synchronous layer (its
 * metadata parser and column-chunk reader, `hyparquet/src/column.js`; the version is pinned with `~`
 * in package.json because that layer is below the package's documented API).
 *
 * Columns: flat (top-level, non-repeated) columns only; a nested (list, map, struct) column is refused
 * by name. Numbers of every width (INT32/64, FLOAT, DOUBLE, DECIMAL) are numeric; BOOLEAN is numeric 1/0;
 * strings (and unannotated byte arrays) are text; DATE is `YYYY-MM-DD`, TIMESTAMP `YYYY-MM-DDTHH:MM:SS`
 * (UTC), TIME `HH:MM:SS`, as in the SAS formats. Compression: SNAPPY (hyparquet's own), GZIP and BROTLI
 * (node:zlib), ZSTD (fzstd, pure JavaScript), uncompressed; LZ4 is refused with the codecs that work.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { parquetMetadata, parquetSchema, type FileMetaData, type SchemaTree } from 'hyparquet';
import { readColumn } from 'hyparquet/src/column.js';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { getTreePath } from 'hyparquet/src/schema.js';
import { DataError, type Dataset, type DataNote } from '../data.js';
import type { Value } from '../model-spec.js';
import { buildDataset, dateTextFromUnixDays, dateTimeTextFromUnixMs, textValue, timeText, type TypedColumn } from './dataset.js';

export function isParquet(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x41 && bytes[2] === 0x52 && bytes[3] === 0x31;
}

const toBuffer = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const COMPRESSORS = {
  GZIP: (input: Uint8Array) => toBuffer(gunzipSync(input)),
  BROTLI: (input: Uint8Array) => toBuffer(brotliDecompressSync(input)),
  ZSTD: (input: Uint8Array, outputLength: number) => zstdDecompress(input, new Uint8Array(outputLength)),
};

/** Date and time values as the other formats give them: ISO 8601 text. */
const PARSERS = {
  ...DEFAULT_PARSERS,
  timestampFromMilliseconds: (ms: bigint) => dateTimeTextFromUnixMs(Number(ms)),
  timestampFromMicroseconds: (us: bigint) => dateTimeTextFromUnixMs(Number(us) / 1000),
  timestampFromNanoseconds: (ns: bigint) => dateTimeTextFromUnixMs(Number(ns / 1000n) / 1000),
  dateFromDays: (days: number) => dateTextFromUnixDays(days),
};

type Kind = 'numeric' | 'boolean' | 'text' | 'time-ms' | 'time-us' | 'time-ns';

function kindOf(tree: SchemaTree): Kind {
  const e = tree.element;
  const lt = e.logical_type;
  if (lt?.type === 'TIME' || e.converted_type === 'TIME_MILLIS' || e.converted_type === 'TIME_MICROS') {
    const unit = lt?.type === 'TIME' ? lt.unit : e.converted_type === 'TIME_MILLIS' ? 'MILLIS' : 'MICROS';
    return unit === 'MILLIS' ? 'time-ms' : unit === 'MICROS' ? 'time-us' : 'time-ns';
  }
  if (e.converted_type === 'DATE' || lt?.type === 'DATE' || lt?.type === 'TIMESTAMP' || e.converted_type === 'TIMESTAMP_MILLIS' || e.converted_type === 'TIMESTAMP_MICROS' || e.type === 'INT96') return 'text';
  if (e.converted_type === 'DECIMAL') return 'numeric';
  switch (e.type) {
    case 'BOOLEAN':
      return 'boolean';
    case 'INT32':
    case 'INT64':
    case 'FLOAT':
    case 'DOUBLE':
      return 'numeric';
    default:
      return 'text';
  }
}

function value(v: unknown, kind: Kind): Value {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'numeric': {
      const x = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : NaN;
      return Number.isFinite(x) ? x : null;
    }
    case 'boolean':
      return v ? 1 : 0;
    case 'time-ms':
      return timeText(Number(v) / 1000);
    case 'time-us':
      return timeText(Number(v) / 1e6);
    case 'time-ns':
      return timeText(Number(v) / 1e9);
    default:
      if (typeof v === 'string') return textValue(v);
      if (v instanceof Uint8Array) return textValue(new TextDecoder().decode(v));
      return textValue(String(v));
  }
}

export function readParquet(bytes: Uint8Array, path?: string): Dataset {
  const where = path ?? 'data';
  const fail = (what: string) => new DataError(`${where} is not a readable Parquet file: ${what}`);
  if (!isParquet(bytes)) throw fail(bytes.length < 4 ? 'it is empty or too short' : 'it does not start with PAR1');
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(bytes, { parsers: PARSERS });
  } catch (e) {
    throw fail(`${(e as Error).message.replace(/^parquet /, '')} (a truncated file lacks the footer at its end)`);
  }
  const schema = parquetSchema(metadata);
  const top = schema.children;
  for (const c of top) {
    if (c.children.length > 0 || c.element.repetition_type === 'REPEATED') {
      throw fail(`column ${c.element.name} is nested (a list, map or struct): Study reads flat columns only`);
    }
  }
  const kinds = top.map(kindOf);
  const data: unknown[][] = top.map(() => []);
  const n = Number(metadata.num_rows);
  let groupStart = 0;
  try {
    for (const group of metadata.row_groups) {
      const groupRows = Number(group.num_rows);
      top.forEach((c, j) => {
        const chunk = group.columns.find((cc) => cc.meta_data?.path_in_schema[0] === c.element.name);
        if (!chunk?.meta_data) throw new Error(`row group at row ${groupStart + 1} has no data for column ${c.element.name}`);
        const md = chunk.meta_data;
        if (md.codec.startsWith('LZ4') || md.codec === 'LZO') throw new Error(`column ${c.element.name} is compressed with ${md.codec}, which Study does not read: write the file with SNAPPY, ZSTD or GZIP`);
        const start = Number(md.dictionary_page_offset || md.data_page_offset);
        const end = start + Number(md.total_compressed_size);
        if (end > bytes.length) throw new Error(`column ${c.element.name} lies past the end of the file`);
        const reader = { view: new DataView(bytes.buffer, bytes.byteOffset + start, end - start), offset: 0 };
        const schemaPath = getTreePath(schema, md.path_in_schema);
        const decoder = {
          pathInSchema: md.path_in_schema,
          type: md.type,
          element: schemaPath[schemaPath.length - 1].element,
          schemaPath,
          codec: md.codec,
          parsers: PARSERS,
          compressors: COMPRESSORS,
          utf8: true,
        };
        const { data: chunks } = readColumn(reader, { groupStart, selectStart: 0, selectEnd: groupRows, groupRows }, decoder);
        let got = 0;
        for (const ch of chunks) {
          for (let i = 0; i < ch.length; i++) data[j].push(ch[i]);
          got += ch.length;
        }
        if (got !== groupRows) throw new Error(`column ${c.element.name} has ${got} values in a row group of ${groupRows} rows`);
      });
      groupStart += groupRows;
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw fail((e as Error).message.replace(/^parquet /, ''));
  }
  if (groupStart !== n) throw fail(`its row groups hold ${groupStart} rows where the footer declares ${n}`);
  if (n === 0) throw new DataError(`${where} has no rows`);
  const columns: TypedColumn[] = top.map((c, j) => ({
    name: c.element.name,
    kind: kinds[j] === 'numeric' || kinds[j] === 'boolean' ? 'numeric' : 'text',
    values: data[j].map((v) => value(v, kinds[j])),
  }));
  const notes: DataNote[] = [
    { severity: 'info', code: 'data-format', message: `${where} is a Parquet file: ${n} rows in ${metadata.row_groups.length} row group${metadata.row_groups.length === 1 ? '' : 's'}${metadata.created_by ? `, written by ${metadata.created_by}` : ''}` },
  ];
  try {
    return buildDataset(path, columns, notes);
  } catch (e) {
    throw fail((e as Error).message);
  }
}
