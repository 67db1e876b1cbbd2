// `npm run bench`: Study against R side by side, in one run. Not a test: it prints numbers.
//   1. the ketamine example end to end (Study) and the same UN fit in R (nlme::gls), when Rscript exists
//   2. simulated N subjects x 6 visits, UN covariance (N = 1k, 10k, 50k), Study and R
// Each measurement runs in its own process; time is wall-clock, memory is the process's peak RSS.
// Study's time includes loading the language (about 1 s) and the Type 3 / LS-means inference.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulate } from './simulate.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const sizes = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const rTimeout = Number(process.env.BENCH_R_TIMEOUT ?? 1800) * 1000;
// nlme::gls with corSymm takes ~85 s per 1000 subjects here (10k: ~15 min); above this size R is skipped
// unless BENCH_R_MAX says otherwise, and the table says so.
const rMax = Number(process.env.BENCH_R_MAX ?? 10000);
const hasR = spawnSync('Rscript', ['--version'], { encoding: 'utf8' }).status === 0;

function measure(cmd, args, timeout) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout, maxBuffer: 1 << 24 });
  if (r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM') return { error: `timed out after ${timeout / 1000} s` };
  const line = r.stdout.trim().split('\n').pop();
  try {
    return { ...JSON.parse(line), wall: (Date.now() - t0) / 1000 };
  } catch {
    return { error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') };
  }
}

const study = (spec) => measure(process.execPath, [join(here, 'fit-one.js'), spec], 30 * 60 * 1000);
const gls = (csv) => (hasR ? measure('Rscript', [join(here, 'gls.R'), csv], rTimeout) : { error: 'Rscript not installed' });

const rows = [];
function row(name, s, r) {
  const fmt = (m, k, d) => (m.error ? '-' : m[k].toFixed(d));
  rows.push([name, fmt(s, 'seconds', 2), fmt(s, 'peakMB', 0), fmt(r, 'seconds', 2), fmt(r, 'peakMB', 0),
    s.error || r.error ? (s.error ?? '') + (r.error ? ` R: ${r.error}` : '') : Math.abs(s.minus2ll - r.minus2ll).toExponential(1)]);
  console.error(`${name}: Study ${JSON.stringify(s)}  R ${JSON.stringify(r)}`);
}

const dir = mkdtempSync(join(tmpdir(), 'study-bench-'));

// 1. ketamine: the example spec; R fits the same model on the derived outcome (written by the spec's data step).
{
  const s = study(join(root, 'examples', 'ketamine', 'ketamine.study'));
  let r = { error: 'Rscript not installed' };
  if (hasR) {
    const csv = join(dir, 'ketamine-long.csv');
    // the derived outcome is computed in R exactly as the reference does (pct change from visit 1, visits 2..6)
    const script = join(dir, 'ketamine.R');
    writeFileSync(script, `d <- read.csv("${join(root, 'examples', 'ketamine', 'ketamine.csv')}")
b <- d[d$visit == 1, c("patient", "bdi")]; names(b)[2] <- "base"
d <- merge(d, b); d$y <- 100 * (d$bdi - d$base) / d$base
d <- d[d$visit %in% 2:6 & !is.na(d$y), ]
write.csv(data.frame(subject = d$patient, visit = d$visit, age = d$age, y = d$y), "${csv}", row.names = FALSE)
`);
    spawnSync('Rscript', [script]);
    r = gls(csv);
  }
  row('ketamine (49 x 5, select CS/AR1/UN; R: UN only)', s, r);
}

// 2. simulated studies
for (const n of sizes) {
  const csv = join(dir, `sim-${n}.csv`);
  simulate(n, csv);
  const spec = join(dir, `sim-${n}.study`);
  writeFileSync(spec, `study "simulated ${n} subjects"
data "sim-${n}.csv"
subject subject
model un {
    outcome y
    repeated visit
    covariate age
    random subject
    cov UN
}
`);
  row(`simulated ${n} x 6, UN`, study(spec), n <= rMax ? gls(csv) : { error: `skipped (N > BENCH_R_MAX = ${rMax})` });
}

const header = ['fit', 'Study s', 'Study MB', 'R gls s', 'R gls MB', '|Δ -2LL| or note'];
const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => String(r[j]).length)));
const line = (r) => r.map((c, j) => (j === 0 || j === 5 ? String(c).padEnd(widths[j]) : String(c).padStart(widths[j]))).join('  ');
console.log(`\nStudy ${process.version} vs ${hasR ? 'R nlme::gls' : '(no R)'}; machine: ${(await import('node:os')).cpus().length} cores\n`);
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));

rmSync(dir, { recursive: true, force: true });
