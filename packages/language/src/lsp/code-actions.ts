/** Quick fixes: replace an unknown name by the suggested one ("did you mean 'age'?"). */
import type { LangiumDocument, MaybePromise } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import { CodeActionKind, type CodeAction, type CodeActionParams, type Command, type Diagnostic } from 'vscode-languageserver';
import type { SuggestionData } from '../study-validator.js';

export class StudyCodeActionProvider implements CodeActionProvider {
  getCodeActions(document: LangiumDocument, params: CodeActionParams): MaybePromise<Array<Command | CodeAction> | undefined> {
    const actions: CodeAction[] = [];
    for (const d of params.context.diagnostics) {
      const fix = quickFix(document, d);
      if (fix) actions.push(fix);
    }
    return actions;
  }
}

export function quickFix(document: LangiumDocument, d: Diagnostic): CodeAction | undefined {
  const data = d.data as SuggestionData | undefined;
  if (!data?.suggestion) return undefined;
  return {
    title: `Replace with '${data.suggestion}'`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [d],
    isPreferred: true,
    edit: { changes: { [document.textDocument.uri]: [{ range: d.range, newText: data.suggestion }] } },
  };
}
