/** Drawing figures as standalone SVG (Observable Plot on a linkedom document) and in the HTML report. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { figureTitle, renderFigureSvg } from '../src/report/figures-svg.js';
import { svgDocument } from '../src/report/svg-document.js';
import { htmlReport } from '../src/report/html-report.js';
import type { Figure } from '../src/figure-types.js';
import type { StudyReport } from '../src/results.js';

const ref = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/figures-ketamine.json', import.meta.url)), 'utf8'));

/** Small figures built from the R reference numbers (no fit needed). */
const figures: Figure[] = [
  { kind: 'observed-means', model: 'trajectory', outcome: 'pct_change', factor: 'visit', points: ref.observed_means },
  { kind: 'trajectories', model: 'trajectory', outcome: 'pct_change', factor: 'visit', covariate: 'age', lines: ref.trajectories },
  {
    kind: 'covariate-scatter',
    model: 'trajectory',
    outcome: 'pct_change',
    factor: 'visit',
    covariate: 'age',
    panels: ref.covariate_scatter.map((p: { level: string; fit: unknown[] }) => ({ level: p.level, fit: p.fit, points: [{ x: 40, y: -20 }] })),
  },
  { kind: 'residuals', model: 'trajectory', points: ref.residuals.points, qq: ref.residuals.qq, residualType: 'conditional' },
  {
    kind: 'analysis-scatter',
    analysis: 'durability',
    title: 'durability: age vs pct_change at visit 6 - pct_change at visit 7',
    xLabel: 'age',
    yLabel: 'pct_change at visit 6 - pct_change at visit 7',
    points: [{ x: 30, y: -10 }, { x: 50, y: 5 }],
    fit: ref.durability.fit,
  },
];

describe('renderFigureSvg', () => {
  for (const f of figures) {
    it(`draws ${f.kind} as a standalone, titled SVG with labelled axes`, () => {
      const svg = renderFigureSvg(f, { document: svgDocument() });
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
      expect(svg).toContain(`<title>${figureTitle(f).replace(/&/g, '&amp;')}</title>`);
      expect(svg).not.toContain('NaN');
      const labels = f.kind === 'analysis-scatter' ? [f.xLabel] : f.kind === 'residuals' ? ['residual', 'normal quantile'] : [f.factor, f.outcome];
      for (const l of labels) expect(svg).toContain(l);
    });
  }

  it('says what it needs when there is no document (Node without linkedom)', () => {
    expect(() => renderFigureSvg(figures[0]!)).toThrow(/document/);
  });
});

describe('htmlReport', () => {
  it('puts each figure after the tables as inline SVG', () => {
    const report: StudyReport = { title: 'test', dataPath: 'x.csv', models: [], other: [], figures };
    const html = htmlReport(report);
    expect(html.indexOf('<h2>Figures</h2>')).toBeGreaterThan(html.indexOf('</pre>'));
    expect(html.match(/<figure>/g)?.length).toBe(figures.length);
    expect(html.match(/<figcaption>Figure \d+\./g)?.length).toBe(figures.length);
  });
});
