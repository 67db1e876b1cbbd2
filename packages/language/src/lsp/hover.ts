/** Hover: keyword documentation, the expanded model on `model`, column summaries on column names. */
import { CstUtils, GrammarAST, type LangiumDocument } from 'langium';
import { MultilineCommentHoverProvider } from 'langium/lsp';
import type { Hover, HoverParams } from 'vscode-languageserver';
import { isColumnRef, isCovType, isModelBlock, isSensitivityBlock, isStudyFile, type StudyFile } from '../generated/ast.js';
import { COVARIANCE_DOCS, KEYWORD_DOCS } from '../keyword-docs.js';
import { covarianceTypeOf, describeModel, effectiveModel, effectiveSensitivity, studyInfo, unquote } from '../semantics.js';
import { loadSpecData } from '../data-cache.js';
import type { LangiumServices } from 'langium/lsp';
import type { StudyServices } from '../study-module.js';
import type { DataOffload } from '../validation/data-offload.js';
import { columnSummary, type ColumnSummary } from '../validation/data-job.js';

const md = (value: string): Hover => ({ contents: { kind: 'markdown', value } });

export class StudyHoverProvider extends MultilineCommentHoverProvider {
  private readonly offload: () => DataOffload | undefined;

  constructor(services: LangiumServices) {
    super(services);
    this.offload = () => (services as Partial<StudyServices>).validation?.DataOffload;
  }

  override async getHoverContent(document: LangiumDocument, params: HoverParams): Promise<Hover | undefined> {
    try {
      const root = document.parseResult.value;
      if (!root.$cstNode || !isStudyFile(root)) return undefined;
      const offset = document.textDocument.offsetAt(params.position);
      const leaf = CstUtils.findLeafNodeAtOffset(root.$cstNode, offset);
      if (!leaf) return undefined;
      const node = leaf.astNode;
      const info = studyInfo(root as StudyFile);
      const subject = info.subject?.column?.column;
      const isKw = GrammarAST.isKeyword(leaf.grammarSource);
      if (isModelBlock(node) && (isKw ? leaf.text === 'model' : leaf.text === node.name)) {
        return md(`${KEYWORD_DOCS.model}\n\n${describeModel(effectiveModel(node), subject)}`);
      }
      if (isSensitivityBlock(node) && (isKw ? leaf.text === 'sensitivity' : true)) {
        const m = effectiveSensitivity(node, root as StudyFile);
        return md(`${KEYWORD_DOCS.sensitivity}${m ? `\n\n${describeModel(m, subject)}` : ''}`);
      }
      if (isKw) {
        const doc = KEYWORD_DOCS[leaf.text];
        return doc ? md(doc) : undefined;
      }
      if (isCovType(node)) {
        // the structure as a whole: `AR` in AR(1), `EXP` in SP(EXP)
        const type = covarianceTypeOf(node);
        const doc = type ? COVARIANCE_DOCS[type] : COVARIANCE_DOCS[node.name];
        return doc ? md(doc) : undefined;
      }
      if (isColumnRef(node)) {
        const let_ = info.lets.find((l) => l.name === node.column);
        if (let_) return md(`\`${node.column}\` — derived: ${let_.$cstNode?.text.replace(/\s+/g, ' ').replace(/^let\s+/, '')}`);
        if (info.data?.path) {
          const written = unquote(info.data.path);
          // a large file is read by the server's worker: its summary, or a note while it is read
          const summaries = this.offload()?.columns(document, written);
          if (summaries === 'pending') return md(`\`${node.column}\` — ${written} is being read and checked`);
          let c: ColumnSummary | undefined;
          if (summaries) c = summaries.find((x) => x.name === node.column);
          else {
            const load = loadSpecData(document.uri, written);
            const col = load.ok ? load.data.columns.find((x) => x.name === node.column) : undefined;
            if (col) c = columnSummary(col);
          }
          if (c) {
            const lv = c.distinctCount <= 12 ? `levels ${c.levels.join(', ')}` : `${c.distinctCount} distinct values`;
            return md(`\`${c.name}\`${c.label ? ` — ${c.label}` : ''} — ${c.kind} column of ${written}: ${lv}; ${c.missing} missing`);
          }
        }
        return undefined;
      }
      return await super.getHoverContent(document, params);
    } catch {
      return undefined;
    }
  }
}
