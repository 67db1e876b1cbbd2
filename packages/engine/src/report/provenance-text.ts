/** The provenance manifest as the text report's header (and the HTML report's listing) prints it. */
import type { Provenance } from '../results.js';

export function provenanceLines(p: Provenance): [string, string][] {
  return [
    ['spec', `${p.spec.file}  sha256 ${p.spec.sha256}`],
    ...p.data.map((d): [string, string] => ['data', `${d.path}  sha256 ${d.sha256}  (${d.rows} rows read)`]),
    ['study', `${p.study.version} (commit ${p.study.commit})`],
    ['node', `${p.node} on ${p.platform}`],
    ['run at', p.time],
  ];
}

export function provenanceText(p: Provenance): string {
  return ['Provenance:', ...provenanceLines(p).map(([k, v]) => `  ${k.padEnd(6)}  ${v}`)].join('\n');
}
