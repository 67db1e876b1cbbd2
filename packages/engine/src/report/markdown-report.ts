/**
 * The whole report as Markdown (VS Code "Study: Export Report…"): the tables of `reportTables` as
 * GitHub tables, and a caption per figure (the figures themselves are drawn in the HTML report and the
 * results panel).
 */
import type { StudyReport } from '../results.js';
import type { Figure } from '../figure-types.js';
import { mdCell, reportTables, tableMarkdown } from './tables.js';

/** One line per figure: what it shows (the figures themselves are drawn in the HTML report and the results panel). */
export function figureCaption(f: Figure): string {
  switch (f.kind) {
    case 'observed-means': return `Observed mean ${f.outcome} (± SEM) at each ${f.factor} (${f.describe !== undefined ? `describe ${f.describe}` : `model ${f.model}`})`;
    case 'covariate-scatter': return `${f.outcome} against ${f.covariate} at each ${f.factor}, with the model's line and 95% band (model ${f.model})`;
    case 'trajectories': return `Predicted ${f.outcome} over ${f.factor} at chosen values of ${f.covariate} (model ${f.model})`;
    case 'analysis-scatter': return `${f.title}: ${f.yLabel} against ${f.xLabel}, least-squares line and 95% band`;
    case 'residuals': return `Residual diagnostics: conditional residuals against predicted values, normal Q-Q plot (model ${f.model})`;
    case 'forest': return `Sensitivity analyses of ${f.model}: forest plot of the estimates and differences in the model and its ${f.models.length - 1} variant${f.models.length > 2 ? 's' : ''}`;
  }
}

/** The whole report as Markdown: title, data, the descriptive statistics, each model's tables, the analyses and a list of the figures. */
export function markdownReport(report: StudyReport): string {
  const parts: string[] = [`# ${mdCell(report.title ?? 'Study report')}`, '', `Data: \`${report.dataPath}\``];
  const tables = reportTables(report);
  const descriptives = tables.filter((x) => x.describe !== undefined);
  if (descriptives.length > 0) {
    parts.push('', '## Descriptive statistics');
    for (const t of descriptives) parts.push('', `### ${mdCell(t.title)}`, '', tableMarkdown(t, false));
  }
  const sensitivity = tables.filter((x) => x.sensitivity !== undefined);
  if (sensitivity.length > 0) {
    parts.push('', '## Sensitivity analyses');
    for (const t of sensitivity) parts.push('', `### ${mdCell(t.title)}`, '', tableMarkdown(t, false));
  }
  for (const m of report.models) {
    parts.push('', `## Model ${mdCell(m.name)}`);
    for (const t of tables.filter((x) => x.model === m.name)) parts.push('', `### ${mdCell(t.title)}`, '', tableMarkdown(t, false));
  }
  const analyses = tables.filter((x) => x.model === undefined && x.describe === undefined && x.sensitivity === undefined);
  if (analyses.length > 0) {
    parts.push('', '## Analyses');
    for (const t of analyses) parts.push('', `### ${mdCell(t.title)}`, '', tableMarkdown(t, false));
  }
  if (report.figures && report.figures.length > 0) {
    parts.push('', '## Figures', '', ...report.figures.map((f, i) => `${i + 1}. ${mdCell(figureCaption(f))}`), '',
      '_The figures are drawn in the HTML report and in the VS Code results panel._');
  }
  return parts.join('\n') + '\n';
}
