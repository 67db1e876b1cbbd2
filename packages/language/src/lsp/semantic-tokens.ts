/** Semantic highlighting: data columns, derived variables, keywords, numbers, strings, structure names. */
import { AstUtils, CstUtils, GrammarAST, type AstNode } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenModifiers, SemanticTokenTypes } from 'vscode-languageserver';
import {
  isAnalysisBlock,
  isDescribeBlock,
  isColumnRef,
  isCovType,
  isLetDecl,
  isLiteral,
  isModelBlock,
  isSensitivityBlock,
  isStudyFile,
  type StudyFile,
} from '../generated/ast.js';

export class StudySemanticTokenProvider extends AbstractSemanticTokenProvider {
  private lets = new Set<string>();

  protected highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void | 'prune' | undefined {
    if (isStudyFile(node)) {
      this.lets = new Set((node as StudyFile).elements.filter(isLetDecl).map((l) => l.name));
    }
    // keywords that belong to this node
    if (node.$cstNode && !isColumnRef(node)) {
      for (const leaf of CstUtils.flattenCst(node.$cstNode)) {
        if (leaf.astNode === node && GrammarAST.isKeyword(leaf.grammarSource) && /^[A-Za-z]/.test(leaf.text)) {
          acceptor({ cst: leaf, type: SemanticTokenTypes.keyword });
        }
      }
    }
    if (isColumnRef(node)) {
      // `ref` in `factor ARMCD ref "PBO"` (the column itself may be spelt like a keyword: `factor type`)
      if (node.reference && node.$cstNode) {
        for (const leaf of CstUtils.flattenCst(node.$cstNode)) {
          const rule = GrammarAST.isKeyword(leaf.grammarSource) ? AstUtils.getContainerOfType(leaf.grammarSource, GrammarAST.isParserRule) : undefined;
          if (leaf.astNode === node && rule?.name === 'FactorColumn') acceptor({ cst: leaf, type: SemanticTokenTypes.keyword });
        }
      }
      const derived = this.lets.has(node.column);
      acceptor({ node, property: 'column', type: derived ? SemanticTokenTypes.variable : SemanticTokenTypes.property, modifier: derived ? [] : [SemanticTokenModifiers.readonly] });
    } else if (isLetDecl(node)) {
      acceptor({ node, property: 'name', type: SemanticTokenTypes.variable, modifier: SemanticTokenModifiers.declaration });
    } else if (isLiteral(node)) {
      if (node.text !== undefined) acceptor({ node, property: 'text', type: SemanticTokenTypes.string });
      else acceptor({ node, property: 'number', type: SemanticTokenTypes.number });
    } else if (isCovType(node)) {
      acceptor({ node, property: 'name', type: SemanticTokenTypes.enumMember });
      if (node.option !== undefined) acceptor({ node, property: 'option', type: SemanticTokenTypes.enumMember });
    } else if (isModelBlock(node) || isAnalysisBlock(node) || isDescribeBlock(node)) {
      acceptor({ node, property: 'name', type: SemanticTokenTypes.class, modifier: SemanticTokenModifiers.declaration });
    } else if (isSensitivityBlock(node)) {
      if (node.name) acceptor({ node, property: 'name', type: SemanticTokenTypes.class, modifier: SemanticTokenModifiers.declaration });
      acceptor({ node, property: 'base', type: SemanticTokenTypes.class });
    }
    return undefined;
  }
}
