/**
 * The language side of the DuckDB backend: `data duckdb "fev.duckdb" table adlb` and
 * `data duckdb "fev.parquet"` in a spec, run as `study run` runs it (runStudyText), give the numbers of
 * the same spec on the CSV; an untrusted workspace connects to nothing; a spec cannot hold a
 * connection string.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { checkStudyFile, exportStudyFile, runStudyText } from '@study/language';
import { allowDataAccess } from '../../packages/language/src/data-cache.js';
import { DIALECTS, explainModelSql, openDuckDb } from '@study/engine';
import { compareReports, specPlan, writeTypedCsv } from './backend-helpers.js';

const root = resolve(__dirname, '../..');
const require = createRequire(import.meta.url);
const example = join(root, 'examples/fev-mmrm/fev.study');
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'study-spec-duckdb-'));
  const { data } = await specPlan(example);
  const csv = join(dir, 'typed.csv');
  const columns = writeTypedCsv(data, csv, 'DOUBLE', 'VARCHAR');
  const types = columns.map((c) => `'${c.name}': '${c.type}'`).join(', ');
  const conn = await openDuckDb(join(dir, 'fev.duckdb'), { readOnly: false });
  await conn.query(`CREATE TABLE adlb AS SELECT * FROM read_csv('${csv}', header = true, columns = {${types}}, nullstr = '')`);
  await conn.query(`COPY adlb TO '${join(dir, 'fev.parquet')}' (FORMAT PARQUET)`);
  await conn.close();
  copyFileSync(join(root, 'examples/fev-mmrm/fev_data.csv'), join(dir, 'fev_data.csv'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const specWith = (data: string) => readFileSync(example, 'utf8').replace('data "fev_data.csv"', data);

describe('data duckdb in a spec', () => {
  it.each([
    ['data duckdb "fev.duckdb" table adlb'],
    ['data duckdb "fev.parquet"'],
  ])('%s: the pharma MMRM and its sensitivity analyses equal the CSV run', async (decl) => {
    const want = await runStudyText(readFileSync(example, 'utf8'), join(dir, 'fev-csv.study'), { figures: false, provenance: false });
    const got = await runStudyText(specWith(decl), join(dir, 'fev-db.study'), { figures: false });
    expect(got.error).toBeUndefined();
    expect(got.failures).toEqual([]);
    expect(got.report!.models.map((m) => m.name)).toEqual(['mmrm', 'toeph', 'by_arm']);
    got.report!.models.forEach((m, k) => compareReports(m, want.report!.models[k]!));
    expect(got.report!.sensitivity?.length).toBe(want.report!.sensitivity?.length);
    expect(got.report!.models[0]!.notes.some((n) => /sufficient statistics computed by DuckDB/.test(n.message))).toBe(true);
    expect(got.report!.provenance!.data[0]!.rows).toBe(800);
  });

  it('filters, derivations, covariates and their interactions translate to SQL with the in-process meaning', async () => {
    const text = `study "filters"
data "fev_data.csv"
subject USUBJID
let fev_c = FEV1_BL centred at 40
let chg = change of FEV1 from AVISIT "VIS1"
let pchg = percent change of FEV1 from VISITN 2
where RACE != "Asian" or SEX == "Female"
exclude WEIGHT > 0.9
model m {
    outcome FEV1
    repeated AVISIT
    factor ARMCD ref "PBO", AVISIT, SEX
    fixed ARMCD * AVISIT + SEX + fev_c + fev_c * ARMCD + WEIGHT * WEIGHT
    where AVISIT in ("VIS1", "VIS2", "VIS3") and not VISITN2 is missing and RACE >= "B"
    random subject
    cov CSH
    df between-within
    compare ARMCD at each AVISIT pairwise
    estimate slope of fev_c at each ARMCD
}
model chg_model {
    outcome chg
    repeated VISITN 2..4
    factor ARMCD, VISITN
    fixed ARMCD * VISITN
    random subject
    cov ANTE1
    method ML
    df satterthwaite
}
model pchg_model {
    outcome pchg
    repeated AVISIT
    factor ARMCD, AVISIT
    covariate FEV1_BL
    fixed ARMCD * AVISIT + FEV1_BL
    where AVISIT != "VIS2"
    random subject
    cov TOEP
}
`;
    const want = await runStudyText(text, join(dir, 'filters-csv.study'), { figures: false, provenance: false });
    expect(want.error, want.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n')).toBeUndefined();
    const got = await runStudyText(text.replace('data "fev_data.csv"', 'data duckdb "fev.duckdb" table adlb'), join(dir, 'filters-db.study'), { figures: false });
    expect(got.error).toBeUndefined();
    expect(got.failures).toEqual([]);
    expect(got.report!.models).toHaveLength(3);
    got.report!.models.forEach((m, k) => compareReports(m, want.report!.models[k]!));
    expect(got.report!.models[0]!.dimensions.observations_used).toBeLessThan(400);
  });

  it('the ketamine example (percent change, repeated visit 2..6 planned without the data, select cov, sensitivity) equals the CSV run', async () => {
    const spec = join(root, 'examples/ketamine/ketamine.study');
    const { data } = await specPlan(spec);
    const csv = join(dir, 'ketamine-typed.csv');
    const columns = writeTypedCsv(data, csv, 'DOUBLE', 'VARCHAR');
    const conn = await openDuckDb(join(dir, 'ketamine.duckdb'), { readOnly: false });
    await conn.query(`CREATE TABLE k AS SELECT * FROM read_csv('${csv}', header = true, columns = {${columns.map((c) => `'${c.name}': '${c.type}'`).join(', ')}}, nullstr = '')`);
    await conn.close();
    const text = readFileSync(spec, 'utf8');
    const want = await runStudyText(text, spec, { figures: false, provenance: false });
    const got = await runStudyText(text.replace(/data "ketamine.csv"/, 'data duckdb "ketamine.duckdb" table k'), join(dir, 'ketamine.study'), { figures: false });
    expect(got.error).toBeUndefined();
    expect(got.report!.models.map((m) => m.name)).toEqual(want.report!.models.map((m) => m.name));
    got.report!.models.forEach((m, k) => compareReports(m, want.report!.models[k]!));
    // the describe blocks and the analyses need the observations: not computed, each says why
    expect(got.failures.length).toBe((want.report!.descriptives?.length ?? 0) + (got.plan!.analyses.length));
    expect(got.failures.every((f) => /needs the observations/.test(f.message))).toBe(true);
    expect(got.failures.some((f) => f.kind === 'describe')).toBe(true);
  });

  it('ADaM: AVISIT ordered by AVISITN ("Week 2" before "Week 12") from the table, as from a file', async () => {
    const { writeFileSync } = await import('node:fs');
    const weeks: Record<string, [string, number]> = { VIS1: ['Week 2', 2], VIS2: ['Week 4', 4], VIS3: ['Week 8', 8], VIS4: ['Week 12', 12] };
    const lines = readFileSync(join(dir, 'fev_data.csv'), 'utf8').trim().split('\n');
    const header = lines[0]!.replace('"AVISIT"', '"AVISIT","AVISITN"');
    const body = lines.slice(1).map((l) => l.replace(/"(VIS\d)"/, (_, v: string) => `"${weeks[v]![0]}",${weeks[v]![1]}`));
    writeFileSync(join(dir, 'weeks.csv'), [header, ...body].join('\n') + '\n');
    const text = `data "weeks.csv"
subject USUBJID
model ar {
    outcome FEV1
    repeated AVISIT
    factor ARMCD, AVISIT
    fixed ARMCD * AVISIT
    random subject
    cov AR1
    compare ARMCD at each AVISIT
}
`;
    const want = await runStudyText(text, join(dir, 'weeks-csv.study'), { figures: false, provenance: false });
    expect(want.report!.models[0]!.info.classLevels.find((c) => c.name === 'AVISIT')!.levels).toEqual(['Week 2', 'Week 4', 'Week 8', 'Week 12']);
    const conn = await openDuckDb(join(dir, 'weeks.duckdb'), { readOnly: false });
    await conn.query(`CREATE TABLE w AS SELECT * FROM read_csv('${join(dir, 'weeks.csv')}', header = true, nullstr = '')`);
    await conn.close();
    const got = await runStudyText(text.replace('data "weeks.csv"', 'data duckdb "weeks.duckdb" table w'), join(dir, 'weeks-db.study'), { figures: false });
    expect(got.error).toBeUndefined();
    expect(got.report!.models[0]!.info.classLevels.find((c) => c.name === 'AVISIT')!.levels).toEqual(['Week 2', 'Week 4', 'Week 8', 'Week 12']);
    compareReports(got.report!.models[0]!, want.report!.models[0]!);
  });

  it('writes the same statement for Spark SQL and Trino (quoting and types only differ)', async () => {
    const { plan, data } = await specPlan(example);
    const columns = data.columns.map((c) => ({ name: c.name, numeric: c.kind === 'numeric' }));
    const spark = explainModelSql(plan, plan.models[0]!, columns, '`adlb`', DIALECTS.spark, ['VIS1', 'VIS2', 'VIS3', 'VIS4']);
    const trino = explainModelSql(plan, plan.models[0]!, columns, '"adlb"', DIALECTS.trino, ['VIS1', 'VIS2', 'VIS3', 'VIS4']);
    expect(spark.statistics).toContain('SUM(CASE st_pos WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 4 WHEN 3 THEN 8 END) OVER (PARTITION BY st_subj)');
    expect(spark.statistics).toMatch(/JOIN st_keyed AS b ON a\.st_subj = b\.st_subj AND a\.st_pos <= b\.st_pos/);
    expect(spark.statistics).not.toContain('"');
    expect(spark.statistics.replace(/`/g, '"').replace(/AS STRING\)/g, 'AS VARCHAR)')).toBe(trino.statistics);
    // nothing beyond the documented features
    for (const sql of [spark.levels, spark.counts, spark.statistics]) {
      expect(sql).not.toMatch(/\b(FILTER|LATERAL|ARRAY|LIST|UNNEST|QUALIFY|LIMIT|::)\b/i);
    }
  });

  it('study run --json (the bundled CLI, the database client loaded from node_modules) fits from Parquet', () => {
    const { writeFileSync } = require('node:fs') as typeof import('node:fs');
    const file = join(dir, 'cli.study');
    writeFileSync(file, specWith('data duckdb "fev.parquet"'));
    const r = spawnSync(process.execPath, [join(root, 'packages/cli/bin/study.js'), 'run', '--json', file], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout);
    expect(report.models.map((m: { name: string }) => m.name)).toEqual(['mmrm', 'toeph', 'by_arm']);
    expect(report.models[0].converged).toBe(true);
  });

  it('checks the spec without opening the database, with a note', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'check.study');
    writeFileSync(file, specWith('data duckdb "fev.duckdb" table adlb'));
    const r = await checkStudyFile(file);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.diagnostics.some((d) => /the data are in DuckDB/.test(d.message))).toBe(true);
  });

  it('a connection string in the spec is a syntax error; the environment variable is named when unset', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'literal.study');
    writeFileSync(file, specWith('data postgres "postgresql://me:secret@db/trial" table adlb'));
    const r = await checkStudyFile(file);
    expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    delete process.env.STUDY_PG_UNSET;
    const run = await runStudyText(specWith('data postgres env STUDY_PG_UNSET table adlb'), join(dir, 'env.study'));
    expect(run.error).toMatch(/environment variable STUDY_PG_UNSET is not set/);
  });

  it('study export refuses a spec whose data are in a database (the programs read a data file)', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'export.study');
    writeFileSync(file, specWith('data duckdb "fev.parquet"'));
    const r = await exportStudyFile(file, 'r');
    expect(r.error).toMatch(/the data of this spec are in DuckDB: the SAS and R programs read a data file/);
  });

  it('a database file outside the workspace is refused', async () => {
    const run = await runStudyText(specWith('data duckdb "../elsewhere.duckdb" table adlb'), join(dir, 'outside.study'));
    expect(run.error).toMatch(/outside the workspace/);
  });

  it('an untrusted workspace connects to nothing', async () => {
    allowDataAccess(false);
    try {
      const run = await runStudyText(specWith('data duckdb "fev.duckdb" table adlb'), join(dir, 'untrusted.study'));
      expect(run.report).toBeUndefined();
      expect(run.error).toMatch(/not trusted: Study connects to no database/);
      process.env.STUDY_PG_SET = 'postgresql://study@127.0.0.1:1/none';
      const pg = await runStudyText(specWith('data postgres env STUDY_PG_SET table adlb'), join(dir, 'untrusted-pg.study'));
      expect(pg.error).toMatch(/not trusted: Study connects to no database/);
    } finally {
      allowDataAccess(true);
      delete process.env.STUDY_PG_SET;
    }
  });
});
