/**
 * Chevrotain's ALL(*) lookahead (chevrotain-allstar, Langium's default), built per decision on first use
 * instead of for every alternative and option of the grammar when the parser is constructed. Chevrotain
 * asks the strategy for each decision's lookahead function in `performSelfAnalysis`, which computed the
 * first-token sets of all of them: about half of the parser's construction at every start of `study` and
 * of the language server, for decisions a spec may never reach. Here each function is a stub that builds
 * the real one (the same call, with the same options, on the same ATN) the first time the parser reaches
 * that decision, and then calls it directly. Parsing is unchanged.
 */
import { LLStarLookaheadStrategy, type LLStarLookaheadOptions } from 'chevrotain-allstar';

type AlternationOptions = Parameters<LLStarLookaheadStrategy['buildLookaheadForAlternation']>[0];
type OptionalOptions = Parameters<LLStarLookaheadStrategy['buildLookaheadForOptional']>[0];
type Lookahead = (this: unknown, ...args: never[]) => unknown;

export class LazyLLStarLookaheadStrategy extends LLStarLookaheadStrategy {
  constructor(options?: LLStarLookaheadOptions) {
    super(options);
  }

  override buildLookaheadForAlternation(options: AlternationOptions): ReturnType<LLStarLookaheadStrategy['buildLookaheadForAlternation']> {
    let built: Lookahead | undefined;
    const build = () => (built ??= super.buildLookaheadForAlternation(options) as unknown as Lookahead);
    return function (this: unknown, ...args: never[]) {
      return build().apply(this, args);
    } as unknown as ReturnType<LLStarLookaheadStrategy['buildLookaheadForAlternation']>;
  }

  override buildLookaheadForOptional(options: OptionalOptions): ReturnType<LLStarLookaheadStrategy['buildLookaheadForOptional']> {
    let built: Lookahead | undefined;
    const build = () => (built ??= super.buildLookaheadForOptional(options) as unknown as Lookahead);
    return function (this: unknown, ...args: never[]) {
      return build().apply(this, args);
    } as unknown as ReturnType<LLStarLookaheadStrategy['buildLookaheadForOptional']>;
  }
}
