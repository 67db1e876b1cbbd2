/**
 * Langium's token builder, with each terminal's partial regular expression made once. For every keyword
 * Langium asks which terminals could also match it, and longer (its LONGER_ALT): RegExpUtils.partialMatches,
 * which rewrites the terminal's expression into a partial one at each call — once per keyword and terminal,
 * ~7 ms of the ~45 ms that building the parser took at every start of `study` and of the language server.
 * The answer is the same: the same partial expression (partialRegExp of the same source), matched the same way.
 */
import { DefaultTokenBuilder, RegExpUtils, type GrammarAST } from 'langium';
import type { TokenType } from 'chevrotain';

export class StudyTokenBuilder extends DefaultTokenBuilder {
  private readonly partials = new Map<string, RegExp>();

  protected override findLongerAlt(keyword: GrammarAST.Keyword, terminalTokens: TokenType[]): TokenType[] {
    return terminalTokens.reduce((longerAlts: TokenType[], token) => {
      const pattern = token?.PATTERN as RegExp | undefined;
      if (pattern?.source && this.partialMatches('^' + pattern.source + '$', keyword.value)) longerAlts.push(token);
      return longerAlts;
    }, []);
  }

  /** RegExpUtils.partialMatches(source, input), the partial expression of `source` kept */
  private partialMatches(source: string, input: string): boolean {
    let partial = this.partials.get(source);
    if (!partial) this.partials.set(source, (partial = RegExpUtils.partialRegExp(source)));
    const match = input.match(partial);
    return !!match && match[0].length > 0;
  }
}
