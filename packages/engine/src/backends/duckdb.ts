/**
 * DuckDB as a data backend (@duckdb/node-api, DuckDB's maintained Node client): a database file
 * (`data duckdb "study.duckdb" table adlb`) or a Parquet file read in place (`read_parquet`), the
 * embedded path for data that do not fit in memory. DuckDB streams the file and returns only the
 * sufficient statistics (sql-statistics.ts). Loaded on demand: a run without it never loads the library.
 */
import { DIALECTS, loadClient, type SqlColumn, type SqlConnection } from './sql-statistics.js';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*|REAL)$/i;

export interface DuckDbOptions {
  /** open the database read-only (default true: a run never writes to the user's data) */
  readOnly?: boolean;
  /** DuckDB's memory_limit, e.g. '1GB' */
  memoryLimit?: string;
  /** DuckDB's threads */
  threads?: number;
}

/** A DuckDB connection; `path` is a database file, or ':memory:' (e.g. to read Parquet files). */
export async function openDuckDb(path: string, options: DuckDbOptions = {}): Promise<SqlConnection> {
  const { DuckDBInstance } = await loadClient(() => import('@duckdb/node-api'), '@duckdb/node-api', 'DuckDB');
  const config: Record<string, string> = {};
  if (path !== ':memory:' && options.readOnly !== false) config.access_mode = 'READ_ONLY';
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  if (options.threads) config.threads = String(options.threads);
  const instance = await DuckDBInstance.create(path, config);
  const connection = await instance.connect();
  return {
    engine: 'DuckDB',
    dialect: DIALECTS.duckdb,
    async query(sql: string): Promise<unknown[][]> {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowsJS() as unknown[][];
    },
    async columns(relation: string): Promise<SqlColumn[]> {
      const reader = await connection.runAndReadAll(`SELECT * FROM ${relation} AS st_t WHERE 1 = 0`);
      const types = reader.columnTypes();
      return reader.columnNames().map((name, i) => ({ name, numeric: NUMERIC.test(String(types[i])) }));
    },
    async close(): Promise<void> {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** The FROM item of a Parquet file (or a glob of files), read in place by DuckDB. */
export function parquetRelation(path: string): string {
  return `read_parquet('${path.replace(/'/g, "''")}')`;
}
