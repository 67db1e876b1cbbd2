/**
 * Code lenses above each `model`, `sensitivity`, `analysis` and `describe` block: "▶ Run" (command
 * `study.runModel` with [uri, modelName]; an analysis or describe block runs the whole spec: [uri]) and "Results"
 * (`study.showResults` with [uri]). The client implements both commands.
 */
import type { LangiumDocument } from 'langium';
import type { CodeLensProvider } from 'langium/lsp';
import type { CodeLens, CodeLensParams } from 'vscode-languageserver';
import { isAnalysisBlock, isDescribeBlock, isModelBlock, isSensitivityBlock, isStudyFile, type StudyFile } from '../generated/ast.js';
import type { StudyResults } from './results-service.js';
import { blockModelName } from './targets.js';

export const Commands = { runModel: 'study.runModel', showResults: 'study.showResults' } as const;

export class StudyCodeLensProvider implements CodeLensProvider {
  constructor(private readonly results: () => StudyResults) {}

  provideCodeLens(document: LangiumDocument, _params: CodeLensParams): CodeLens[] | undefined {
    try {
      const root = document.parseResult.value;
      if (!isStudyFile(root)) return undefined;
      const uri = document.uri.toString();
      const stored = this.results().get(uri);
      const stale = stored ? this.results().isStale(uri, document.textDocument.getText()) : false;
      const lenses: CodeLens[] = [];
      for (const el of (root as StudyFile).elements) {
        if (!(isModelBlock(el) || isSensitivityBlock(el) || isAnalysisBlock(el) || isDescribeBlock(el)) || !el.$cstNode) continue;
        const start = el.$cstNode.range.start;
        const range = { start, end: start };
        const model = isAnalysisBlock(el) || isDescribeBlock(el) ? undefined : blockModelName(el);
        const runArgs = model !== undefined ? [uri, model] : [uri];
        lenses.push({ range, command: { title: '▶ Run', command: Commands.runModel, arguments: runArgs } });
        const name = (el as { name: string }).name;
        const has =
          stored &&
          (isDescribeBlock(el)
            ? (stored.report.descriptives ?? []).some((d) => d.name === name)
            : model === undefined
              ? stored.report.other.some((r) => r.analysis === name)
              : stored.report.models.some((m) => m.name === model));
        lenses.push({
          range,
          command: { title: has ? (stale ? 'Results (stale)' : 'Results') : 'Results', command: Commands.showResults, arguments: [uri] },
        });
      }
      return lenses;
    } catch {
      return undefined;
    }
  }
}
