/**
 * Inlay hints with the headline of each result, after a run: `F(4,47) = 4.81, p = .0025` after each
 * tested effect, `UN (BIC 2276.0)` at the end of `select cov`, `t(35) = −3.92, p = .0004` on `paired`
 * and `r = −0.07, p = .70` on `correlate`. Stale results are marked `(stale)`.
 */
import { GrammarUtils, type AstNode, type LangiumDocument } from 'langium';
import { InlayHintKind, type InlayHint, type InlayHintParams, type Position } from 'vscode-languageserver';
import type { InlayHintProvider } from 'langium/lsp';
import {
  isAnalysisBlock,
  isCorrelateStmt,
  isModelBlock,
  isPairedStmt,
  isSelectCovStmt,
  isSensitivityBlock,
  isStudyFile,
  isTestStmt,
  type StudyFile,
} from '../generated/ast.js';
import type { StudyResults } from './results-service.js';
import { analysisRow, blockModelName, modelReport, type3Row } from './targets.js';
import { analysisHeadline, selectionHeadline, type3Headline } from './tables.js';

function endOf(node: AstNode): Position | undefined {
  return node.$cstNode?.range.end;
}

export class StudyInlayHintProvider implements InlayHintProvider {
  constructor(private readonly results: () => StudyResults) {}

  getInlayHints(document: LangiumDocument, params: InlayHintParams): InlayHint[] | undefined {
    try {
      return this.hints(document, params);
    } catch {
      return undefined;
    }
  }

  private hints(document: LangiumDocument, params: InlayHintParams): InlayHint[] | undefined {
    const uri = document.uri.toString();
    const stored = this.results().get(uri);
    const root = document.parseResult.value;
    if (!stored || !isStudyFile(root)) return undefined;
    const stale = this.results().isStale(uri, document.textDocument.getText()) ? ' (stale)' : '';
    const hints: InlayHint[] = [];
    const add = (node: AstNode, label: string) => {
      const position = endOf(node);
      if (!position) return;
      const { start, end } = params.range;
      if (position.line < start.line || position.line > end.line) return;
      hints.push({ position, label: `${label}${stale}`, kind: InlayHintKind.Parameter, paddingLeft: true });
    };
    for (const el of (root as StudyFile).elements) {
      if (isModelBlock(el) || isSensitivityBlock(el)) {
        const name = blockModelName(el);
        const m = name ? modelReport(stored.report, name) : undefined;
        if (!m) continue;
        for (const s of el.statements) {
          if (isTestStmt(s)) {
            for (const e of s.effects) {
              const row = type3Row(m, e.variables.map((v) => v.column).join('*'));
              if (row) add(e, type3Headline(row));
            }
          } else if (isSelectCovStmt(s)) {
            const text = selectionHeadline(m.candidates, s.criterion ?? 'AIC');
            if (text) add(s, text);
          }
        }
      } else if (isAnalysisBlock(el)) {
        const tests = el.statements.filter((s) => isPairedStmt(s) || isCorrelateStmt(s));
        tests.forEach((s, k) => {
          const row = analysisRow(stored.report, el.name, k);
          if (row) add(s, analysisHeadline(row));
        });
      }
    }
    return hints;
  }
}

/** Where a block's name is (for code lenses and diagnostics). */
export function nameNode(el: AstNode) {
  return GrammarUtils.findNodeForProperty(el.$cstNode, 'name') ?? GrammarUtils.findNodeForProperty(el.$cstNode, 'base') ?? el.$cstNode;
}
