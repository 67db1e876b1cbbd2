// Writes a benchmark's data file in a process of its own:
//   node generate.js simulate N FILE          (simulate.js)
//   node generate.js multicentre S P FILE     (simulate-multicentre.js)
// The generators build millions of strings; made in the benchmark's own process, that garbage is collected by
// its GC threads while the measured child runs beside it on the same cores (measured here: a 1M-subject fit
// 8.3-9.4 s after generating in a child process, 10.7-11.5 s after generating in the parent).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** generate('simulate', n, file) or generate('multicentre', sites, perSite, file), in a child process */
export function generate(kind, ...args) {
  const r = spawnSync(process.execPath, [join(here, 'generate.js'), kind, ...args.map(String)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`generate.js ${kind} ${args.join(' ')} failed (status ${r.status})`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [kind, ...args] = process.argv.slice(2);
  if (kind === 'simulate') {
    const { simulate } = await import('./simulate.js');
    simulate(Number(args[0]), args[1]);
  } else if (kind === 'multicentre') {
    const { simulateMulticentre } = await import('./simulate-multicentre.js');
    simulateMulticentre(Number(args[0]), Number(args[1]), args[2]);
  } else {
    console.error('usage: node generate.js simulate N FILE | multicentre SITES PER_SITE FILE');
    process.exit(2);
  }
}
