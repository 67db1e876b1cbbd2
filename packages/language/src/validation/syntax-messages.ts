/**
 * Syntax errors in one line each: what was expected and what was found ("expected REML or ML, found
 * 'foo'"), instead of Chevrotain's multi-line lists of token sequences. The parser and the lexer build
 * their messages here (Langium's ParserErrorMessageProvider and LexerErrorMessageProvider services), so
 * the editor, `study check` and every other client show the same text; StudyDocumentValidator keeps
 * the first MAX_SYNTAX_ERRORS of a document and sums up the rest in one more diagnostic.
 */
import { DefaultDocumentValidator, DocumentValidator, GrammarAST, type AstNode, type LangiumCoreServices, type LangiumDocument, type ValidationOptions } from 'langium';
import type { ILexerErrorMessageProvider, IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import type { CancellationToken, Diagnostic } from 'vscode-languageserver';
import { closest } from '../suggest.js';

/** Syntax errors shown per document; the others are counted in one last diagnostic. */
export const MAX_SYNTAX_ERRORS = 20;

/** Alternatives named in a message; more are cut to the first MAX_SHOWN - 1 and "…". */
const MAX_SHOWN = 5;

const TERMINALS: Record<string, string> = {
  ID: 'a name',
  NUMBER: 'a number',
  STRING: 'a quoted string',
  EOF: 'the end of the file',
};

/** The blocks whose statements end at `}`: their statement rule. */
const BLOCK_STATEMENTS: Record<string, string> = {
  ModelBlock: 'ModelStatement',
  SensitivityBlock: 'SensitivityStatement',
  AnalysisBlock: 'AnalysisStatement',
};

/** What the grammar tells the messages: the keywords that can be names, and the keywords that start statements. */
interface GrammarFacts {
  /** keywords accepted where a name (ID) is: `data`, `subject`, `test`, … (rule Name) */
  nameKeywords: Set<string>;
  /** the first keywords of each statement rule (`Element`, `ModelStatement`, …) */
  statementKeywords: Map<string, string[]>;
}

function parserRules(grammar: GrammarAST.Grammar): Map<string, GrammarAST.ParserRule> {
  const out = new Map<string, GrammarAST.ParserRule>();
  for (const r of grammar.rules) if (GrammarAST.isParserRule(r)) out.set(r.name, r);
  return out;
}

/** The keywords a grammar element can start with (ID and other terminals left out). */
function firstKeywords(el: GrammarAST.AbstractElement | undefined, rules: Map<string, GrammarAST.ParserRule>, seen: Set<string>): string[] {
  if (!el) return [];
  if (GrammarAST.isKeyword(el)) return [el.value];
  if (GrammarAST.isAssignment(el)) return firstKeywords(el.terminal, rules, seen);
  if (GrammarAST.isAlternatives(el)) return el.elements.flatMap((e) => firstKeywords(e, rules, seen));
  if (GrammarAST.isGroup(el)) {
    const out: string[] = [];
    for (const e of el.elements) {
      out.push(...firstKeywords(e, rules, seen));
      if (e.cardinality !== '?' && e.cardinality !== '*') break;
    }
    return out;
  }
  if (GrammarAST.isRuleCall(el)) {
    const name = el.rule.$refText;
    const rule = rules.get(name);
    if (!rule || seen.has(name)) return [];
    seen.add(name);
    return firstKeywords(rule.definition, rules, seen);
  }
  return [];
}

function allKeywords(el: AstNode | undefined, out: Set<string>, rules: Map<string, GrammarAST.ParserRule>, seen: Set<string>): void {
  if (!el) return;
  if (GrammarAST.isKeyword(el)) out.add(el.value);
  if (GrammarAST.isRuleCall(el)) {
    const name = el.rule.$refText;
    const rule = rules.get(name);
    if (rule && !seen.has(name)) {
      seen.add(name);
      allKeywords(rule.definition, out, rules, seen);
    }
    return;
  }
  for (const key of ['elements', 'terminal', 'definition']) {
    const v = (el as unknown as Record<string, unknown>)[key];
    if (Array.isArray(v)) for (const c of v) allKeywords(c as AstNode, out, rules, seen);
    else if (v && typeof v === 'object') allKeywords(v as AstNode, out, rules, seen);
  }
}

function grammarFacts(grammar: GrammarAST.Grammar | undefined): GrammarFacts {
  const facts: GrammarFacts = { nameKeywords: new Set(), statementKeywords: new Map() };
  if (!grammar) return facts;
  try {
    const rules = parserRules(grammar);
    const name = rules.get('Name');
    if (name) allKeywords(name.definition, facts.nameKeywords, rules, new Set(['Name']));
    for (const r of ['Element', ...Object.values(BLOCK_STATEMENTS)]) {
      const rule = rules.get(r);
      if (rule) facts.statementKeywords.set(r, [...new Set(firstKeywords(rule.definition, rules, new Set([r])))]);
    }
  } catch {
    // the messages stay correct without the grammar's help, only less specific
  }
  return facts;
}

function isWord(s: string): boolean {
  return /^[_a-zA-Z][\w-]*$/.test(s);
}

/** A token type as the user writes it: `REML`, `'}'`, "a name". */
function describeType(t: TokenType): string {
  const name = t.name;
  if (TERMINALS[name]) return TERMINALS[name];
  return isWord(name) ? name : `'${name}'`;
}

/** What was found: the token's text, or the end of the file. */
function describeFound(token: IToken | undefined): string {
  if (!token || token.tokenType?.name === 'EOF' || token.image === '') return 'the end of the file';
  const image = token.image.length > 30 ? token.image.slice(0, 29) + '…' : token.image;
  return `'${image.replace(/\s+/g, ' ')}'`;
}

/** "A", "A or B", "A, B or C"; more than MAX_SHOWN: "A, B, C, D, …". */
export function listAlternatives(items: string[]): string {
  if (items.length === 0) return 'something else';
  if (items.length === 1) return items[0];
  if (items.length > MAX_SHOWN) return `${items.slice(0, MAX_SHOWN - 1).join(', ')}, …`;
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

export class StudyParserErrorMessageProvider implements IParserErrorMessageProvider {
  private factsCache?: GrammarFacts;

  constructor(private readonly grammar?: () => GrammarAST.Grammar | undefined) {}

  private get facts(): GrammarFacts {
    this.factsCache ??= grammarFacts(this.grammar?.());
    return this.factsCache;
  }

  /** The expected token types, first tokens of each path, deduplicated; keywords that are names fold into "a name". */
  private expected(types: TokenType[]): string[] {
    const names = new Set(types.map((t) => t.name));
    const foldNames = names.has('ID');
    const out: string[] = [];
    for (const t of types) {
      if (foldNames && this.facts.nameKeywords.has(t.name)) continue;
      const d = describeType(t);
      if (!out.includes(d)) out.push(d);
    }
    return out;
  }

  private suggestion(found: IToken | undefined, keywords: string[]): string {
    if (!found || found.tokenType?.name !== 'ID') return '';
    const s = closest(found.image, keywords.filter(isWord));
    return s ? `; did you mean ${s}?` : '';
  }

  private message(types: TokenType[], found: IToken | undefined): string {
    const expected = this.expected(types);
    const keywords = types.map((t) => t.name).filter((n) => !TERMINALS[n] && !this.facts.nameKeywords.has(n));
    return `expected ${listAlternatives(expected)}, found ${describeFound(found)}${this.suggestion(found, keywords)}`;
  }

  buildMismatchTokenMessage(options: { expected: TokenType; actual: IToken; previous: IToken; ruleName: string }): string {
    // Langium's rule names end in a zero-width space
    const rule = (options.ruleName ?? '').replace(/[^\w]/g, '');
    const block = BLOCK_STATEMENTS[rule];
    if (block && options.expected.name === '}' && options.actual?.tokenType?.name !== 'EOF') {
      const statements = this.facts.statementKeywords.get(block) ?? [];
      return `expected a statement or '}', found ${describeFound(options.actual)}${this.suggestion(options.actual, statements)}`;
    }
    // the entry rule ends at the end of the file: what stands there instead is not a statement
    if (options.expected.name === 'EOF') return this.notAStatement(options.actual);
    return this.message([options.expected], options.actual);
  }

  private notAStatement(found: IToken | undefined): string {
    const statements = this.facts.statementKeywords.get('Element') ?? [];
    const what = statements.length ? `a statement (${listAlternatives(statements)})` : 'a statement';
    return `expected ${what}, found ${describeFound(found)}${this.suggestion(found, statements)}`;
  }

  buildNotAllInputParsedMessage(options: { firstRedundant: IToken; ruleName: string }): string {
    return this.notAStatement(options.firstRedundant);
  }

  buildNoViableAltMessage(options: { expectedPathsPerAlt: TokenType[][][]; actual: IToken[]; previous: IToken; customUserDescription?: string; ruleName: string }): string {
    const firsts = options.expectedPathsPerAlt.flatMap((alt) => alt.map((p) => p[0]).filter((t): t is TokenType => !!t));
    return this.message(firsts, options.actual[0]);
  }

  buildEarlyExitMessage(options: { expectedIterationPaths: TokenType[][]; actual: IToken[]; previous: IToken; customUserDescription?: string; ruleName: string }): string {
    const firsts = options.expectedIterationPaths.map((p) => p[0]).filter((t): t is TokenType => !!t);
    return this.message(firsts, options.actual[0]);
  }
}

function showChars(text: string): string {
  return [...text].map((c) => (/[\p{L}\p{N}\p{P}\p{S}]/u.test(c) ? c : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`)).join('');
}

export class StudyLexerErrorMessageProvider implements ILexerErrorMessageProvider {
  buildUnexpectedCharactersMessage(fullText: string, startOffset: number, length: number): string {
    const c = fullText.charAt(startOffset);
    if (c === '"' || c === "'") return `unterminated string: the ${c} here has no closing ${c}`;
    const text = fullText.substr(startOffset, Math.min(length, 20));
    const more = length > 20 ? '…' : '';
    return length > 1 ? `unexpected characters '${showChars(text)}${more}'` : `unexpected character '${showChars(text)}'`;
  }

  buildUnableToPopLexerModeMessage(token: IToken): string {
    return `unexpected ${describeFound(token)}`;
  }
}

function isSyntaxError(d: Diagnostic): boolean {
  const code = (d.data as { code?: string } | undefined)?.code;
  return code === DocumentValidator.LexingError || code === DocumentValidator.ParsingError;
}

/** The first MAX_SYNTAX_ERRORS syntax errors by position, then "… and N more syntax errors" where the next one is. */
export function capSyntaxErrors(diagnostics: Diagnostic[]): Diagnostic[] {
  const syntax = diagnostics.filter(isSyntaxError);
  if (syntax.length <= MAX_SYNTAX_ERRORS) return diagnostics;
  const byPosition = [...syntax].sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  const dropped = new Set(byPosition.slice(MAX_SYNTAX_ERRORS));
  const next = byPosition[MAX_SYNTAX_ERRORS];
  const more = syntax.length - MAX_SYNTAX_ERRORS;
  const summary: Diagnostic = {
    severity: next.severity,
    range: next.range,
    message: `… and ${more} more syntax error${more > 1 ? 's' : ''}`,
    data: next.data,
    ...(next.source ? { source: next.source } : {}),
  };
  const out = diagnostics.filter((d) => !dropped.has(d));
  out.splice(out.indexOf(byPosition[MAX_SYNTAX_ERRORS - 1]) + 1, 0, summary);
  return out;
}

/** Langium's document validator with the syntax errors capped (capSyntaxErrors). */
export class StudyDocumentValidator extends DefaultDocumentValidator {
  constructor(services: LangiumCoreServices) {
    super(services);
  }

  override async validateDocument(document: LangiumDocument, options?: ValidationOptions, cancelToken?: CancellationToken): Promise<Diagnostic[]> {
    return capSyntaxErrors(await super.validateDocument(document, options, cancelToken));
  }
}
