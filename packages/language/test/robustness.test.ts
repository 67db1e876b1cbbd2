import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as path from 'node:path';
import { URI } from 'langium';
import { buildPlan } from '@study/language';
import { check, KETAMINE_SPEC, services, tempFolder } from './helpers.js';

const logged: string[] = [];
beforeAll(() => {
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map((a) => (a instanceof Error ? a.stack : String(a))).join(' ')));
});
afterAll(() => vi.restoreAllMocks());

describe('keywords as column names', () => {
  it('accepts columns named like statements (subject, data, type, change, test)', async () => {
    const dir = tempFolder({ 'kw.csv': 'subject,visit,change,type,test,data\nA,1,1,x,0,5\nA,2,2,x,1,6\nB,1,3,y,0,7\nB,2,4,y,1,8\n' });
    const text = `data "kw.csv"
subject subject
where type == "x" or test == 1
model m {
    outcome change
    repeated visit
    covariate data
    factor type, test
    random intercept by subject
    fixed visit * data + type + test
}
analysis a {
    paired change at visit 1 vs visit 2
    correlate data at visit 1 with change at visit 2
}
`;
    const r = await check(text, dir);
    expect(r.diagnostics.filter((d) => d.severity === 1)).toEqual([]);
    const p = buildPlan(r.document);
    expect(p.subject).toBe('subject');
    expect(p.models[0].spec).toMatchObject({ response: 'change', classes: ['visit', 'type', 'test'], random: [{ terms: [[]], subject: 'subject' }] });
    expect(p.models[0].spec.fixed).toEqual([['visit'], ['data'], ['visit', 'data'], ['type'], ['test']]);
  });

  it('`random subject` keeps its meaning', async () => {
    const r = await check(KETAMINE_SPEC);
    expect(buildPlan(r.document).models[0].spec.random).toEqual([]);
  });
});

/** A tiny deterministic generator. */
function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

describe('robustness', () => {
  const uri = (i: number) => URI.file(path.join(tempFolder(), `fuzz${i}.study`)).toString();

  it('never throws on prefixes, token soup and deletions of the ketamine spec; LSP features answer', async () => {
    const rand = rng(42);
    const tokens = KETAMINE_SPEC.split(/(\s+)/);
    const inputs: string[] = [];
    for (let cut = 0; cut < KETAMINE_SPEC.length; cut += 37) inputs.push(KETAMINE_SPEC.slice(0, cut));
    for (let i = 0; i < 40; i++) {
      inputs.push(tokens.filter(() => rand() > 0.15).join(''));
      inputs.push(Array.from({ length: 30 }, () => tokens[Math.floor(rand() * tokens.length)]).join(' '));
    }
    let i = 0;
    for (const text of inputs) {
      const r = await check(text);
      expect(Array.isArray(r.diagnostics)).toBe(true);
      const doc = r.document;
      const id = { uri: doc.textDocument.uri };
      const pos = doc.textDocument.positionAt(Math.floor(text.length / 2));
      await services.lsp.HoverProvider!.getHoverContent(doc, { textDocument: id, position: pos });
      await services.lsp.DocumentSymbolProvider!.getSymbols(doc, { textDocument: id });
      await services.lsp.Formatter!.formatDocument(doc, { textDocument: id, options: { tabSize: 4, insertSpaces: true } });
      await services.lsp.CompletionProvider!.getCompletion(doc, { textDocument: id, position: pos });
      await services.lsp.SemanticTokenProvider!.semanticHighlight(doc, { textDocument: id });
      void uri(i++);
    }
    expect(logged.filter((l) => l.includes('Ambiguous'))).toEqual([]);
    // no check failed internally (each is guarded, but should not happen)
    expect(logged.filter((l) => l.includes('failed'))).toEqual([]);
  });
});
