// `npm run bench`: Study against R side by side, in one run. Not a test: it prints numbers (README.md here says
// what each row measures and how the data are generated).
//   1. the ketamine example end to end, as a user runs it: `study run examples/ketamine/ketamine.study` (the
//      bundled CLI in a fresh process: start, parse, check against the data, fit, report) against
//      `Rscript ketamine.R` (R's start, nlme and emmeans loaded, the same analysis); `study check` and
//      `study --help` beside it
//   2. simulated N subjects x 6 visits, UN covariance (N = 1k, 10k, 100k; simulate.js, seeded): the fit in a fresh
//      process (fit-one.js: check, plan, fit, inference) against the same model with nlme::gls (gls.R)
//   2b. random intercept + slope per subject (G-side; N = 1k, 10k, 100k) against lme4::lmer (lmer.R)
//   2c. multicentre: 10 sites x 100 patients, random site intercept + UN within patient (simulate-multicentre.js)
//       against nlme::lme (lme-multicentre.R)
//   3. the language server on a 200,000-subject file (lsp-latency.js): time to diagnostics, hover, main-thread stalls
// Time is wall-clock (best of BENCH_REPEAT runs for the short ketamine rows), memory the process's peak RSS.
//   2d. N subjects x 6 (BENCH_DB_SUBJECTS, default 1,000,000) from Parquet through DuckDB and from PostgreSQL beside
//       the in-process CSV fit
// Env: BENCH_SIZES (e.g. 1000,10000), BENCH_DB_SUBJECTS (e.g. 100000; 0 skips 2d), BENCH_RS_SIZES, BENCH_RS_R_MAX, BENCH_MULTICENTRE (e.g. 10x100), BENCH_R_MAX, BENCH_R_TIMEOUT (s), BENCH_REPEAT (default 5),
//      BENCH_LSP=0 (skip 3), BENCH_LSP_SUBJECTS (default 200000), BENCH_NO_BUILD=1 (do not rebuild the bundles first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { simulatedSpec } from './simulate.js';
import { generate } from './generate.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const sizes = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').filter(Boolean).map(Number);
const rTimeout = Number(process.env.BENCH_R_TIMEOUT ?? 1800) * 1000;
// nlme::gls with corSymm takes ~85 s per 1000 subjects here (10k: ~15 min); above this size R is skipped
// unless BENCH_R_MAX says otherwise, and the table says so.
const rMax = Number(process.env.BENCH_R_MAX ?? 10000);
// the G-side rows (random intercept + slope) against lme4, which is fast enough for every size
const rsSizes = (process.env.BENCH_RS_SIZES ?? '1000,10000,100000').split(',').filter(Boolean).map(Number);
const rsRMax = Number(process.env.BENCH_RS_R_MAX ?? 100000);
// multicentre rows: sites x patients per site (BENCH_MULTICENTRE, e.g. 10x100,20x250)
const multicentre = (process.env.BENCH_MULTICENTRE ?? '10x100').split(',').filter(Boolean).map((s) => s.split('x').map(Number));
const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 5));
const hasR = spawnSync('Rscript', ['--version'], { encoding: 'utf8' }).status === 0;
const studyBin = join(root, 'packages', 'cli', 'bin', 'study.js');
const ketamineSpec = join(root, 'examples', 'ketamine', 'ketamine.study');
const ketamineCsv = join(root, 'examples', 'ketamine', 'ketamine.csv');

const dir = mkdtempSync(join(tmpdir(), 'study-bench-'));

// ------------------------------------------------------------------------------------------------ builds
// The CLI runs its bundle (packages/cli/dist/bundle, `npm run build`) only when it is newer than the TypeScript
// build; the language server benchmarked is the bundled one (packages/vscode/out/server.cjs). Both are rebuilt
// here, so the numbers are those of the sources as they are.
if (process.env.BENCH_NO_BUILD !== '1') {
  for (const [what, script] of [
    ['the CLI bundle', join(root, 'packages', 'cli', 'scripts', 'bundle.mjs')],
    ['the language server bundle', join(root, 'packages', 'vscode', 'scripts', 'build.mjs')],
  ]) {
    const r = spawnSync(process.execPath, [script], { cwd: dirname(dirname(script)), encoding: 'utf8' });
    if (r.status !== 0) console.error(`bench: building ${what} failed:\n${r.stderr || r.stdout}`);
  }
}

// ---------------------------------------------------------------------------------------- measurements

/** One process, timed from spawn to exit; `peak` says where its peak memory comes from. */
function runOnce(cmd, args, { timeout = 30 * 60 * 1000, peak = 'json' } = {}) {
  const peakFile = join(dir, `peak-${process.hrtime.bigint()}`);
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout, maxBuffer: 1 << 26, env: { ...process.env, BENCH_PEAK_FILE: peakFile } });
  const wall = (performance.now() - t0) / 1000;
  if (r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM') return { error: `timed out after ${timeout / 1000} s` };
  let json = {};
  if (peak === 'json' || r.status !== 0) {
    try {
      json = JSON.parse(r.stdout.trim().split('\n').pop());
    } catch {
      return { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') || `exit ${r.status}` };
    }
  }
  if (json.error) return { error: json.error };
  const peakMB = peak === 'file' && existsSync(peakFile) ? Number(readFileSync(peakFile, 'utf8')) : json.peakMB;
  return { ...json, wall, peakMB };
}

/** The best (shortest) of `n` runs. */
function best(n, f) {
  let b;
  for (let i = 0; i < n; i++) {
    const m = f();
    if (m.error) return m;
    if (!b || m.wall < b.wall) b = m;
  }
  return b;
}

/** The `study` command as a user runs it, in a fresh process (its peak memory from peak-rss.cjs). */
const studyCli = (...args) => runOnce(process.execPath, ['--require', join(here, 'peak-rss.cjs'), studyBin, ...args], { peak: 'file' });
/** A fit in a fresh process: seconds of the run itself (after loading) and peak memory, as JSON. */
const studyFit = (spec) => runOnce(process.execPath, [join(here, 'fit-one.js'), spec]);
const rScript = (script, ...args) => (hasR ? runOnce('Rscript', [join(here, script), ...args], { timeout: rTimeout }) : { error: 'Rscript not installed' });

// ------------------------------------------------------------------------------------------------- table
const rows = [];
const fmt = (m, k, d) => (m && !m.error && typeof m[k] === 'number' ? m[k].toFixed(d) : '-');
const ratio = (r, s, k) => (r && s && !r.error && !s.error && r[k] > 0 && s[k] > 0 ? `${(r[k] / s[k]).toFixed(1)}x` : '-');
/**
 * One row: `s` Study's measurement, `r` R's (undefined when R has no counterpart); `key` the field with the
 * seconds compared ('seconds': a fit's own time; 'wall': a whole process, from spawn to exit).
 */
function row(name, s, r, { key = 'seconds', note } = {}) {
  const notes = [s.error && `Study: ${s.error}`, r?.error && `R: ${r.error}`, note].filter(Boolean);
  if (!s.error && !r?.error && typeof s.minus2ll === 'number' && typeof r?.minus2ll === 'number') notes.unshift(`|Δ -2LL| ${Math.abs(s.minus2ll - r.minus2ll).toExponential(1)}`);
  rows.push([name, fmt(s, key, 2), fmt(s, 'peakMB', 0), r ? fmt(r, key, 2) : '', r ? fmt(r, 'peakMB', 0) : '', r ? ratio(r, s, key) : '', r ? ratio(r, s, 'peakMB') : '', notes.join('; ')]);
  console.error(`${name}: Study ${JSON.stringify(s)}${r ? `  R ${JSON.stringify(r)}` : ''}`);
}

// 1. ketamine, end to end: `study run` against the R script doing the same analysis, both as whole processes
{
  const s = best(repeat, () => studyCli('run', ketamineSpec));
  const r = hasR ? best(Math.min(repeat, 3), () => rScript('ketamine.R', ketamineCsv)) : { error: 'Rscript not installed' };
  row('ketamine: study run vs Rscript ketamine.R, whole process', s, r, { key: 'wall', note: `best of ${repeat} (R: ${Math.min(repeat, 3)}); 4 models (3 sensitivity), 2 describe blocks` });
  // the founding analysis alone (the model and the durability analyses: the spec without its describe and
  // sensitivity blocks) against `ketamine.R --core`
  const coreDir = mkdtempSync(join(dir, 'ketamine-core-'));
  const coreSpec = join(coreDir, 'ketamine.study');
  writeFileSync(coreSpec, readFileSync(ketamineSpec, 'utf8').replace(/^(describe|sensitivity) [^\n]*\{[\s\S]*?^\}\n?/gm, ''));
  writeFileSync(join(coreDir, 'ketamine.csv'), readFileSync(ketamineCsv));
  const sc = best(repeat, () => studyCli('run', coreSpec));
  const rc = hasR ? best(Math.min(repeat, 3), () => rScript('ketamine.R', ketamineCsv, '--core')) : { error: 'Rscript not installed' };
  row('ketamine, the model and durability only: study run vs ketamine.R --core', sc, rc, { key: 'wall', note: 'no describe / sensitivity blocks' });
  row('ketamine: study check, whole process', best(repeat, () => studyCli('check', ketamineSpec)), undefined, { key: 'wall' });
  row('ketamine: study --help, whole process', best(repeat, () => studyCli('--help')), undefined, { key: 'wall' });
  // the fit alone, in-process (fit-one.js), against the UN fit alone in R (gls.R on the derived outcome)
  let rf = { error: 'Rscript not installed' };
  if (hasR) {
    const csv = join(dir, 'ketamine-long.csv');
    const script = join(dir, 'ketamine-long.R');
    // the derived outcome computed in R exactly as the reference does (pct change from visit 1, visits 2..6)
    writeFileSync(script, `d <- read.csv("${ketamineCsv}")
b <- d[d$visit == 1, c("patient", "bdi")]; names(b)[2] <- "base"
d <- merge(d, b); d$y <- 100 * (d$bdi - d$base) / d$base
d <- d[d$visit %in% 2:6 & !is.na(d$y), ]
write.csv(data.frame(subject = d$patient, visit = d$visit, age = d$age, y = d$y), "${csv}", row.names = FALSE)
`);
    spawnSync('Rscript', [script]);
    rf = rScript('gls.R', csv);
  }
  row('ketamine: the fit (select CS/AR1/UN; R: gls UN only), in-process', studyFit(ketamineSpec), rf);
}

// 2. simulated studies: add a size to BENCH_SIZES, or a row here (spec text, data file, R script) for another model
for (const n of sizes) {
  const csv = join(dir, `sim-${n}.csv`);
  generate('simulate', n, csv);
  const spec = join(dir, `sim-${n}.study`);
  writeFileSync(spec, simulatedSpec(n));
  row(`simulated ${n} x 6, UN (fit)`, studyFit(spec), n <= rMax ? rScript('gls.R', csv) : { error: `skipped (N > BENCH_R_MAX = ${rMax})` });
}

// 2b. G-side: a random intercept and slope per subject (unstructured G) against lme4::lmer, on the same files
for (const n of rsSizes) {
  const csv = join(dir, `sim-${n}.csv`);
  if (!existsSync(csv)) generate('simulate', n, csv);
  const spec = join(dir, `rs-${n}.study`);
  writeFileSync(spec, `study "simulated ${n} subjects, random intercept and slope"
data "sim-${n}.csv"
model rs {
    outcome y
    covariate visit, age
    fixed visit + age
    random intercept, visit by subject type UN
    method REML
}
`);
  row(`simulated ${n} x 6, random intercept + slope (fit)`, studyFit(spec), n <= rsRMax ? rScript('lmer.R', csv) : { error: `skipped (N > BENCH_RS_R_MAX = ${rsRMax})` });
}

// 2c. multicentre: a random site intercept whose block of V spans its patients, UN within patient
// (simulate-multicentre.js), against nlme::lme with the same two levels
for (const [sites, perSite] of multicentre) {
  const csv = join(dir, `mc-${sites}x${perSite}.csv`);
  generate('multicentre', sites, perSite, csv);
  const spec = join(dir, `mc-${sites}x${perSite}.study`);
  writeFileSync(spec, `study "simulated ${sites} sites x ${perSite} patients"
data "mc-${sites}x${perSite}.csv"
subject patient
model multicentre {
    outcome y
    repeated visit 1..6
    covariate age
    random intercept by site
    cov UN
    method REML
}
`);
  row(`multicentre ${sites} sites x ${perSite} patients x 6, UN + random site (fit)`, studyFit(spec), sites * perSite <= rMax ? rScript('lme-multicentre.R', csv) : { error: `skipped (N > BENCH_R_MAX = ${rMax})` });
}

// 2d. data beyond memory: N subjects x 6 (BENCH_DB_SUBJECTS, default 1,000,000; 0 skips) fitted from the sufficient
// statistics DuckDB computes on a Parquet file and PostgreSQL on a table (backends/sql-statistics.ts), beside the
// in-process fit of the same CSV. The Parquet file is written and the table loaded (COPY) before the timed runs.
for (const n of (process.env.BENCH_DB_SUBJECTS ?? '1000000').split(',').filter((x) => Number(x) > 0).map(Number)) {
  const csv = join(dir, `sim-${n}.csv`);
  if (!existsSync(csv)) generate('simulate', n, csv);
  const specOf = (name, data) => {
    const file = join(dir, `${name}-${n}.study`);
    writeFileSync(file, simulatedSpec(n, { title: `simulated ${n} subjects (${name})`, data }));
    return file;
  };
  const inProcess = studyFit(specOf('csv', `data "sim-${n}.csv"`));
  const delta = (m) => (!m.error && !inProcess.error ? `; |Δ -2LL| vs CSV ${Math.abs(m.minus2ll - inProcess.minus2ll).toExponential(1)}` : '');
  row(`simulated ${n} x 6, UN, in-process from CSV (fit)`, inProcess, undefined, { note: `CSV ${(statSync(csv).size / 1e6).toFixed(0)} MB` });
  // Parquet through DuckDB (DuckDB runs inside the Study process: its memory is counted)
  const parquet = join(dir, `sim-${n}.parquet`);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const t0 = performance.now();
  const duck = await DuckDBInstance.create(':memory:');
  const dc = await duck.connect();
  await dc.run(`COPY (SELECT * FROM read_csv('${csv}', header = true, columns = {'subject': 'VARCHAR', 'visit': 'BIGINT', 'age': 'BIGINT', 'y': 'DOUBLE'}, nullstr = '')) TO '${parquet}' (FORMAT PARQUET)`);
  dc.closeSync();
  duck.closeSync();
  const written = (performance.now() - t0) / 1000;
  const viaDuck = studyFit(specOf('parquet', `data duckdb "sim-${n}.parquet"`));
  row(`simulated ${n} x 6, UN, Parquet through DuckDB (fit)`, viaDuck, undefined, { note: `Parquet ${(statSync(parquet).size / 1e6).toFixed(0)} MB, written in ${written.toFixed(1)} s (not timed)${delta(viaDuck)}` });
  // PostgreSQL: a private server (test/backends/postgres-server.js), the CSV loaded with COPY
  const { postgresBin, startPostgres } = await import('../backends/postgres-server.js');
  if (!postgresBin()) {
    row(`simulated ${n} x 6, UN, PostgreSQL (fit)`, { error: 'PostgreSQL not installed (apt-get install postgresql)' });
    continue;
  }
  const server = await startPostgres();
  try {
    const { chmodSync, chownSync, copyFileSync } = await import('node:fs');
    const serverCsv = join(server.dir, 'sim.csv');
    copyFileSync(csv, serverCsv);
    chmodSync(serverCsv, 0o644);
    if (server.user === 'postgres') {
      const id = (f) => Number(spawnSync('id', [f, 'postgres'], { encoding: 'utf8' }).stdout);
      chownSync(serverCsv, id('-u'), id('-g'));
    }
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const t1 = performance.now();
    await client.query('CREATE TABLE sim (subject TEXT, visit BIGINT, age BIGINT, y DOUBLE PRECISION)');
    await client.query(`COPY sim FROM '${serverCsv}' WITH (FORMAT csv, HEADER true, NULL '')`);
    await client.query('ANALYZE sim');
    const loaded = (performance.now() - t1) / 1000;
    await client.end();
    process.env.STUDY_BENCH_PG = server.url;
    const viaPg = studyFit(specOf('postgres', 'data postgres env STUDY_BENCH_PG table sim'));
    row(`simulated ${n} x 6, UN, PostgreSQL (fit)`, viaPg, undefined, { note: `COPY of ${(n * 6).toLocaleString('en')} rows in ${loaded.toFixed(1)} s (not timed); server time counted, server memory not${delta(viaPg)}` });
  } finally {
    server.stop();
  }
}

const header = ['case', 'Study s', 'Study MB', 'R s', 'R MB', 'R/Study s', 'R/Study MB', 'note'];
const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => String(r[j]).length)));
const line = (r) => r.map((c, j) => (j === 0 || j === 7 ? String(c).padEnd(widths[j]) : String(c).padStart(widths[j]))).join('  ');
console.log(`\nStudy (node ${process.version}) vs ${hasR ? 'R (nlme::gls / lme, lme4::lmer, emmeans)' : '(no R)'}; machine: ${cpus().length} cores\n`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));

// 3. the language server on a large file
if (process.env.BENCH_LSP !== '0') {
  const subjects = Number(process.env.BENCH_LSP_SUBJECTS ?? 200000);
  const r = spawnSync(process.execPath, [join(here, 'lsp-latency.js'), '--subjects', String(subjects)], { encoding: 'utf8', timeout: 20 * 60 * 1000, maxBuffer: 1 << 24 });
  let m;
  try {
    m = JSON.parse(r.stdout.trim().split('\n').pop());
  } catch {
    m = { ok: false, error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(-3).join(' ') };
  }
  console.error(`language server: ${JSON.stringify(m)}`);
  console.log(`\nThe language server (${m.server ?? '?'}) on ${subjects.toLocaleString('en')} subjects x 6 visits (${m.csvMB ?? '?'} MB, ${(m.rows ?? subjects * 6).toLocaleString('en')} rows):`);
  if (!m.ok) console.log(`  failed: ${m.error}`);
  else {
    const ms = (x) => (typeof x === 'number' ? (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`) : '-');
    const lines = [
      ['first diagnostics after opening (syntax and spec checks)', ms(m.firstDiagnosticsMs), ''],
      ['diagnostics with the checks against the data', ms(m.dataDiagnosticsMs), 'target ≤ 2 s'],
      ['an edit: the data checks of the new text', ms(m.editDataDiagnosticsMs), ''],
      ['hover while the data are read (keyword / column)', `${ms(m.hoverWhileLoadingMs?.keyword)} / ${ms(m.hoverWhileLoadingMs?.column)}`, 'target ≤ 50 ms'],
      ['hover after, median / max of 20 (keyword; column)', `${ms(m.hoverMs?.keyword?.median)} / ${ms(m.hoverMs?.keyword?.max)}; ${ms(m.hoverMs?.column?.median)} / ${ms(m.hoverMs?.column?.max)}`, 'target ≤ 50 ms'],
      [`longest main-thread stall: slowest of ${m.probes} requests / event-loop delay`, `${ms(m.stallMs)} / ${m.eventLoop ? ms(m.eventLoop.maxMs) : '-'}`, 'target ≤ 100 ms'],
    ];
    const w = Math.max(...lines.map((l) => l[0].length));
    const v = Math.max(...lines.map((l) => l[1].length));
    for (const [a, b, c] of lines) console.log(`  ${a.padEnd(w)}  ${b.padStart(v)}  ${c}`);
  }
}

rmSync(dir, { recursive: true, force: true });
