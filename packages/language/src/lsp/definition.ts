/** Go to definition: from a use of a `let` variable to its definition (models are linked by Langium). */
import { CstUtils, GrammarUtils, type LangiumDocument, type MaybePromise } from 'langium';
import { DefaultDefinitionProvider } from 'langium/lsp';
import type { DefinitionParams, LocationLink } from 'vscode-languageserver';
import { isColumnRef, isLetDecl, isStudyFile, type StudyFile } from '../generated/ast.js';

export class StudyDefinitionProvider extends DefaultDefinitionProvider {
  override getDefinition(document: LangiumDocument, params: DefinitionParams): MaybePromise<LocationLink[] | undefined> {
    const root = document.parseResult.value;
    if (root.$cstNode && isStudyFile(root)) {
      const leaf = CstUtils.findLeafNodeAtOffset(root.$cstNode, document.textDocument.offsetAt(params.position));
      const node = leaf?.astNode;
      if (leaf && isColumnRef(node)) {
        const let_ = (root as StudyFile).elements.filter(isLetDecl).find((l) => l.name === node.column);
        const target = let_ && GrammarUtils.findNodeForProperty(let_.$cstNode, 'name');
        if (let_?.$cstNode && target) {
          return [
            {
              originSelectionRange: leaf.range,
              targetUri: document.uri.toString(),
              targetRange: let_.$cstNode.range,
              targetSelectionRange: target.range,
            },
          ];
        }
      }
    }
    return super.getDefinition(document, params);
  }
}
