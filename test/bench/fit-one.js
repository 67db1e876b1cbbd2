// One benchmark measurement in a fresh process, so peak memory is this fit's alone:
// runs a .study spec end to end (check, plan, fit, inference) and prints seconds and peak RSS as JSON.
import { performance } from 'node:perf_hooks';
import { runStudyFile } from '@study/language';

const file = process.argv[2];
const t0 = performance.now();
// as `study run` without --out: no figures (they are computed only for the results panel and an HTML report)
const result = await runStudyFile(file, { figures: false });
const seconds = (performance.now() - t0) / 1000;
const errors = result.diagnostics.filter((d) => d.severity === 'error');
if (!result.report || errors.length > 0) {
  console.log(JSON.stringify({ error: errors.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ') || 'no report' }));
  process.exit(1);
}
const m = result.report.models[0];
console.log(JSON.stringify({ seconds, peakMB: process.resourceUsage().maxRSS / 1024, minus2ll: m.minus2ll, converged: m.converged }));
