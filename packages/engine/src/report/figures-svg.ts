/**
 * Draws a Figure (figure-types.ts) as a standalone SVG string with Observable Plot.
 *
 * Plot builds DOM nodes, so it needs a `document`: in a browser (the results webview) pass nothing
 * (the global `document` is used) or pass one; in Node pass a server-side document, e.g.
 * `svgDocument()` from ./svg-document.ts (linkedom), which is what the HTML report does. This module
 * itself imports no DOM implementation, so it can be bundled for a webview.
 */
import * as Plot from '@observablehq/plot';
import type {
  AnalysisScatterFigure,
  CovariateScatterFigure,
  Figure,
  ForestFigure,
  ObservedMeansFigure,
  ResidualsFigure,
  TrajectoriesFigure,
} from '../figure-types.js';

/**
 * The little of the DOM this module touches (the engine is compiled without the DOM library; a
 * browser `document` and linkedom's both fit).
 */
export interface DomNode {
  textContent: string | null;
}
export interface SvgNode extends DomNode {
  readonly outerHTML: string;
  setAttribute(name: string, value: string): void;
  getAttribute(name: string): string | null;
  appendChild(child: DomNode): unknown;
}
export interface Document {
  createElementNS(namespace: string, name: string): SvgNode;
}
type SVGElement = SvgNode;

export interface RenderOptions {
  /** the DOM document Plot builds nodes in; default: the global `document` */
  document?: Document;
  /** width of one plot in pixels (default 640) */
  width?: number;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const TITLE_SPACE = 28;
/** colours of the trajectory lines (min … max), dark to light as in a sequential scheme */
const PALETTE = ['#440154', '#3b528b', '#21918c', '#5ec962', '#d7a800'];

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(1);
}

/** The title the paper would give the figure. */
export function figureTitle(figure: Figure): string {
  switch (figure.kind) {
    case 'observed-means':
      return `Observed mean ${figure.outcome} (± SEM) at each ${figure.factor}`;
    case 'trajectories':
      return `Predicted ${figure.outcome} by ${figure.factor} at ${figure.covariate} min, quartiles and max (95% CI)`;
    case 'covariate-scatter':
      return `${figure.outcome} against ${figure.covariate} at each ${figure.factor}, with the model's line and 95% band`;
    case 'analysis-scatter':
      return figure.title;
    case 'residuals':
      return `Conditional residuals of model ${figure.model}`;
    case 'forest':
      return `Sensitivity analyses of ${figure.model}: ${Number((100 * (1 - figure.alpha)).toPrecision(6))}% CI in the model and each variant`;
  }
}

function observedMeans(f: ObservedMeansFigure, o: Required<Pick<RenderOptions, 'width'>>, document: Document): SVGElement {
  const pts = f.points.map((p) => ({ ...p, lo: p.mean - p.sem, hi: p.mean + p.sem }));
  return Plot.plot({
    document: document as never,
    width: o.width,
    marginTop: 20,
    marginLeft: 60,
    x: { type: 'point', label: f.factor, domain: f.points.map((p) => p.level), inset: 20 },
    y: { label: `mean ${f.outcome}`, grid: true },
    marks: [
      Plot.ruleY([0], { stroke: '#aaa' }),
      Plot.ruleX(pts, { x: 'level', y1: 'lo', y2: 'hi', strokeWidth: 1.5 }),
      Plot.line(pts, { x: 'level', y: 'mean' }),
      Plot.dot(pts, { x: 'level', y: 'mean', fill: 'currentColor', r: 3.5 }),
    ],
  }) as SVGElement;
}

function trajectories(f: TrajectoriesFigure, o: Required<Pick<RenderOptions, 'width'>>, document: Document): SVGElement {
  const rows = f.lines.flatMap((l) =>
    l.points.map((p) => ({ ...p, line: `${l.label} (${f.covariate} ${fmt(l.covariateValue)})` })),
  );
  return Plot.plot({
    document: document as never,
    width: o.width,
    marginTop: 36,
    marginLeft: 60,
    x: { type: 'point', label: f.factor, domain: f.lines[0]?.points.map((p) => p.level) ?? [], inset: 20 },
    y: { label: `predicted ${f.outcome}`, grid: true },
    color: { domain: [...new Set(rows.map((r) => r.line))], range: PALETTE },
    marks: [
      Plot.ruleY([0], { stroke: '#aaa' }),
      Plot.areaY(rows, { x: 'level', y1: 'lower', y2: 'upper', fill: 'line', fillOpacity: 0.08 }),
      Plot.line(rows, { x: 'level', y: 'predicted', stroke: 'line', strokeWidth: 2 }),
      Plot.dot(rows, { x: 'level', y: 'predicted', fill: 'line', r: 3 }),
    ],
  }) as unknown as SVGElement;
}

function covariateScatter(f: CovariateScatterFigure, o: Required<Pick<RenderOptions, 'width'>>, document: Document): SVGElement {
  const points = f.panels.flatMap((p) => p.points.map((q) => ({ ...q, level: p.level })));
  const fit = f.panels.flatMap((p) => p.fit.map((q) => ({ ...q, level: p.level })));
  return Plot.plot({
    document: document as never,
    width: Math.max(o.width, 180 * f.panels.length),
    height: 300,
    marginTop: 30,
    marginLeft: 60,
    fx: { label: f.factor, domain: f.panels.map((p) => p.level) },
    x: { label: f.covariate },
    y: { label: f.outcome, grid: true },
    marks: [
      Plot.frame({ stroke: '#ddd' }),
      Plot.areaY(fit, { x: 'x', y1: 'lower', y2: 'upper', fx: 'level', fill: 'steelblue', fillOpacity: 0.2 }),
      Plot.line(fit, { x: 'x', y: 'y', fx: 'level', stroke: 'steelblue', strokeWidth: 2 }),
      Plot.dot(points, { x: 'x', y: 'y', fx: 'level', r: 2.5 }),
    ],
  }) as SVGElement;
}

function analysisScatter(f: AnalysisScatterFigure, o: Required<Pick<RenderOptions, 'width'>>, document: Document): SVGElement {
  return Plot.plot({
    document: document as never,
    width: o.width,
    marginTop: 20,
    marginLeft: 60,
    x: { label: f.xLabel },
    y: { label: f.yLabel, grid: true },
    marks: [
      Plot.areaY(f.fit, { x: 'x', y1: 'lower', y2: 'upper', fill: 'steelblue', fillOpacity: 0.2 }),
      Plot.line(f.fit, { x: 'x', y: 'y', stroke: 'steelblue', strokeWidth: 2 }),
      Plot.dot(f.points, { x: 'x', y: 'y', r: 3 }),
    ],
  }) as SVGElement;
}

/** Residuals: two plots side by side (residual vs predicted; normal Q-Q) nested in one SVG. */
function residuals(f: ResidualsFigure, o: Required<Pick<RenderOptions, 'width'>>, document: Document): SVGElement {
  const w = Math.round(o.width / 2);
  const h = 340;
  const left = Plot.plot({
    document: document as never,
    width: w,
    height: h,
    marginTop: 20,
    marginLeft: 55,
    x: { label: 'predicted (Xβ̂)' },
    y: { label: 'residual', grid: true },
    marks: [Plot.ruleY([0], { stroke: '#aaa' }), Plot.dot(f.points, { x: 'predicted', y: 'residual', r: 2 })],
  }) as SVGElement;
  const lo = f.qq.reduce((a, q) => Math.min(a, q.theoretical), Infinity);
  const hi = f.qq.reduce((a, q) => Math.max(a, q.theoretical), -Infinity);
  const sample = f.qq.map((q) => q.sample);
  const sd = Math.sqrt(sample.reduce((s, x) => s + x * x, 0) / Math.max(sample.length - 1, 1));
  const right = Plot.plot({
    document: document as never,
    width: w,
    height: h,
    marginTop: 20,
    marginLeft: 55,
    x: { label: 'normal quantile' },
    y: { label: 'residual', grid: true },
    marks: [
      Plot.line(
        [
          { x: lo, y: lo * sd },
          { x: hi, y: hi * sd },
        ],
        { x: 'x', y: 'y', stroke: '#aaa' },
      ),
      Plot.dot(f.qq, { x: 'theoretical', y: 'sample', r: 2 }),
    ],
  }) as SVGElement;
  const outer = document.createElementNS(SVG_NS, 'svg') as unknown as SVGElement;
  outer.setAttribute('width', String(2 * w));
  outer.setAttribute('height', String(h));
  outer.setAttribute('viewBox', `0 0 ${2 * w} ${h}`);
  outer.setAttribute('font-family', 'system-ui, sans-serif');
  outer.setAttribute('font-size', '10');
  right.setAttribute('x', String(w));
  outer.appendChild(left);
  outer.appendChild(right);
  return outer;
}

function draw(figure: Figure, o: Required<Pick<RenderOptions, 'width'>>, document: Document): SVGElement {
  switch (figure.kind) {
    case 'observed-means':
      return observedMeans(figure, o, document);
    case 'trajectories':
      return trajectories(figure, o, document);
    case 'covariate-scatter':
      return covariateScatter(figure, o, document);
    case 'analysis-scatter':
      return analysisScatter(figure, o, document);
    case 'residuals':
      return residuals(figure, o, document);
    case 'forest':
      return forest(figure, o, document);
  }
}

/**
 * The sensitivity forest plot: one panel per kind of result (the `estimate` rows, the `compare`
 * differences: their scales differ), a row per result and model, the estimate with its confidence
 * limits, a line at 0; a point whose significance differs from the base model's is drawn hollow and red.
 */
function forest(f: ForestFigure, o: Required<Pick<RenderOptions, 'width'>>, document: Document): SVGElement {
  const panels = (['estimate', 'diff'] as const).map((kind) => f.rows.filter((r) => r.kind === kind)).filter((rows) => rows.length > 0);
  const rowHeight = 13;
  const plots = panels.map((rows) => {
    const data = rows.flatMap((r) => r.points.map((p) => ({ ...p, label: r.label, key: `${r.label}\u0000${p.model}` })));
    const keys = data.map((d) => d.key);
    return Plot.plot({
      document: document as never,
      width: o.width,
      height: 40 + rowHeight * keys.length + 6 * rows.length,
      marginLeft: 230,
      marginRight: 20,
      marginTop: 10,
      x: { label: rows[0]!.kind === 'estimate' ? 'estimate' : 'difference', grid: true },
      y: {
        domain: keys,
        label: null,
        tickSize: 0,
        tickFormat: (k: string) => {
          const [label, model] = k.split('\u0000');
          return model === f.models[0] ? label! : `· ${model}`;
        },
      },
      color: { domain: f.models, range: PALETTE },
      marks: [
        Plot.ruleX([0], { stroke: '#888' }),
        Plot.ruleY(data, { y: 'key', x1: 'lower', x2: 'upper', stroke: 'model', strokeWidth: 1.5 }),
        Plot.dot(data.filter((d) => !d.changed), { x: 'estimate', y: 'key', fill: 'model', r: 3.5 }),
        Plot.dot(data.filter((d) => d.changed), { x: 'estimate', y: 'key', stroke: '#d62728', fill: 'white', strokeWidth: 2, r: 4.5 }),
      ],
    }) as SVGElement;
  });
  if (plots.length === 1) return plots[0]!;
  const outer = document.createElementNS(SVG_NS, 'svg') as unknown as SVGElement;
  let y = 0;
  for (const p of plots) {
    p.setAttribute('y', String(y));
    y += Number(p.getAttribute('height'));
    outer.appendChild(p);
  }
  outer.setAttribute('width', String(o.width));
  outer.setAttribute('height', String(y));
  outer.setAttribute('viewBox', `0 0 ${o.width} ${y}`);
  outer.setAttribute('font-family', 'system-ui, sans-serif');
  outer.setAttribute('font-size', '10');
  return outer;
}

/** The SVG element of a figure (the webview can insert it directly), titled, with labelled axes. */
export function renderFigureElement(figure: Figure, options: RenderOptions = {}): SVGElement {
  const document = options.document ?? (globalThis as { document?: Document }).document;
  if (!document) throw new Error('renderFigureSvg needs a DOM document: pass { document } (in Node, svgDocument() from @study/engine)');
  const plot = draw(figure, { width: options.width ?? 640 }, document);
  // The title sits above the plot: the plot is nested in an outer svg, moved down by TITLE_SPACE.
  const width = Number(plot.getAttribute('width'));
  const height = Number(plot.getAttribute('height'));
  const root = document.createElementNS(SVG_NS, 'svg');
  root.setAttribute('xmlns', SVG_NS);
  root.setAttribute('role', 'img');
  root.setAttribute('width', String(width));
  root.setAttribute('height', String(height + TITLE_SPACE));
  root.setAttribute('viewBox', `0 0 ${width} ${height + TITLE_SPACE}`);
  root.setAttribute('font-family', 'system-ui, sans-serif');
  const label = document.createElementNS(SVG_NS, 'title');
  label.textContent = figureTitle(figure);
  root.appendChild(label);
  const title = document.createElementNS(SVG_NS, 'text');
  title.setAttribute('x', '8');
  title.setAttribute('y', '18');
  title.setAttribute('font-size', '13');
  title.setAttribute('font-weight', 'bold');
  title.setAttribute('fill', 'currentColor');
  title.textContent = figureTitle(figure);
  root.appendChild(title);
  plot.setAttribute('y', String(TITLE_SPACE));
  root.appendChild(plot);
  if (figure.kind === 'trajectories') addLegend(root, figure, document);
  return root;
}
/** The colour key of the trajectories, drawn inside the svg (Plot's legends are HTML). */
function addLegend(svg: SVGElement, f: TrajectoriesFigure, document: Document): void {
  const g = document.createElementNS(SVG_NS, 'g');
  g.setAttribute('font-size', '10');
  f.lines.forEach((l, k) => {
    const x = 150 + k * 100;
    const swatch = document.createElementNS(SVG_NS, 'rect');
    swatch.setAttribute('x', String(x));
    swatch.setAttribute('y', String(TITLE_SPACE + 6));
    swatch.setAttribute('width', '10');
    swatch.setAttribute('height', '10');
    swatch.setAttribute('fill', PALETTE[k % PALETTE.length]!);
    const text = document.createElementNS(SVG_NS, 'text');
    text.setAttribute('x', String(x + 14));
    text.setAttribute('y', String(TITLE_SPACE + 15));
    text.setAttribute('fill', 'currentColor');
    text.textContent = `${l.label} (${f.covariate} ${fmt(l.covariateValue)})`;
    g.appendChild(swatch);
    g.appendChild(text);
  });
  svg.appendChild(g);
}

/** A figure as a standalone SVG document string. */
export function renderFigureSvg(figure: Figure, options: RenderOptions = {}): string {
  return renderFigureElement(figure, options).outerHTML;
}
