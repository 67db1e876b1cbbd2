/** `study run`'s printed report: the provenance manifest, the descriptive statistics, the sensitivity summaries, then the tables of a PROC MIXED listing (`reportTables`), in the same order. */
import type { StudyReport } from '../results.js';
import { reportTables, tableText } from './tables.js';
import { provenanceText } from './provenance-text.js';

export function textReport(report: StudyReport): string {
  const parts: string[] = [];
  const heading = report.title ?? 'Study';
  parts.push(`${heading}\n${'='.repeat(heading.length)}\nData: ${report.dataPath}${report.provenance ? `\n${provenanceText(report.provenance)}` : ''}`);
  const tables = reportTables(report);
  // the cohort (the `describe` blocks) before the models, as a paper's Table 1
  parts.push(...tables.filter((t) => t.describe !== undefined).map(tableText));
  // then a model's sensitivity variants side by side, before the models: the headline results and whether they hold
  parts.push(...tables.filter((t) => t.sensitivity !== undefined).map(tableText));
  for (const m of report.models) {
    const title = `Model ${m.name}`;
    parts.push(`${title}\n${'-'.repeat(title.length)}`);
    parts.push(...tables.filter((t) => t.model === m.name).map(tableText));
  }
  parts.push(...tables.filter((t) => t.model === undefined && t.describe === undefined && t.sensitivity === undefined).map(tableText));
  return parts.join('\n\n') + '\n';
}
