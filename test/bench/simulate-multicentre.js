// Simulated multicentre repeated-measures data for the benchmark: `sites` sites x `perSite` patients x
// 6 visits, a random site intercept, an unstructured within-patient covariance and ~5% of visits
// missing at random. Each site is one block of V that spans its patients (the likelihood's Woodbury
// kernel, fit/spanning.ts). Seeded: the same sizes give the same file.
import { writeFileSync } from 'node:fs';
import { mulberry32, withinSubjectCholesky } from './simulate.js';

const VISITS = 6;

export function simulateMulticentre(sites, perSite, file, seed = 20261201) {
  const rand = mulberry32(seed + sites * 1000 + perSite);
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
  const L = withinSubjectCholesky();
  const lines = ['site,patient,visit,age,y'];
  for (let c = 1; c <= sites; c++) {
    const siteEffect = 12 * normal();
    for (let s = 1; s <= perSite; s++) {
      const age = Math.round(25 + 50 * rand());
      const z = Array.from({ length: VISITS }, normal);
      for (let v = 0; v < VISITS; v++) {
        let e = 0;
        for (let k = 0; k <= v; k++) e += L[v][k] * z[k];
        const mean = -20 - 6 * v + 0.2 * (v + 1) * (age - 50) + siteEffect;
        const y = rand() < 0.05 ? '' : (mean + e).toFixed(3);
        lines.push(`C${c},C${c}P${s},${v + 1},${age},${y}`);
      }
    }
  }
  writeFileSync(file, lines.join('\n') + '\n');
}
