/** Plain-text helpers on a spec (no vscode API, unit-tested in test/spec-text.test.ts). */

/** The model block around the cursor: `model NAME {` … matching `}` (comments and strings skipped). */
export function modelAtOffset(text: string, offset: number): string | undefined {
  const re = /\b(model|sensitivity)\s+([A-Za-z_][A-Za-z0-9_]*)[^{}]*\{/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m.index > offset) break;
    let depth = 0, i = m.index + m[0].length - 1, end = text.length;
    for (; i < text.length; i++) {
      const ch = text[i];
      if (ch === '/' && text[i + 1] === '/') { i = text.indexOf('\n', i); if (i < 0) break; continue; }
      if (ch === '/' && text[i + 1] === '*') { i = text.indexOf('*/', i + 2); if (i < 0) break; i++; continue; }
      if (ch === '"' || ch === "'") { const q = ch; i++; while (i < text.length && text[i] !== q) { if (text[i] === '\\') i++; i++; } continue; }
      if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) { end = i; break; }
    }
    if (offset >= m.index && offset <= end) return m[2];
  }
  return undefined;
}

export function modelNames(text: string): string[] {
  return [...text.matchAll(/^\s*(?:model|sensitivity)\s+([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]);
}

