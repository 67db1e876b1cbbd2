/** Outline: study, data, subject, lets, filters, models (with sensitivity variants), analyses, describe blocks. */
import { GrammarUtils, type AstNode, type LangiumDocument, type MaybePromise } from 'langium';
import type { DocumentSymbolProvider } from 'langium/lsp';
import { SymbolKind, type DocumentSymbol, type DocumentSymbolParams } from 'vscode-languageserver';
import {
  isAnalysisBlock,
  isDataDecl,
  isDescribeBlock,
  isFilterStmt,
  isLetDecl,
  isModelBlock,
  isSensitivityBlock,
  isStudyFile,
  isStudyTitle,
  isSubjectDecl,
  type StudyFile,
} from '../generated/ast.js';
import { nodeText, sensitivityName, unquote } from '../semantics.js';

function symbol(node: AstNode, name: string, kind: SymbolKind, detail?: string, nameProperty?: string, children?: DocumentSymbol[]): DocumentSymbol | undefined {
  const range = node.$cstNode?.range;
  if (!range) return undefined;
  const sel = (nameProperty && GrammarUtils.findNodeForProperty(node.$cstNode, nameProperty)?.range) || range;
  return { name: name || '?', kind, range, selectionRange: sel, ...(detail ? { detail } : {}), ...(children ? { children } : {}) };
}

export class StudyDocumentSymbolProvider implements DocumentSymbolProvider {
  getSymbols(document: LangiumDocument, _params: DocumentSymbolParams): MaybePromise<DocumentSymbol[]> {
    const root = document.parseResult.value;
    if (!isStudyFile(root)) return [];
    const out: DocumentSymbol[] = [];
    for (const el of (root as StudyFile).elements) {
      let s: DocumentSymbol | undefined;
      if (isStudyTitle(el)) s = symbol(el, unquote(el.title ?? ''), SymbolKind.File, 'study', 'title');
      else if (isDataDecl(el)) s = el.engine ? symbol(el, `${el.engine} ${el.file ? unquote(el.file) : `env ${el.env}`}${el.table ? ` table ${el.table}` : ''}`, SymbolKind.File, 'data', el.file ? 'file' : 'table') : symbol(el, unquote(el.path ?? ''), SymbolKind.File, 'data', 'path');
      else if (isSubjectDecl(el)) s = symbol(el, el.column?.column ?? '', SymbolKind.Key, 'subject', 'column');
      else if (isLetDecl(el)) s = symbol(el, el.name, SymbolKind.Variable, nodeText(el).replace(/^let\s+\S+\s*=\s*/, ''), 'name');
      else if (isFilterStmt(el)) s = symbol(el, nodeText(el), SymbolKind.Event, el.mode);
      else if (isModelBlock(el)) s = symbol(el, el.name, SymbolKind.Class, 'model', 'name');
      else if (isSensitivityBlock(el)) s = symbol(el, sensitivityName(el, root as StudyFile), SymbolKind.Class, `sensitivity of ${el.base?.$refText ?? '?'}`, el.name ? 'name' : 'base');
      else if (isAnalysisBlock(el)) s = symbol(el, el.name, SymbolKind.Function, 'analysis', 'name');
      else if (isDescribeBlock(el)) s = symbol(el, el.name, SymbolKind.Struct, 'describe', 'name');
      if (s) out.push(s);
    }
    return out;
  }
}
