// Preloaded into a benchmarked process (`node --require test/bench/peak-rss.cjs …`, test/bench/run.js): when the
// process exits it writes its peak resident memory in MB (getrusage's maxrss; worker threads included) to the
// file BENCH_PEAK_FILE names.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  if (!process.env.BENCH_PEAK_FILE) return;
  try {
    writeFileSync(process.env.BENCH_PEAK_FILE, String(process.resourceUsage().maxRSS / 1024));
  } catch {
    // the benchmark reports no memory then
  }
});
