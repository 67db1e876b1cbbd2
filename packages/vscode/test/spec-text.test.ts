import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { modelAtOffset, modelNames } from '../src/spec-text.js';

const spec = readFileSync(new URL('../../../examples/ketamine/ketamine.study', import.meta.url), 'utf8');

describe('modelAtOffset (Study: Run Model at Cursor)', () => {
  it('finds the model block around the cursor', () => {
    expect(modelAtOffset(spec, spec.indexOf('covariate age'))).toBe('trajectory');
    expect(modelAtOffset(spec, spec.indexOf('model trajectory'))).toBe('trajectory');
  });
  it('is undefined outside model blocks', () => {
    expect(modelAtOffset(spec, spec.indexOf('data "'))).toBeUndefined();
    expect(modelAtOffset(spec, spec.indexOf('paired'))).toBeUndefined();
  });
  it('skips braces in comments and strings, and handles several models', () => {
    const text = 'model a {\n  outcome y // }\n  /* } */ where s == "}"\n}\nmodel b { outcome z }\n';
    expect(modelAtOffset(text, text.indexOf('where'))).toBe('a');
    expect(modelAtOffset(text, text.indexOf('outcome z'))).toBe('b');
    expect(modelNames(text)).toEqual(['a', 'b']);
  });
});
