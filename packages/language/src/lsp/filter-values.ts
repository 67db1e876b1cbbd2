/**
 * Completion of a column's values inside a filter: after `where PARAMCD == ` or `ANL01FL in (`, the
 * values of that column in the data file (quoted for a text column; a numeric column's levels when it
 * has few), with their counts' order as the data have them. Also the text that completion and hover
 * show for a column (its label from the file, when it has one).
 */
import { AstUtils } from 'langium';
import type { CompletionAcceptor, CompletionContext } from 'langium/lsp';
import { CompletionItemKind } from 'vscode-languageserver';
import { isCondition } from '../generated/ast.js';
import type { ColumnSummary } from '../validation/data-job.js';

/** A numeric column's values are offered when it has at most this many. */
const NUMERIC_VALUES = 20;

/** The column a filter compares at the cursor: `COL ==`, `COL !=`, `COL <`…, `COL in (…,`. */
export function filterColumnAt(context: CompletionContext): string | undefined {
  const condition = context.node ? AstUtils.getContainerOfType(context.node, isCondition) : undefined;
  if (condition?.column?.column) return condition.column.column;
  const text = context.textDocument.getText().slice(0, context.tokenOffset);
  const line = text.slice(text.lastIndexOf('\n') + 1);
  const m = /([_a-zA-Z]\w*)\s*(?:==|!=|<=|>=|<|>)\s*$/.exec(line) ?? /([_a-zA-Z]\w*)\s+in\s*\((?:[^()]*,)?\s*$/.exec(line);
  return m?.[1];
}

function quote(s: string): string {
  return JSON.stringify(s);
}

export function completeFilterValues(context: CompletionContext, acceptor: CompletionAcceptor, columns: ColumnSummary[]): void {
  const name = filterColumnAt(context);
  const c = name ? columns.find((x) => x.name === name) : undefined;
  if (!c) return;
  if (c.kind === 'numeric' && c.distinctCount > NUMERIC_VALUES) return;
  c.levels.forEach((v, i) => {
    acceptor(context, {
      label: c.kind === 'text' ? quote(v) : v,
      kind: CompletionItemKind.Value,
      detail: `a value of ${c.name}${c.label ? ` (${c.label})` : ''}`,
      sortText: String(i).padStart(4, '0'),
    });
  });
}

/** `FEV1 — Forced expiratory volume (L): numeric column…`: the label first when the file has one. */
export function columnDetail(c: ColumnSummary, levels: string): string {
  return `${c.label ? `${c.label} — ` : ''}${c.kind} column${levels}`;
}
