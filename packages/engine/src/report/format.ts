/**
 * Number formats as SAS prints them in PROC MIXED listings (SAS-CONVENTIONS §4): estimates to 4
 * decimals (small values to 4 significant digits), F and t to 2 decimals, p below 1e-4 as "<.0001",
 * fit statistics to 1 decimal, the iteration history to 8 decimals.
 */

export function fmtEstimate(x: number | null | undefined): string {
  if (x === null || x === undefined) return '.';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 0.1) return x.toPrecision(4).replace(/^(-?)0\./, '$1.').replace(/^(-?)\./, '$10.');
  return x.toFixed(4);
}

export function fmtStat(x: number | null | undefined): string {
  return x === null || x === undefined ? '.' : x.toFixed(2);
}

export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined) return '.';
  return p < 1e-4 ? '<.0001' : p.toFixed(4).replace(/^0\./, '.');
}

export function fmtDf(df: number | null | undefined): string {
  if (df === null || df === undefined) return '.';
  return Number.isInteger(df) ? String(df) : df.toFixed(2);
}

export function fmtFit(x: number): string {
  return x.toFixed(1);
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** A plain-text table in the style of a SAS LISTING: title line, header, rows, right-aligned numbers. */
export function textTable(title: string, columns: Column[], rows: string[][]): string {
  const widths = columns.map((c, j) => Math.max(c.header.length, ...rows.map((r) => (r[j] ?? '').length)));
  const cell = (s: string, j: number) => ((columns[j].align ?? 'right') === 'left' ? s.padEnd(widths[j]) : s.padStart(widths[j]));
  const lines = [
    title,
    '',
    columns.map((c, j) => cell(c.header, j)).join('  '),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map((r) => r.map((s, j) => cell(s ?? '', j)).join('  ')),
  ];
  return lines.map((l) => l.trimEnd()).join('\n');
}
