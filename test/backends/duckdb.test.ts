/**
 * DuckDB backend: the conformance cases' data loaded into a DuckDB file this test makes (and into a
 * Parquet file read in place), each model fitted from the statistics DuckDB computes, compared with the
 * in-process fit of the same spec: −2LL within 1e-9 relative, covariance parameters, Type 3 F and df,
 * fixed effects within 1e-6.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDuckDb, parquetRelation, runPlanOnData, runPlanOnBackend, BackendRefusal, type SqlConnection, explainModelSql, DIALECTS } from '@study/engine';
import { compareReports, specPlan, writeTypedCsv, type Agreement } from './backend-helpers.js';

const root = resolve(__dirname, '../..');
/** every conformance spec: a model the SQL path fits is compared, the others must be refused with the reason */
export const BACKEND_CASES = [
  ...readdirSync(join(root, 'test/conformance/sas-fev')).filter((f) => f.endsWith('.study')).sort().map((f) => `test/conformance/sas-fev/${f}`),
  ...readdirSync(join(root, 'test/conformance'))
    .filter((d) => !d.startsWith('sas-fev') && existsSync(join(root, 'test/conformance', d)) && statSync(join(root, 'test/conformance', d)).isDirectory())
    .sort()
    .flatMap((d) => readdirSync(join(root, 'test/conformance', d)).filter((f) => f.endsWith('.study')).sort().map((f) => `test/conformance/${d}/${f}`)),
];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'study-duckdb-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function loadInto(file: string, csv: string, columns: { name: string; type: string }[], table: string): Promise<void> {
  const conn = await openDuckDb(file, { readOnly: false });
  try {
    const spec = columns.map((c) => `'${c.name.replace(/'/g, "''")}': '${c.type}'`).join(', ');
    await conn.query(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM read_csv('${csv}', header = true, columns = {${spec}}, nullstr = '', quote = '"', escape = '"')`);
  } finally {
    await conn.close();
  }
}

describe('DuckDB computes the sufficient statistics; the fit equals the in-process fit', () => {
  const figures: Record<string, Agreement> = {};
  const refused: Record<string, string> = {};
  afterAll(() => {
    const worst = Object.values(figures).reduce((w, a) => Math.max(w, a.minus2ll), 0);
    const most = (k: keyof Agreement) => Object.values(figures).reduce((w, a) => Math.max(w, a[k]), 0).toExponential(1);
    console.log(`DuckDB: ${Object.keys(figures).length} models equal to the in-process fit (worst relative: -2LL ${worst.toExponential(1)}, covparms ${most('covparms')}, Type 3 ${most('type3F')}, fixed ${most('fixed')}), ${Object.keys(refused).length} refused`);
    for (const [k, v] of Object.entries(refused)) console.log(`  refused ${k}: ${v.slice(0, 100)}`);
  });
  afterAll(() => console.log('DuckDB vs in-process (largest relative differences):\n' + Object.entries(figures).map(([k, a]) => `  ${k}: -2LL ${a.minus2ll.toExponential(1)}, covparms ${a.covparms.toExponential(1)}, Type 3 ${a.type3F.toExponential(1)}, fixed ${a.fixed.toExponential(1)}`).join('\n')));
  for (const spec of BACKEND_CASES) {
    it(spec, async () => {
      const { plan, data } = await specPlan(join(root, spec));
      const want = runPlanOnData(plan, data, { figures: false });
      const name = spec.replace(/[^A-Za-z0-9]+/g, '_');
      const csv = join(dir, `${name}.csv`);
      const columns = writeTypedCsv(data, csv, 'DOUBLE', 'VARCHAR');
      const db = join(dir, `${name}.duckdb`);
      await loadInto(db, csv, columns, 'adlb');
      const conn = await openDuckDb(db);
      let got;
      try {
        got = await runPlanOnBackend({ ...plan, describes: [], analyses: [] }, conn, '"adlb"');
      } finally {
        await conn.close();
      }
      // each model: the same numbers, or refused by the SQL path with its reason (or failing in both)
      for (const w of want.report.models) {
        const m = got.report.models.find((x) => x.name === w.name);
        if (!m) {
          const f = got.failures.find((x) => x.name === w.name);
          expect(f?.message, `${w.name} neither fitted nor refused`).toMatch(/SQL path|G-side|spatial|group/);
          refused[`${spec} ${w.name}`] = f!.message;
          continue;
        }
        figures[`${spec} ${m.name}`] = compareReports(m, w);
      }
      for (const f of want.failures.filter((x) => x.kind === 'model')) expect(got.failures.map((x) => x.name)).toContain(f.name);
    });
  }

  it('reads a Parquet file in place (read_parquet) with the same result', async () => {
    const spec = 'test/conformance/sas-fev/fev-full-un-reml.study';
    const { plan, data } = await specPlan(join(root, spec));
    const want = runPlanOnData(plan, data, { figures: false });
    const csv = join(dir, 'fev.csv');
    const columns = writeTypedCsv(data, csv, 'DOUBLE', 'VARCHAR');
    const parquet = join(dir, 'fev.parquet');
    const mem = await openDuckDb(':memory:');
    const types = columns.map((c) => `'${c.name}': '${c.type}'`).join(', ');
    await mem.query(`COPY (SELECT * FROM read_csv('${csv}', header = true, columns = {${types}}, nullstr = '')) TO '${parquet}' (FORMAT PARQUET)`);
    const got = await runPlanOnBackend(plan, mem, parquetRelation(parquet));
    await mem.close();
    compareReports(got.report.models[0]!, want.report.models[0]!);
  });

  it('an outcome far from 0 (FEV1 + 1e7) keeps its digits: the sums are of the centred response', async () => {
    const spec = 'test/conformance/sas-fev/fev-full-un-reml.study';
    const { plan, data } = await specPlan(join(root, spec));
    const shifted = { ...data, rows: data.rows.map((r) => ({ ...r, FEV1: typeof r.FEV1 === 'number' ? r.FEV1 + 1e7 : r.FEV1 })) };
    const want = runPlanOnData(plan, shifted, { figures: false }).report.models[0]!;
    const base = runPlanOnData(plan, data, { figures: false }).report.models[0]!;
    const csv = join(dir, 'shifted.csv');
    const db = join(dir, 'shifted.duckdb');
    await loadInto(db, csv, writeTypedCsv(shifted, csv, 'DOUBLE', 'VARCHAR'), 't');
    const conn = await openDuckDb(db);
    const got = (await runPlanOnBackend(plan, conn, 't')).report.models[0]!;
    await conn.close();
    const a = compareReports(got, want);
    expect(a.minus2ll).toBeLessThan(1e-9);
    // the shift moves the intercept only: the same likelihood as the data without it
    expect(Math.abs(got.minus2ll - base.minus2ll) / base.minus2ll).toBeLessThan(1e-9);
    expect(got.fixed[0]!.estimate - base.fixed[0]!.estimate).toBeCloseTo(1e7, 4);
  });

  it('refuses what the SQL path cannot compute, naming it', async () => {
    const { plan, data } = await specPlan(join(root, 'test/conformance/r-sleepstudy-rs/spec.study'));
    const csv = join(dir, 'sleep.csv');
    const db = join(dir, 'sleep.duckdb');
    await loadInto(db, csv, writeTypedCsv(data, csv, 'DOUBLE', 'VARCHAR'), 't');
    const conn: SqlConnection = await openDuckDb(db);
    const got = await runPlanOnBackend(plan, conn, 't');
    await conn.close();
    expect(got.report.models).toHaveLength(0);
    expect(got.failures[0]!.message).toMatch(/G-side random effects .* the SQL path fits R-side models only/);
    expect(() => explainModelSql(plan, plan.models[0]!, [], 't', DIALECTS.trino, [])).toThrow(BackendRefusal);
  });
});
