/**
 * Dependency injection for the Study language: Langium's default services plus the Study validator
 * and LSP providers. `createStudyServices` is the entry point for the language server and for tests.
 */
import {
  DefaultDocumentBuilder,
  DocumentState,
  EmptyFileSystem,
  inject,
  URI,
  type LangiumSharedCoreServices,
  type Module,
} from 'langium';
import {
  createDefaultModule,
  createDefaultSharedModule,
  DefaultDocumentUpdateHandler,
  type DefaultSharedModuleContext,
  type LangiumServices,
  type LangiumSharedServices,
  type PartialLangiumServices,
  type PartialLangiumSharedServices,
} from 'langium/lsp';
import { Emitter, type CancellationToken, type TextDocumentChangeEvent } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { StudyGeneratedModule, StudyGeneratedSharedModule } from './generated/module.js';
import { registerValidationChecks } from './study-validator.js';
import { StudyCoreModule, type StudyCoreAddedServices } from './study-core-module.js';
import { StudyCompletionProvider } from './lsp/completion.js';
import { StudyResults } from './results/results-service.js';
import { StudyResultsHoverProvider } from './results/results-hover.js';
import { StudyInlayHintProvider } from './results/inlay-hints.js';
import { StudyCodeLensProvider } from './results/code-lens.js';
import { fitNoteChecks } from './results/fit-diagnostics.js';
import { StudyDefinitionProvider } from './lsp/definition.js';
import { StudyCodeActionProvider } from './lsp/code-actions.js';
import { StudyDocumentSymbolProvider } from './lsp/symbols.js';
import { StudyFormatter } from './lsp/formatter.js';
import { StudySemanticTokenProvider } from './lsp/semantic-tokens.js';
import { clearDataCache, resolveDataPath } from './data-cache.js';
import { isStudyFile, type StudyFile } from './generated/ast.js';
import { studyInfo, unquote } from './semantics.js';

export type StudyAddedServices = StudyCoreAddedServices & {
  /** the results of runs (docs/lsp-protocol.md): hovers, inlay hints, code lenses and fit notes use them */
  results: {
    StudyResults: StudyResults;
  };
};

export type StudyServices = LangiumServices & StudyAddedServices;

/** The LSP providers and the results service, on top of the headless StudyCoreModule (study-core-module.ts). */
export const StudyModule: Module<StudyServices, PartialLangiumServices & StudyAddedServices> = {
  ...(StudyCoreModule as Module<StudyServices, PartialLangiumServices & StudyCoreAddedServices>),
  lsp: {
    CompletionProvider: (services) => new StudyCompletionProvider(services),
    DefinitionProvider: (services) => new StudyDefinitionProvider(services),
    HoverProvider: (services) => new StudyResultsHoverProvider(services, () => services.results.StudyResults),
    InlayHintProvider: (services) => new StudyInlayHintProvider(() => services.results.StudyResults),
    CodeLensProvider: (services) => new StudyCodeLensProvider(() => services.results.StudyResults),
    CodeActionProvider: () => new StudyCodeActionProvider(),
    DocumentSymbolProvider: () => new StudyDocumentSymbolProvider(),
    Formatter: () => new StudyFormatter(),
    SemanticTokenProvider: (services) => new StudySemanticTokenProvider(services),
  },
  results: {
    StudyResults: () => new StudyResults(),
  },
};

/** Chevrotain's own (eager) ALL(*) lookahead: Langium's default parser configuration. */
const EagerLookaheadModule: Module<StudyServices, PartialLangiumServices> = {
  parser: {
    ParserConfig: () => ({}),
  },
};

/**
 * Re-validates the specs that read a data file when that file changes on disk (the client reports
 * it through workspace/didChangeWatchedFiles; Langium watches every file).
 */
export class StudyDocumentBuilder extends DefaultDocumentBuilder {
  constructor(services: LangiumSharedCoreServices) {
    super(services);
  }

  override async update(changed: URI[], deleted: URI[], cancelToken?: CancellationToken): Promise<void> {
    const others = [...changed, ...deleted].filter((u) => !u.path.endsWith('.study')).map((u) => u.fsPath);
    if (others.length) {
      const changedPaths = new Set(others);
      for (const doc of this.langiumDocuments.all) {
        const root = doc.parseResult?.value;
        if (!isStudyFile(root)) continue;
        const data = studyInfo(root as StudyFile).data;
        if (!data?.path) continue;
        const p = resolveDataPath(doc.uri, unquote(data.path));
        if (changedPaths.has(p)) {
          clearDataCache(p);
          if (doc.state > DocumentState.ComputedScopes) this.resetToState(doc, DocumentState.ComputedScopes);
        }
      }
    }
    return super.update(changed, deleted, cancelToken);
  }
}

/**
 * Tells the results service about edits and saves: an edit abandons a fit in flight for the document
 * (and may make its results stale); a save may start a run (`study.runOnSave`). Declaring
 * `didSaveDocument` makes the server ask the client for save notifications.
 */
export class StudyDocumentUpdateHandler extends DefaultDocumentUpdateHandler {
  private readonly saved = new Emitter<string>();
  private readonly changed = new Emitter<string>();

  /** a document was saved (its URI) */
  get onDidSaveDocument() {
    return this.saved.event;
  }

  /** a document's text changed in the editor (its URI) */
  get onDidChangeDocument() {
    return this.changed.event;
  }

  override didChangeContent(change: TextDocumentChangeEvent<TextDocument>): void {
    super.didChangeContent(change);
    this.changed.fire(change.document.uri);
  }

  didSaveDocument(event: TextDocumentChangeEvent<TextDocument>): void {
    this.saved.fire(event.document.uri);
  }
}

export const StudySharedModule: Module<LangiumSharedServices, PartialLangiumSharedServices> = {
  workspace: {
    DocumentBuilder: (shared) => new StudyDocumentBuilder(shared),
  },
  lsp: {
    DocumentUpdateHandler: (shared) => new StudyDocumentUpdateHandler(shared),
  },
};

/**
 * Creates the shared and the Study services. Without a file system (`EmptyFileSystem`) the services
 * still read data files through node:fs for validation; the file system only serves workspace loading.
 */
export function createStudyServices(context: Partial<DefaultSharedModuleContext> = {}): {
  shared: LangiumSharedServices;
  Study: StudyServices;
} {
  const ctx: DefaultSharedModuleContext = { ...EmptyFileSystem, ...context } as DefaultSharedModuleContext;
  const shared = inject(createDefaultSharedModule(ctx), StudyGeneratedSharedModule, StudySharedModule);
  // the language server builds every decision's lookahead with its parsers, at start-up (server/main.ts), not on a
  // document's first parse while the client waits; headless (`study`, the workers) only the decisions it reaches
  const Study = context.connection
    ? inject(createDefaultModule({ shared }), StudyGeneratedModule, StudyModule, EagerLookaheadModule)
    : inject(createDefaultModule({ shared }), StudyGeneratedModule, StudyModule);
  shared.ServiceRegistry.register(Study);
  registerValidationChecks(Study);
  Study.validation.ValidationRegistry.register(fitNoteChecks(() => Study.results.StudyResults));
  if (!context.connection) {
    // headless use: no configuration provider messages will arrive
    shared.workspace.ConfigurationProvider.initialized({});
  }
  return { shared, Study };
}
