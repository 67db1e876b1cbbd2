/**
 * Hover with results: after a run, hovering a term shows its numbers (the same as `study run --json`)
 * above the usual documentation. On a covariate: its Type 3 row and its slope at each level; on a
 * tested effect: its Type 3 row; on `select cov`: the information criteria and the chosen structure;
 * on `estimate`: the Estimates table; on `compare`: LS-means and differences; on `predict random
 * effects`: the Solution for Random Effects; on `paired` /
 * `correlate`: the analysis row; on a variable of a `describe` block: its lines of the descriptive table.
 * Stale results are shown with a warning.
 */
import { CstUtils, type LangiumDocument } from 'langium';
import type { Hover, HoverParams } from 'vscode-languageserver';
import { StudyHoverProvider } from '../lsp/hover.js';
import { isStudyFile } from '../generated/ast.js';
import { tableMarkdown, type StudyReport } from '@study/engine';
import type { StudyResults } from './results-service.js';
import { analysisRow, describeLines, estimateRows, modelReport, slopeRows, targetOf, type3Row, type ResultTarget } from './targets.js';
import { analysisTable, diffsTable, estimatesTable, lsMeansTable, randomSolutionTable, selectionTable, type3Table } from './tables.js';

export const STALE_NOTE = '**Results are stale**: the spec or its data changed since the run. Run again to update them.';

/** The Markdown of a target's numbers, or undefined when the report has none. */
export function resultsMarkdown(report: StudyReport, target: ResultTarget): string | undefined {
  if (target.kind === 'describe') {
    const lines = describeLines(report, target.describe, target.label);
    return lines ? `**describe ${target.describe}**: ${lines.title.replace(/^Descriptive Statistics \S+ /, '')}\n\n${tableMarkdown(lines, false)}` : undefined;
  }
  if (target.kind === 'analysis') {
    const row = analysisRow(report, target.analysis, target.index);
    return row ? `**analysis ${target.analysis}**\n\n${analysisTable([row])}` : undefined;
  }
  const m = modelReport(report, target.model);
  if (!m) return undefined;
  const title = `**model ${m.name}** (${m.info.covarianceStructure}, ${m.info.estimationMethod}, df ${m.info.dfMethod})`;
  const parts: string[] = [];
  switch (target.kind) {
    case 'covariate': {
      const row = type3Row(m, target.variable);
      if (row) parts.push(`Type 3 test\n\n${type3Table([row])}`);
      const slopes = slopeRows(m, target.variable, target.block);
      if (slopes.length) parts.push(`Slope of ${target.variable}\n\n${estimatesTable(slopes)}`);
      break;
    }
    case 'effect': {
      const row = type3Row(m, target.effect);
      if (row) parts.push(`Type 3 test\n\n${type3Table([row])}`);
      break;
    }
    case 'select':
      if (m.candidates.length) {
        const chosen = m.candidates.find((c) => c.chosen);
        parts.push(`Covariance selection by ${target.criterion}${chosen ? `: **${chosen.structure}** chosen` : ''}\n\n${selectionTable(m.candidates)}`);
      }
      break;
    case 'estimate': {
      const rows = estimateRows(m, target.statement);
      if (rows.length) parts.push(`Estimates\n\n${estimatesTable(rows)}`);
      break;
    }
    case 'random-solution':
      if (m.randomSolution?.length) parts.push(`Solution for random effects (EBLUPs)\n\n${randomSolutionTable(m.randomSolution)}`);
      break;
    case 'compare': {
      const ls = m.lsmeans.filter((r) => sameName(r.effect, target.effect));
      const diffs = m.diffs.filter((r) => sameName(r.effect, target.effect));
      if (ls.length) parts.push(`Least-squares means\n\n${lsMeansTable(ls)}`);
      if (diffs.length) parts.push(`Differences\n\n${diffsTable(diffs)}`);
      break;
    }
  }
  return parts.length ? `${title}\n\n${parts.join('\n\n')}` : undefined;
}

function sameName(a: string, b: string): boolean {
  const key = (s: string) => s.split(/[*:]/).map((x) => x.trim()).sort().join('*');
  return key(a) === key(b);
}

export class StudyResultsHoverProvider extends StudyHoverProvider {
  constructor(
    services: ConstructorParameters<typeof StudyHoverProvider>[0],
    private readonly results: () => StudyResults,
  ) {
    super(services);
  }

  override async getHoverContent(document: LangiumDocument, params: HoverParams): Promise<Hover | undefined> {
    const docs = await super.getHoverContent(document, params);
    let numbers: string | undefined;
    try {
      numbers = this.numbersAt(document, params);
    } catch {
      numbers = undefined; // a hover never fails because of results
    }
    if (!numbers) return docs;
    const below = docs && typeof docs.contents === 'object' && 'value' in docs.contents ? `\n\n---\n\n${docs.contents.value}` : '';
    return { contents: { kind: 'markdown', value: numbers + below } };
  }

  private numbersAt(document: LangiumDocument, params: HoverParams): string | undefined {
    const uri = document.uri.toString();
    const stored = this.results().get(uri);
    if (!stored) return undefined;
    const root = document.parseResult.value;
    if (!root.$cstNode || !isStudyFile(root)) return undefined;
    const leaf = CstUtils.findLeafNodeAtOffset(root.$cstNode, document.textDocument.offsetAt(params.position));
    if (!leaf) return undefined;
    const target = targetOf(leaf.astNode);
    if (!target) return undefined;
    const md = resultsMarkdown(stored.report, target);
    if (!md) return undefined;
    const stale = this.results().isStale(uri, document.textDocument.getText());
    return stale ? `${STALE_NOTE}\n\n${md}` : md;
  }
}
