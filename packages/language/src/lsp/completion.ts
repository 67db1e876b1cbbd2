/** Completion: keywords (Langium's default), column names from the data header, `let` names, covariance structures. */
import { AstUtils, GrammarAST, type MaybePromise } from 'langium';
import { DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type NextFeature } from 'langium/lsp';
import { CompletionItemKind } from 'vscode-languageserver';
import { isStudyFile, type StudyFile } from '../generated/ast.js';
import { loadData, resolveDataPath } from '../data-cache.js';
import { studyInfo, unquote } from '../semantics.js';
import { COVARIANCE_TYPES } from '../plan-builder.js';
import { COVARIANCE_DOCS } from '../keyword-docs.js';

export class StudyCompletionProvider extends DefaultCompletionProvider {
  protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): MaybePromise<void> {
    const rule = AstUtils.getContainerOfType(next.feature, GrammarAST.isParserRule);
    if (rule?.name === 'ColumnRef' || rule?.name === 'RandomColumnRef' || rule?.name === 'Name' || rule?.name === 'NameButSubject') {
      // keywords that may also be column names are not offered as keywords here
      if (GrammarAST.isKeyword(next.feature)) return;
      return this.completeColumns(context, acceptor);
    }
    if (rule?.name === 'CovType') {
      for (const t of COVARIANCE_TYPES) acceptor(context, { label: t, kind: CompletionItemKind.EnumMember, documentation: COVARIANCE_DOCS[t] });
      return;
    }
    return super.completionFor(context, next, acceptor);
  }

  private completeColumns(context: CompletionContext, acceptor: CompletionAcceptor): void {
    const root = context.document.parseResult.value;
    if (!isStudyFile(root)) return;
    const info = studyInfo(root as StudyFile);
    if (info.data?.path) {
      const load = loadData(resolveDataPath(context.document.uri, unquote(info.data.path)));
      if (load.ok) {
        for (const c of load.data.columns) {
          const levels = c.distinct.length <= 10 ? `: ${c.distinct.join(', ')}` : `, ${c.distinct.length} distinct values`;
          acceptor(context, {
            label: c.name,
            kind: CompletionItemKind.Field,
            detail: `${c.kind} column${levels}`,
            sortText: '0' + c.name,
          });
        }
      }
    }
    for (const l of info.lets) {
      if ((l.$cstNode?.offset ?? 0) < context.offset) {
        acceptor(context, { label: l.name, kind: CompletionItemKind.Variable, detail: 'derived variable (let)', sortText: '0' + l.name });
      }
    }
  }
}
