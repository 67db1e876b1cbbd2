/**
 * The headless Study language: Langium's core services (parser, linker, validation; no LSP) plus the
 * Study validator. `study` (the CLI) and the workers parse and check specs with these; the language
 * server's services (study-module.ts) are these with the LSP providers on top.
 */
import { createDefaultCoreModule, createDefaultSharedCoreModule, EmptyFileSystem, inject, type DefaultSharedCoreModuleContext, type LangiumCoreServices, type LangiumSharedCoreServices, type Module, type PartialLangiumCoreServices } from 'langium';
import { StudyGeneratedModule, StudyGeneratedSharedModule, StudyLanguageMetaData } from './generated/module.js';
import { registerValidationChecks, StudyValidator } from './study-validator.js';
import { StudyDocumentValidator, StudyLexerErrorMessageProvider, StudyParserErrorMessageProvider } from './validation/syntax-messages.js';
import { DataOffload } from './validation/data-offload.js';
import { LazyLLStarLookaheadStrategy } from './lazy-lookahead.js';
import { StudyTokenBuilder } from './token-builder.js';

export type StudyCoreAddedServices = {
  validation: {
    StudyValidator: StudyValidator;
    /** the language server's checks against large data files, in its worker (off unless the server enables it) */
    DataOffload: DataOffload;
  };
};

export type StudyCoreServices = LangiumCoreServices & StudyCoreAddedServices;

/**
 * Langium's production mode: Chevrotain skips its checks of the grammar (left recursion, ambiguities)
 * when it builds the lexer and the parser, which halves the parser's construction at every start of
 * `study` and of the language server. Under vitest the checks run (`mode: 'development'`), so a grammar
 * change that breaks them fails the tests; STUDY_LANGIUM_MODE overrides either.
 */
export const LANGIUM_MODE: 'production' | 'development' =
  process.env.STUDY_LANGIUM_MODE === 'development' || process.env.STUDY_LANGIUM_MODE === 'production'
    ? process.env.STUDY_LANGIUM_MODE
    : process.env.VITEST
      ? 'development'
      : 'production';

export const StudyCoreModule: Module<StudyCoreServices, PartialLangiumCoreServices & StudyCoreAddedServices> = {
  LanguageMetaData: () => ({ ...StudyLanguageMetaData, mode: LANGIUM_MODE }),
  validation: {
    StudyValidator: (services) => new StudyValidator(() => services.validation.DataOffload),
    DataOffload: () => new DataOffload(),
    // syntax errors capped per document (validation/syntax-messages.ts)
    DocumentValidator: (services) => new StudyDocumentValidator(services),
  },
  parser: {
    // the lookahead of each grammar decision built when the parser first reaches it (lazy-lookahead.ts); a
    // getter, so that each parser (the document parser, the completion parser) gets a strategy of its own
    ParserConfig: () => ({
      get lookaheadStrategy() {
        return new LazyLLStarLookaheadStrategy({ logging: LANGIUM_MODE === 'production' ? () => undefined : undefined });
      },
    }),
    // keywords' longer alternatives found with each terminal's partial expression made once (token-builder.ts)
    TokenBuilder: () => new StudyTokenBuilder(),
    // one-line syntax messages, the same in the editor and in `study check`
    ParserErrorMessageProvider: (services) => new StudyParserErrorMessageProvider(() => services.Grammar),
    LexerErrorMessageProvider: () => new StudyLexerErrorMessageProvider(),
  },
};

/** The headless services: no connection, no file system (data files are read through node:fs for validation). */
export function createStudyCoreServices(context: Partial<DefaultSharedCoreModuleContext> = {}): {
  shared: LangiumSharedCoreServices;
  Study: StudyCoreServices;
} {
  const ctx = { ...EmptyFileSystem, ...context } as DefaultSharedCoreModuleContext;
  const shared = inject(createDefaultSharedCoreModule(ctx), StudyGeneratedSharedModule);
  const Study = inject(createDefaultCoreModule({ shared }), StudyGeneratedModule, StudyCoreModule);
  shared.ServiceRegistry.register(Study);
  registerValidationChecks(Study);
  // headless use: no configuration provider messages will arrive
  shared.workspace.ConfigurationProvider.initialized({});
  return { shared, Study };
}
