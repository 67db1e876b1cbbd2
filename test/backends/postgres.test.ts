/**
 * PostgreSQL backend on a real server (postgres-server.ts starts a private one from Debian's
 * binaries and stops it after): conformance data COPYed into tables, each model fitted from the
 * statistics the server computes, compared with the in-process fit. Without PostgreSQL installed the
 * tests are skipped locally; on CI (process.env.CI) they fail instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { runStudyText } from '@study/language';
import { join, resolve } from 'node:path';
import { openPostgres, runPlanOnBackend, runPlanOnData, tableRelation, type Dataset, type SqlConnection } from '@study/engine';
import { compareReports, specPlan, type Agreement } from './backend-helpers.js';
import { postgresBin, startPostgres } from './postgres-server.js';

interface PostgresServer {
  url: string;
  dir: string;
  user: string;
  stop(): void;
}

const root = resolve(__dirname, '../..');
const CASES = [
  'test/conformance/sas-fev/fev-full-un-reml.study',
  'test/conformance/sas-fev/fev-kr-un.study',
  'test/conformance/sas-fev/fev-armcd-sex-ar1-reml.study',
  'test/conformance/sas-fev/fev-int-toep-reml.study',
  'test/conformance/sas-fev/fev-group-cs-reml.study',
  'test/conformance/r-orthodont-un/spec.study',
  'test/conformance/ketamine-synthetic/spec.study',
  'test/conformance/ketamine-synthetic/spec-centred.study',
];

// .ci/run starts a server for the whole test run and names it in STUDY_TEST_PG_URL; otherwise the test starts its own
const external = process.env.STUDY_TEST_PG_URL;
const available = external !== undefined || postgresBin() !== undefined;
if (!available && process.env.CI) {
  describe('PostgreSQL backend', () => {
    it('needs PostgreSQL on CI (.ci/run installs the Debian package postgresql)', () => {
      throw new Error('PostgreSQL is not installed: /usr/lib/postgresql/*/bin/pg_ctl not found');
    });
  });
}

describe.skipIf(!available)('PostgreSQL computes the sufficient statistics; the fit equals the in-process fit', () => {
  let server: PostgresServer;
  let admin: SqlConnection;
  const figures: Record<string, Agreement> = {};
  beforeAll(async () => {
    server = external ? { url: external, dir: '', user: '', stop: () => undefined } : await startPostgres();
    admin = await openPostgresWritable(server.url);
  }, 120_000);
  afterAll(async () => {
    await admin?.close();
    server?.stop();
    const worst = Object.values(figures).reduce((w, a) => Math.max(w, a.minus2ll), 0);
    const most = (k: keyof Agreement) => Object.values(figures).reduce((w, a) => Math.max(w, a[k]), 0).toExponential(1);
    console.log(`PostgreSQL: ${Object.keys(figures).length} models equal to the in-process fit (worst relative: -2LL ${worst.toExponential(1)}, covparms ${most('covparms')}, Type 3 ${most('type3F')}, fixed ${most('fixed')})`);
  });

  CASES.forEach((spec, i) => {
    it(spec, async () => {
      const { plan, data } = await specPlan(join(root, spec));
      const want = runPlanOnData(plan, data, { figures: false });
      const table = `case_${i}`;
      await loadTable(server, admin, data, table);
      const conn = await openPostgres(server.url);
      let got;
      try {
        got = await runPlanOnBackend({ ...plan, describes: [], analyses: [] }, conn, tableRelation(table));
      } finally {
        await conn.close();
      }
      expect(got.failures).toEqual([]);
      got.report.models.forEach((m, k) => (figures[`${spec} ${m.name}`] = compareReports(m, want.report.models[k]!)));
    });
  });

  it('data postgres env STUDY_PG_TEST table adlb: the pharma MMRM and its sensitivity analyses equal the CSV run', async () => {
    const example = join(root, 'examples/fev-mmrm/fev.study');
    const { data } = await specPlan(example);
    await loadTable(server, admin, data, 'adlb');
    process.env.STUDY_PG_TEST = server.url;
    try {
      const text = readFileSync(example, 'utf8');
      const want = await runStudyText(text, example, { figures: false, provenance: false });
      const got = await runStudyText(text.replace('data "fev_data.csv"', 'data postgres env STUDY_PG_TEST table adlb'), join(root, 'examples/fev-mmrm/fev-pg.study'), { figures: false });
      expect(got.error).toBeUndefined();
      expect(got.failures).toEqual([]);
      got.report!.models.forEach((m, k) => (figures[`examples/fev-mmrm ${m.name}`] = compareReports(m, want.report!.models[k]!)));
      expect(got.report!.models).toHaveLength(3);
      // the provenance names the variable, never the connection string
      expect(JSON.stringify(got.report!.provenance)).not.toContain(server.url);
      expect(got.report!.provenance!.data[0]!.file).toMatch(/PostgreSQL \(env STUDY_PG_TEST\) table adlb/);
    } finally {
      delete process.env.STUDY_PG_TEST;
    }
  });

  it('study run --json and study verify (the CLI, the connection string in the environment only)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'study-pg-cli-'));
    try {
      const spec = join(tmp, 'fev.study');
      writeFileSync(spec, readFileSync(join(root, 'examples/fev-mmrm/fev.study'), 'utf8').replace('data "fev_data.csv"', 'data postgres env STUDY_PG_CLI table adlb'));
      const env = { ...process.env, STUDY_PG_CLI: server.url };
      const bin = join(root, 'packages/cli/bin/study.js');
      const run = spawnSync(process.execPath, [bin, 'run', '--json', spec], { encoding: 'utf8', env, timeout: 120_000 });
      expect(run.stderr).toBe('');
      expect(run.stdout).not.toContain(server.url);
      const report = join(tmp, 'report.json');
      writeFileSync(report, run.stdout);
      expect(JSON.parse(run.stdout).models).toHaveLength(3);
      const verify = spawnSync(process.execPath, [bin, 'verify', report], { encoding: 'utf8', env, timeout: 120_000 });
      expect(verify.stdout).toMatch(/not hashed \(the data are in a database\)/);
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('connects read-only: the session cannot write', async () => {
    const conn = await openPostgres(server.url);
    await expect(conn.query('CREATE TABLE written (x int)')).rejects.toThrow(/read-only/);
    await conn.close();
  });
});

/** A connection that may write (the test's loader; Study's own connections are read-only). */
async function openPostgresWritable(url: string): Promise<SqlConnection> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    engine: 'PostgreSQL',
    dialect: (await import('@study/engine')).DIALECTS.postgres,
    query: async (sql: string) => (await client.query({ text: sql, rowMode: 'array' })).rows,
    columns: async () => [],
    close: () => client.end(),
  };
}

/** CREATE TABLE with the data's types, then the rows in multi-row INSERTs (the server may be elsewhere: no COPY from a file). */
export async function loadTable(_server: PostgresServer, admin: SqlConnection, data: Dataset, table: string): Promise<void> {
  const names = data.columns.map((c) => c.name);
  const numeric = data.columns.map((c) => c.kind === 'numeric');
  await admin.query(`DROP TABLE IF EXISTS ${table}`);
  await admin.query(`CREATE TABLE ${table} (${names.map((n, i) => `"${n}" ${numeric[i] ? 'DOUBLE PRECISION' : 'TEXT'}`).join(', ')})`);
  const literal = (v: unknown, i: number) =>
    v === null || v === undefined || v === '' ? 'NULL' : numeric[i] ? `CAST('${String(v)}' AS DOUBLE PRECISION)` : `'${String(v).replace(/'/g, "''")}'`;
  for (let start = 0; start < data.rows.length; start += 1000) {
    const rows = data.rows.slice(start, start + 1000).map((r) => `(${names.map((n, i) => literal(r[n], i)).join(', ')})`);
    await admin.query(`INSERT INTO ${table} VALUES ${rows.join(', ')}`);
  }
}
