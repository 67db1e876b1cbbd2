/**
 * The data formats besides delimited text, chosen by the file's extension (case-insensitive):
 * `.xpt` SAS transport, `.sas7bdat` SAS data set, `.json` / `.ndjson` CDISC Dataset-JSON, `.parquet`
 * Apache Parquet. Every other extension is delimited text (data.ts), as before.
 */
import type { Dataset } from '../data.js';
import { readDatasetJson } from './dataset-json.js';
import { readParquet } from './parquet.js';
import { readSas7bdat } from './sas7bdat.js';
import { readXpt } from './xpt.js';

export type DataFormat = 'xpt' | 'sas7bdat' | 'dataset-json' | 'dataset-ndjson' | 'parquet';

const BY_EXTENSION: Record<string, DataFormat> = {
  xpt: 'xpt',
  xport: 'xpt',
  sas7bdat: 'sas7bdat',
  json: 'dataset-json',
  ndjson: 'dataset-ndjson',
  parquet: 'parquet',
  parq: 'parquet',
};

/** The format a file's extension names, or undefined for delimited text. */
export function dataFormatOf(path: string | undefined): DataFormat | undefined {
  const m = path ? /\.([A-Za-z0-9]+)$/.exec(path) : null;
  return m ? BY_EXTENSION[m[1].toLowerCase()] : undefined;
}

export function readFormat(format: DataFormat, bytes: Uint8Array, path?: string): Dataset {
  switch (format) {
    case 'xpt':
      return readXpt(bytes, path);
    case 'sas7bdat':
      return readSas7bdat(bytes, path);
    case 'dataset-json':
      return readDatasetJson(bytes, path);
    case 'dataset-ndjson':
      return readDatasetJson(bytes, path, true);
    case 'parquet':
      return readParquet(bytes, path);
  }
}
