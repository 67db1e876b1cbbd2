/**
 * PostgreSQL as a data backend (node-postgres, `pg`: the maintained pure-JavaScript client). The
 * connection string comes from the environment (`data postgres env STUDY_PG table adlb`), never from
 * the spec. The server computes the sufficient statistics (sql-statistics.ts) and sends only those.
 */
import { DIALECTS, loadClient, type SqlColumn, type SqlConnection } from './sql-statistics.js';

/** int2, int4, int8, float4, float8, numeric, oid */
const NUMERIC_OIDS = new Set([20, 21, 23, 26, 700, 701, 1700]);

export async function openPostgres(connectionString: string): Promise<SqlConnection> {
  const pg = (await loadClient(() => import('pg'), 'pg', 'PostgreSQL')).default;
  const client = new pg.Client({ connectionString, application_name: 'study' });
  await client.connect();
  // a run reads: every statement in a read-only transaction
  await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
  return {
    engine: 'PostgreSQL',
    dialect: DIALECTS.postgres,
    async query(sql: string): Promise<unknown[][]> {
      const result = await client.query({ text: sql, rowMode: 'array' });
      return result.rows as unknown[][];
    },
    async columns(relation: string): Promise<SqlColumn[]> {
      const result = await client.query({ text: `SELECT * FROM ${relation} AS st_t WHERE 1 = 0`, rowMode: 'array' });
      return result.fields.map((f) => ({ name: f.name, numeric: NUMERIC_OIDS.has(f.dataTypeID) }));
    },
    async close(): Promise<void> {
      await client.end();
    },
  };
}

/** A table name as written in a spec (`adlb`, `trial.adlb`), quoted for PostgreSQL / DuckDB. */
export function tableRelation(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/.test(name)) throw new Error(`'${name}' is not a table name (letters, digits, _; schema.table)`);
  return name.split('.').map((part) => '"' + part + '"').join('.');
}
