/**
 * The Results panel's script (bundled to out/webview.js, a browser iife; runs under the panel's CSP with a nonce,
 * no network). Draws every table of the report with a search box and copy buttons, and the figures with the
 * engine's renderer (`renderFigureSvg`, packages/engine/src/report/figures-svg.ts, bundled here by esbuild).
 */
import type { Figure, ReportTable } from '@study/engine';
import { renderFigureSvg } from 'study:figures-svg';
import type { FromWebview, RunResult, ToWebview } from '../protocol.js';

declare function acquireVsCodeApi(): { postMessage(m: FromWebview): void; getState(): unknown; setState(s: unknown): void };
const vscode = acquireVsCodeApi();

const $ = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: (Node | string)[]) => {
  const el = document.createElement(tag);
  Object.assign(el, props);
  for (const c of children) el.append(c);
  return el;
};

interface State { query: string }
let state: State = (vscode.getState() as State | undefined) ?? { query: '' };
let current: Extract<ToWebview, { type: 'results' }> | undefined;

const root = document.getElementById('root')!;

/** The paper's figure numbers (the renderer draws each figure's own title inside the SVG). */
export function figureLabel(f: Figure): string {
  switch (f.kind) {
    case 'observed-means': return f.describe !== undefined ? `Fig. 1A (describe ${f.describe})` : `Fig. 1 (model ${f.model})`;
    case 'covariate-scatter': return `Fig. 2A (model ${f.model})`;
    case 'trajectories': return `Fig. 2B (model ${f.model})`;
    case 'analysis-scatter': return `Fig. 3 (analysis ${f.analysis})`;
    case 'residuals': return `Residual diagnostics (model ${f.model})`;
    case 'forest': return `Sensitivity analyses (model ${f.model} and ${f.models.length - 1} variant${f.models.length > 2 ? 's' : ''})`;
  }
}

function figureOrder(f: Figure): number {
  return ({ forest: 0, 'observed-means': 1, 'covariate-scatter': 2, trajectories: 3, 'analysis-scatter': 4, residuals: 5 } as const)[f.kind];
}

/** Insert what renderFigureSvg returned (an element, or SVG markup) without ever executing markup as script. */
function figureNode(out: unknown): Node {
  if (out instanceof Node) return out;
  if (typeof out === 'string') {
    const doc = new DOMParser().parseFromString(out, 'image/svg+xml');
    const svg = doc.documentElement;
    if (svg.nodeName === 'parsererror' || doc.getElementsByTagName('parsererror').length > 0) return $('pre', { textContent: 'figure: invalid SVG' });
    for (const s of Array.from(svg.querySelectorAll('script, foreignObject'))) s.remove();
    for (const el of Array.from(svg.querySelectorAll('*')).concat(svg)) {
      for (const a of Array.from(el.attributes)) if (/^on/i.test(a.name) || /^\s*javascript:/i.test(a.value)) el.removeAttribute(a.name);
    }
    return document.importNode(svg, true);
  }
  return $('pre', { textContent: 'figure: unsupported renderer output' });
}

function renderTable(t: ReportTable): HTMLElement {
  const table = $('table', { className: 'report' });
  const thead = $('thead');
  const hr = $('tr');
  t.columns.forEach((c) => hr.append($('th', { className: (c.align ?? 'right') === 'left' ? 'l' : 'r', textContent: c.header })));
  thead.append(hr);
  const tbody = $('tbody');
  for (const r of t.rows) {
    const tr = $('tr');
    tr.dataset.search = r.join(' ').toLowerCase();
    r.forEach((cell, j) => tr.append($('td', { className: (t.columns[j]?.align ?? 'right') === 'left' ? 'l' : 'r', textContent: cell ?? '' })));
    tbody.append(tr);
  }
  table.append(thead, tbody);
  const copy = (format: 'text' | 'csv' | 'markdown', label: string) => {
    const b = $('button', { className: 'copy', textContent: label, title: `Copy “${t.title}” as ${label.replace('Copy as ', '')}` });
    b.dataset.format = format;
    b.addEventListener('click', () => vscode.postMessage({ type: 'copy', id: t.id, format }));
    return b;
  };
  const section = $('section', { className: 'table' },
    $('div', { className: 'table-head' },
      $('h3', { textContent: t.title }, ...(t.model ? [$('span', { className: 'model', textContent: ` model ${t.model}` })] : [])),
      $('span', { className: 'buttons' }, copy('text', 'Copy as text'), copy('csv', 'Copy as CSV'), copy('markdown', 'Copy as Markdown'))),
    $('div', { className: 'scroll' }, table),
    $('p', { className: 'nomatch', textContent: 'No matching rows.', hidden: true }));
  section.id = `t-${t.id}`;
  section.dataset.title = `${t.title} ${t.model ?? ''}`.toLowerCase();
  return section;
}

function drawFigure(f: Figure): HTMLElement {
  const fig = $('figure', { className: `figure ${f.kind}` });
  fig.dataset.kind = f.kind;
  let drawn: Node;
  try {
    drawn = figureNode(renderFigureSvg(f, { document, ...(f.kind === 'forest' ? { width: 760 } : {}) }));
  } catch (e) {
    drawn = $('pre', { className: 'error', textContent: `could not draw this figure: ${(e as Error).message}` });
  }
  fig.append($('figcaption', { textContent: figureLabel(f) }), drawn);
  return fig;
}

function applyFilter(): void {
  const q = state.query.trim().toLowerCase();
  let shown = 0;
  for (const sec of Array.from(document.querySelectorAll<HTMLElement>('section.table'))) {
    const titleHit = q !== '' && (sec.dataset.title ?? '').includes(q);
    let n = 0;
    for (const tr of Array.from(sec.querySelectorAll<HTMLTableRowElement>('tbody tr'))) {
      const hit = q === '' || titleHit || (tr.dataset.search ?? '').includes(q);
      tr.hidden = !hit;
      if (hit) n++;
    }
    sec.hidden = q !== '' && n === 0;
    if (!sec.hidden) shown++;
  }
  const count = document.getElementById('match-count');
  if (count) count.textContent = q === '' ? '' : `${shown} table${shown === 1 ? '' : 's'} match`;
}

function header(msg: Extract<ToWebview, { type: 'results' }>, result: RunResult | null): HTMLElement {
  const report = result?.report;
  const h = $('header');
  h.append($('h1', { textContent: report?.title ?? msg.fileName }));
  const meta: string[] = [msg.fileName];
  if (report) meta.push(`data ${report.dataPath}`);
  if (result) meta.push(`${report?.models.length ?? 0} model${report?.models.length === 1 ? '' : 's'}`, result.cached ? 'from the cache (unchanged spec and data)' : `fitted in ${(result.durationMs / 1000).toFixed(1)} s`, `document version ${result.version}`);
  if (result?.model) meta.push(`last run: model ${result.model}`);
  h.append($('p', { className: 'meta', textContent: meta.join(' · ') }));
  const prov = report?.provenance;
  if (prov) {
    // the provenance manifest (docs/report-json.md): what the numbers were computed from
    const short = (sha: string) => `${sha.slice(0, 12)}…`;
    const parts = [`spec sha256 ${short(prov.spec.sha256)}`, ...prov.data.map((d) => `${d.file} sha256 ${short(d.sha256)} (${d.rows} rows)`), `study ${prov.study.version}${prov.study.commit !== 'unknown' ? ` (${prov.study.commit.slice(0, 7)})` : ''}`, `node ${prov.node}`, prov.time];
    const p = $('p', { className: 'provenance', textContent: `Provenance: ${parts.join(' · ')}` });
    p.title = [`spec ${prov.spec.file} sha256 ${prov.spec.sha256}`, ...prov.data.map((d) => `data ${d.path} sha256 ${d.sha256}`), `commit ${prov.study.commit}`, prov.platform].join('\n');
    h.append(p);
  }
  const stale = $('div', { id: 'stale', className: 'banner', hidden: !result?.stale },
    'The spec or its data changed since this run; the results below are out of date. ');
  const actions = $('div', { className: 'actions' });
  if (msg.trusted) {
    const run = $('button', { id: 'run', textContent: msg.running ? 'Running…' : 'Run Analysis', disabled: msg.running });
    run.addEventListener('click', () => vscode.postMessage({ type: 'run' }));
    const exp = $('button', { id: 'export', textContent: 'Export Report…', disabled: !result });
    exp.addEventListener('click', () => vscode.postMessage({ type: 'export' }));
    actions.append(run, exp);
  } else {
    actions.append($('span', { className: 'untrusted', textContent: 'Restricted mode: this workspace is not trusted, so Study reads no data and runs nothing.' }));
  }
  const open = $('button', { className: 'secondary', textContent: 'Open Spec' });
  open.addEventListener('click', () => vscode.postMessage({ type: 'openSpec' }));
  actions.append(open);
  h.append(stale, actions);
  return h;
}

function render(msg: Extract<ToWebview, { type: 'results' }>): void {
  current = msg;
  const result = msg.result;
  root.replaceChildren(header(msg, result));
  if (!result) {
    if (msg.trusted) root.append($('p', { className: 'empty', textContent: msg.running ? 'Running the analysis…' : 'No results yet. Run the analysis (Study: Run Analysis) to see the tables and figures.' }));
    return;
  }
  const diags = (result.diagnostics ?? []).filter((d) => d.severity !== 'hint');
  if (diags.length > 0) {
    const ul = $('ul', { className: 'diagnostics' });
    for (const d of diags) {
      const sev = d.severity;
      ul.append($('li', { className: sev, textContent: `${sev} line ${d.line}: ${d.message}` }));
    }
    root.append($('section', { className: 'diags' }, $('h2', { textContent: 'Diagnostics' }), ul));
  }
  const allFigures = [...(result.report.figures ?? [])].sort((a, b) => figureOrder(a) - figureOrder(b));
  // a spec with sensitivity blocks opens with its summary: the tables and the forest plot, before everything else
  const forests = allFigures.filter((f) => f.kind === 'forest');
  const figures = allFigures.filter((f) => f.kind !== 'forest');
  const sensitivity = msg.tables.filter((t) => t.sensitivity !== undefined);
  if (sensitivity.length > 0 || forests.length > 0) {
    const sec = $('section', { id: 'sensitivity' }, $('h2', { textContent: 'Sensitivity analyses' }));
    for (const t of sensitivity) sec.append(renderTable(t));
    for (const f of forests) sec.append(drawFigure(f));
    root.append(sec);
  }
  const nav = $('nav');
  for (const t of msg.tables) {
    const a = $('a', { href: `#t-${t.id}`, textContent: t.model && msg.result!.report.models.length > 1 ? `${t.title} (${t.model})` : t.title });
    nav.append(a);
  }
  if (figures.length > 0) nav.append($('a', { href: '#figures', textContent: 'Figures' }));
  const search = $('input', { id: 'search', type: 'search', placeholder: 'Filter rows (e.g. visit*age, <.0001, UN)…', value: state.query });
  search.setAttribute('aria-label', 'Filter table rows');
  search.addEventListener('input', () => { state = { ...state, query: search.value }; vscode.setState(state); applyFilter(); });
  root.append($('div', { className: 'toolbar' }, search, $('span', { id: 'match-count' })), nav);

  const tables = $('div', { id: 'tables' });
  let lastModel: string | undefined | null = null;
  for (const t of msg.tables) {
    if (t.sensitivity !== undefined) continue;
    // the descriptive statistics (describe blocks) come first, under their own heading
    const section = t.model ?? (t.describe !== undefined ? '\u0000describe' : undefined);
    if (section !== lastModel) {
      tables.append($('h2', { textContent: t.model ? `Model ${t.model}` : t.describe !== undefined ? 'Descriptive statistics' : 'Analyses' }));
      lastModel = section;
    }
    tables.append(renderTable(t));
  }
  root.append(tables);

  if (figures.length > 0) {
    const figs = $('section', { id: 'figures' }, $('h2', { textContent: 'Figures' }));
    for (const f of figures) figs.append(drawFigure(f));
    root.append(figs);
  }
  applyFilter();
}

window.addEventListener('message', (ev: MessageEvent<ToWebview>) => {
  const msg = ev.data;
  if (msg.type === 'results') render(msg);
  else if (msg.type === 'stale') {
    const b = document.getElementById('stale');
    if (b) b.hidden = !msg.stale;
  } else if (msg.type === 'running' && current) {
    current = { ...current, running: msg.running };
    const run = document.getElementById('run') as HTMLButtonElement | null;
    if (run) { run.disabled = msg.running; run.textContent = msg.running ? 'Running…' : 'Run Analysis'; }
  }
});

vscode.postMessage({ type: 'ready' });
