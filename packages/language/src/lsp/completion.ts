/** Completion: keywords (Langium's default), column names from the data header, `let` names, covariance structures. */
import { AstUtils, GrammarAST, type MaybePromise } from 'langium';
import { DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type NextFeature } from 'langium/lsp';
import { CompletionItemKind, InsertTextFormat } from 'vscode-languageserver';
import { isStudyFile, type StudyFile } from '../generated/ast.js';
import { loadSpecData } from '../data-cache.js';
import type { LangiumServices } from 'langium/lsp';
import type { StudyServices } from '../study-module.js';
import type { DataOffload } from '../validation/data-offload.js';
import { columnSummary, type ColumnSummary } from '../validation/data-job.js';
import { COVARIANCE_LABELS, COVARIANCE_TYPES, isSpatial, SPATIAL_KINDS, studyInfo, unquote } from '../semantics.js';
import { COVARIANCE_DOCS } from '../keyword-docs.js';
import { columnDetail, completeFilterValues } from './filter-values.js';

/** The rules whose values are columns (all infer ColumnRef) and the names they are made of. */
const COLUMN_RULES = new Set(['ColumnRef', 'RandomColumnRef', 'FactorColumn', 'CoordinateRef', 'DescribeFirstRef', 'Name', 'NameButSubject', 'DescribeFirstName']);

export class StudyCompletionProvider extends DefaultCompletionProvider {
  private readonly offload: () => DataOffload | undefined;

  constructor(services: LangiumServices) {
    super(services);
    this.offload = () => (services as Partial<StudyServices>).validation?.DataOffload;
  }

  protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): MaybePromise<void> {
    const rule = AstUtils.getContainerOfType(next.feature, GrammarAST.isParserRule);
    if (rule && COLUMN_RULES.has(rule.name)) {
      // keywords that may also be column names are not offered as keywords here (but `ref` after a factor is)
      if (GrammarAST.isKeyword(next.feature)) return rule.name === 'FactorColumn' ? super.completionFor(context, next, acceptor) : undefined;
      return this.completeColumns(context, acceptor);
    }
    if (rule?.name === 'Literal') {
      // a filter's value: the column's values in the data
      completeFilterValues(context, acceptor, this.columnSummaries(context, 200));
      return super.completionFor(context, next, acceptor);
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

  /** The data file's columns (`levels`: up to that many values when the file is read here; the worker's summary has 12). */
  private columnSummaries(context: CompletionContext, levels?: number): ColumnSummary[] {
    const root = context.document.parseResult.value;
    if (!isStudyFile(root)) return [];
    const info = studyInfo(root as StudyFile);
    if (!info.data?.path) return [];
    const written = unquote(info.data.path);
    // a large file is read by the server's worker: its summary (none yet while it is read)
    const summaries = this.offload()?.columns(context.document, written);
    if (Array.isArray(summaries)) return summaries;
    if (summaries !== undefined) return [];
    const load = loadSpecData(context.document.uri, written);
    if (!load.ok) return [];
    return load.data.columns.map((c) => ({ ...columnSummary(c), ...(levels ? { levels: c.distinct.slice(0, levels).map(String) } : {}) }));
  }

  private completeColumns(context: CompletionContext, acceptor: CompletionAcceptor): void {
    const root = context.document.parseResult.value;
    if (!isStudyFile(root)) return;
    const info = studyInfo(root as StudyFile);
    for (const c of this.columnSummaries(context)) {
      const levels = c.distinctCount <= 10 ? `: ${c.levels.join(', ')}` : `, ${c.distinctCount} distinct values`;
      acceptor(context, {
        label: c.name,
        kind: CompletionItemKind.Field,
        detail: columnDetail(c, levels),
        sortText: '0' + c.name,
      });
    }
    for (const l of info.lets) {
      if ((l.$cstNode?.offset ?? 0) < context.offset) {
        acceptor(context, { label: l.name, kind: CompletionItemKind.Variable, detail: 'derived variable (let)', sortText: '0' + l.name });
      }
    }
  }
}
