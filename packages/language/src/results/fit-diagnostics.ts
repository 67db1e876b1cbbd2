/**
 * Fit notes as diagnostics: after a run, the notes of each model (non-convergence, non-positive-
 * definite Hessian, parameters on the boundary) and the models that could not be fitted are shown on
 * the model's name — while the results are current. Registered as a validation check, so they are
 * published with the spec's other diagnostics and disappear when the spec or data change.
 */
import type { ValidationAcceptor, ValidationChecks } from 'langium';
import { isAnalysisBlock, isDescribeBlock, isModelBlock, isSensitivityBlock, type StudyAstType, type StudyFile } from '../generated/ast.js';
import type { StudyResults } from './results-service.js';
import { blockModelName } from './targets.js';
import { containingDocument } from '../semantics.js';

export function fitNoteChecks(results: () => StudyResults): ValidationChecks<StudyAstType> {
  return {
    StudyFile: (root: StudyFile, accept: ValidationAcceptor) => {
      try {
        const document = containingDocument(root);
        if (!document) return;
        const uri = document.uri.toString();
        const stored = results().get(uri);
        if (!stored || results().isStale(uri, document.textDocument.getText())) return;
        for (const el of root.elements) {
          if (isAnalysisBlock(el) || isDescribeBlock(el)) {
            const kind = isAnalysisBlock(el) ? 'analysis' : 'describe';
            const failure = stored.failures.find((f) => f.name === el.name && (f as { kind?: string }).kind === kind);
            if (failure) accept('error', `${kind} ${el.name} could not be computed: ${failure.message}`, { node: el, property: 'name', code: 'fit-failed' });
            continue;
          }
          if (!isModelBlock(el) && !isSensitivityBlock(el)) continue;
          const name = blockModelName(el);
          const property = (isSensitivityBlock(el) && !el.name ? 'base' : 'name') as never;
          const failure = stored.failures.find((f) => f.name === name && (f as { kind?: string }).kind === 'model');
          if (failure) accept('error', `model ${name} could not be fitted: ${failure.message}`, { node: el, property, code: 'fit-failed' });
          const m = stored.report.models.find((x) => x.name === name);
          for (const note of m?.notes ?? []) {
            const severity = note.severity === 'error' ? 'error' : note.severity === 'warning' ? 'warning' : 'info';
            accept(severity, `model ${name}: ${note.message}`, { node: el, property, code: 'fit-note' });
          }
        }
      } catch {
        // results never break validation
      }
    },
  };
}
