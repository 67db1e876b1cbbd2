/** Completion: keywords (Langium's default), column names from the data header, `let` names, covariance structures. */
import { AstUtils, GrammarAST, type MaybePromise } from 'langium';
import { DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type NextFeature } from 'langium/lsp';
import { CompletionItemKind, InsertTextFormat } from 'vscode-languageserver';
import { isStudyFile, type StudyFile } from '../generated/ast.js';
import { loadSpecData } from '../data-cache.js';
import { COVARIANCE_LABELS, COVARIANCE_TYPES, isSpatial, SPATIAL_KINDS, studyInfo, unquote } from '../semantics.js';
import { COVARIANCE_DOCS } from '../keyword-docs.js';

/** The rules whose values are columns (all infer ColumnRef) and the names they are made of. */
const COLUMN_RULES = new Set(['ColumnRef', 'RandomColumnRef', 'FactorColumn', 'CoordinateRef', 'Name', 'NameButSubject']);

export class StudyCompletionProvider extends DefaultCompletionProvider {
  protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): MaybePromise<void> {
    const rule = AstUtils.getContainerOfType(next.feature, GrammarAST.isParserRule);
    if (rule && COLUMN_RULES.has(rule.name)) {
      // keywords that may also be column names are not offered as keywords here (but `ref` after a factor is)
      if (GrammarAST.isKeyword(next.feature)) return rule.name === 'FactorColumn' ? super.completionFor(context, next, acceptor) : undefined;
      return this.completeColumns(context, acceptor);
    }
    if (rule?.name === 'CovType') {
      const assignment = AstUtils.getContainerOfType(next.feature, GrammarAST.isAssignment);
      if (assignment?.feature === 'option') {
        // SP(<|>: the kind of spatial structure
        for (const [kind, t] of Object.entries(SPATIAL_KINDS)) acceptor(context, { label: kind, kind: CompletionItemKind.EnumMember, documentation: COVARIANCE_DOCS[t] });
        return;
      }
      if (assignment?.feature !== 'name') return super.completionFor(context, next, acceptor);
      for (const t of COVARIANCE_TYPES) {
        const label = COVARIANCE_LABELS[t];
        acceptor(context, {
          label,
          kind: CompletionItemKind.EnumMember,
          documentation: COVARIANCE_DOCS[t],
          // SP(EXP)(…): the coordinate columns go in the second parentheses
          ...(isSpatial(t) ? { insertText: `${label}($1)`, insertTextFormat: InsertTextFormat.Snippet } : {}),
        });
      }
      return;
    }
    return super.completionFor(context, next, acceptor);
  }

  private completeColumns(context: CompletionContext, acceptor: CompletionAcceptor): void {
    const root = context.document.parseResult.value;
    if (!isStudyFile(root)) return;
    const info = studyInfo(root as StudyFile);
    if (info.data?.path) {
      const load = loadSpecData(context.document.uri, unquote(info.data.path));
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
