// Simulated repeated-measures data for the benchmark: N subjects x 6 visits, a subject-level covariate,
// an unstructured within-subject covariance, and ~5% of visits missing at random (so that subjects fall
// into several missingness patterns, as in real studies). Seeded: the same N gives the same file.
import { writeFileSync } from 'node:fs';

export function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VISITS = 6;
// An unstructured covariance with growing variances and decaying correlations, like the ketamine cohort's.
const SD = [30, 45, 35, 36, 38, 40];
const corr = (i, j) => (i === j ? 1 : 0.75 * Math.pow(0.85, Math.abs(i - j) - 1));

function cholesky(a) {
  const n = a.length;
  const l = a.map(() => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      l[i][j] = i === j ? Math.sqrt(s) : s / l[j][j];
    }
  }
  return l;
}

/** the Cholesky factor of the simulated within-subject (unstructured) covariance */
export function withinSubjectCholesky() {
  return cholesky(SD.map((si, i) => SD.map((sj, j) => si * sj * corr(i, j))));
}

export function simulate(n, file, seed = 20261127) {
  const rand = mulberry32(seed + n);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
  const L = withinSubjectCholesky();
  const lines = ['subject,visit,age,y'];
  for (let s = 1; s <= n; s++) {
    const age = Math.round(25 + 50 * rand());
    const z = Array.from({ length: VISITS }, normal);
    for (let v = 0; v < VISITS; v++) {
      let e = 0;
      for (let k = 0; k <= v; k++) e += L[v][k] * z[k];
      const mean = -20 - 6 * v + 0.2 * (v + 1) * (age - 50);
      const y = rand() < 0.05 ? '' : (mean + e).toFixed(3);
      lines.push(`S${s},${v + 1},${age},${y}`);
    }
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

/**
 * The spec the benchmark fits to simulate()'s data: UN over the 6 visits, age as covariate, REML.
 * `data` is its data statement (a CSV beside it by default, or e.g. `data duckdb "sim.parquet"`);
 * `extra` lines go into the model (e.g. a `test` statement).
 */
export function simulatedSpec(n, { title = `simulated ${n} subjects`, data = `data "sim-${n}.csv"`, extra = [] } = {}) {
  return `study "${title}"
${data}
subject subject

model un {
    outcome y
    repeated visit
    covariate age
    random subject
    cov UN
${extra.map((l) => `    ${l}\n`).join('')}}
`;
}
