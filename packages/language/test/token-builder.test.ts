/**
 * StudyTokenBuilder (token-builder.ts) keeps each terminal's partial expression; the tokens it builds for the
 * Study grammar must be Langium's, token by token: name, pattern, and the longer alternatives of each keyword.
 */
import { describe, expect, it } from 'vitest';
import { DefaultTokenBuilder } from 'langium';
import type { TokenType } from 'chevrotain';
import { createStudyCoreServices } from '../src/study-core-module.js';
import { StudyTokenBuilder } from '../src/token-builder.js';

const describeToken = (t: TokenType) => ({
  name: t.name,
  pattern: t.PATTERN instanceof RegExp ? `/${t.PATTERN.source}/${t.PATTERN.flags}` : typeof t.PATTERN === 'function' ? 'function' : String(t.PATTERN),
  group: t.GROUP,
  longerAlt: (Array.isArray(t.LONGER_ALT) ? t.LONGER_ALT : t.LONGER_ALT ? [t.LONGER_ALT] : []).map((a) => a.name),
});

describe('the Study token builder', () => {
  it("builds Langium's tokens for the Study grammar, longer alternatives included", () => {
    const { Study } = createStudyCoreServices();
    const options = { caseInsensitive: Study.LanguageMetaData.caseInsensitive };
    const ours = new StudyTokenBuilder().buildTokens(Study.Grammar, options) as TokenType[];
    const langium = new DefaultTokenBuilder().buildTokens(Study.Grammar, options) as TokenType[];
    expect(ours.map(describeToken)).toEqual(langium.map(describeToken));
    // the check has something to check: keywords whose longer alternative is the identifier terminal
    expect(ours.filter((t) => describeToken(t).longerAlt.length > 0).length).toBeGreaterThan(20);
    expect(Study.parser.TokenBuilder).toBeInstanceOf(StudyTokenBuilder);
  });
});
