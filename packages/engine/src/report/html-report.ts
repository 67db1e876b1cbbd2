/**
 * A self-contained HTML report (no scripts, no network): the same tables as the text report, each as an
 * HTML table, so it can be attached to a submission or opened offline. The figures (report.figures)
 * follow the tables as inline SVG.
 */
import type { StudyReport } from '../results.js';
import { textReport } from './text-report.js';
import { figureTitle, renderFigureSvg } from './figures-svg.js';
import { svgDocument } from './svg-document.js';

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Each figure as a numbered <figure> with inline SVG; a figure that cannot be drawn says why. */
function figuresHtml(report: StudyReport): string {
  const figures = report.figures ?? [];
  if (figures.length === 0) return '';
  const document = svgDocument();
  const parts = figures.map((f, k) => {
    let body: string;
    try {
      body = renderFigureSvg(f, { document });
    } catch (e) {
      body = `<p>(not drawn: ${escapeHtml((e as Error).message)})</p>`;
    }
    return `<figure>\n${body}\n<figcaption>Figure ${k + 1}. ${escapeHtml(figureTitle(f))}</figcaption>\n</figure>`;
  });
  return `<h2>Figures</h2>\n${parts.join('\n')}\n`;
}

export function htmlReport(report: StudyReport): string {
  const title = escapeHtml(report.title ?? 'Study report');
  // The listing is the text report verbatim: SAS users copy it into documents as LISTING output.
  const listing = escapeHtml(textReport(report));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em; }
figure { margin: 2em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 13px; color: #444; }
pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; line-height: 1.35; }
</style>
</head>
<body>
<h1>${title}</h1>
<pre>${listing}</pre>
${figuresHtml(report)}</body>
</html>
`;
}
