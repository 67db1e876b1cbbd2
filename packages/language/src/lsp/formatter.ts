/**
 * Formatting: one statement per line, block contents indented by one level (4 spaces by default,
 * per the client's options), one space between words and after commas, none inside `2..6`,
 * `visit*age` or `TOEP(4)`, or before `,` `;` `)`.
 */
import { CstUtils, GrammarAST, type AstNode, type CstNode } from 'langium';
import { AbstractFormatter, Formatting } from 'langium/lsp';
import { isAnalysisBlock, isCovType, isDescribeBlock, isModelBlock, isSensitivityBlock, isStudyFile, isEffect, isLiteral, type StudyFile } from '../generated/ast.js';

const NO_SPACE_BEFORE = new Set([',', ';', ')', '..']);
const NO_SPACE_AFTER = new Set(['(', '..']);

function isBlock(node: AstNode): boolean {
  return isModelBlock(node) || isAnalysisBlock(node) || isSensitivityBlock(node) || isDescribeBlock(node);
}

function isStatement(node: AstNode): boolean {
  const c = node.$container;
  return !!c && (isStudyFile(c) || isBlock(c)) && !isBlock(node);
}

export class StudyFormatter extends AbstractFormatter {
  protected format(node: AstNode): void {
    if (isStudyFile(node)) {
      const f = this.getNodeFormatter(node);
      const els = (node as StudyFile).elements;
      if (els.length > 1) f.nodes(...els.slice(1)).prepend(Formatting.newLine({ allowMore: true }));
      return;
    }
    if (isBlock(node)) {
      const f = this.getNodeFormatter(node);
      const open = f.keyword('{');
      const close = f.keyword('}');
      f.interior(open, close).prepend(Formatting.indent({ allowMore: true }));
      close.prepend(Formatting.newLine());
      this.spaceLeaves(node, (leaf) => leaf.text === '{' || leaf.text === '}');
      open.prepend(Formatting.oneSpace());
      return;
    }
    if (isStatement(node)) this.spaceLeaves(node);
  }

  /** One space between the words of a statement (or block header), with the exceptions above. */
  private spaceLeaves(node: AstNode, stop?: (leaf: CstNode) => boolean): void {
    const cst = node.$cstNode;
    if (!cst) return;
    const f = this.getNodeFormatter(node);
    const leaves = CstUtils.flattenCst(cst).filter((l) => !l.hidden).toArray();
    let prev: CstNode | undefined;
    for (const leaf of leaves) {
      if (stop?.(leaf)) {
        if (leaf.text === '{') break;
        continue;
      }
      if (prev) {
        const region = f.cst([leaf]);
        const isOp = (l: CstNode) => isEffect(l.astNode) && (l.text === '*' || l.text === ':');
        const inEffect = isOp(leaf) || isOp(prev);
        const afterSign = prev.text === '-' && isLiteral(prev.astNode);
        // TOEP(4): the bands are part of the structure's name
        const bandsParen = leaf.text === '(' && isCovType(leaf.astNode);
        if (NO_SPACE_BEFORE.has(leaf.text) && GrammarAST.isKeyword(leaf.grammarSource)) region.prepend(Formatting.noSpace());
        else if (NO_SPACE_AFTER.has(prev.text) && GrammarAST.isKeyword(prev.grammarSource)) region.prepend(Formatting.noSpace());
        else if (inEffect || afterSign || bandsParen) region.prepend(Formatting.noSpace());
        else region.prepend(Formatting.oneSpace());
      }
      prev = leaf;
    }
  }
}
