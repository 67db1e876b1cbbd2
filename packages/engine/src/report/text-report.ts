/** `study run`'s printed report: the tables of a PROC MIXED listing (`reportTables`), in the same order. */
import type { StudyReport } from '../results.js';
import { reportTables, tableText } from './tables.js';

export function textReport(report: StudyReport): string {
  const parts: string[] = [];
  const heading = report.title ?? 'Study';
  parts.push(`${heading}\n${'='.repeat(heading.length)}\nData: ${report.dataPath}`);
  const tables = reportTables(report);
  for (const m of report.models) {
    const title = `Model ${m.name}`;
    parts.push(`${title}\n${'-'.repeat(title.length)}`);
    parts.push(...tables.filter((t) => t.model === m.name).map(tableText));
  }
  parts.push(...tables.filter((t) => t.model === undefined).map(tableText));
  return parts.join('\n\n') + '\n';
}
