import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { URI } from 'langium';
import { validationHelper } from 'langium/test';
import type { Diagnostic, Range } from 'vscode-languageserver';
import { createStudyServices } from '@study/language';
import type { StudyFile } from '../src/generated/ast.js';

export const services = createStudyServices().Study;
export const validate = validationHelper<StudyFile>(services);

export const KETAMINE_DIR = fileURLToPath(new URL('../../../examples/ketamine', import.meta.url));
export const KETAMINE_SPEC = readFileSync(path.join(KETAMINE_DIR, 'ketamine.study'), 'utf8');
export const KETAMINE_CSV = readFileSync(path.join(KETAMINE_DIR, 'ketamine.csv'), 'utf8');

/** A small FEV1 trial (12 subjects × 4 visits, two arms): fixtures/fev.csv. */
export const FEV_DIR = fileURLToPath(new URL('./fixtures', import.meta.url));
export const FEV_CSV = readFileSync(path.join(FEV_DIR, 'fev.csv'), 'utf8');

/** A fresh temp folder holding ketamine.csv (a copy) and any extra files. */
export function tempFolder(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'study-lang-'));
  writeFileSync(path.join(dir, 'ketamine.csv'), KETAMINE_CSV);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const shared = tempFolder();
let n = 0;

/** Validates `text` as a spec in a folder with ketamine.csv (or the given folder). */
export async function check(text: string, dir: string = shared) {
  const uri = URI.file(path.join(dir, `spec${++n}.study`)).toString();
  const result = await validate(text, { documentUri: uri });
  return { ...result, text };
}

/** The text a diagnostic's range covers. */
export function covered(text: string, range: Range): string {
  const lines = text.split('\n');
  if (range.start.line === range.end.line) return lines[range.start.line].slice(range.start.character, range.end.character);
  return [lines[range.start.line].slice(range.start.character), ...lines.slice(range.start.line + 1, range.end.line), lines[range.end.line].slice(0, range.end.character)].join('\n');
}

export function byCode(diags: Diagnostic[], code: string): Diagnostic[] {
  return diags.filter((d) => d.code === code);
}

/** The 0-based line of the first line of `text` containing `needle`. */
export function lineOf(text: string, needle: string, from = 0): number {
  return text.split('\n').findIndex((l, i) => i >= from && l.includes(needle));
}

/** The ketamine spec with one substring replaced. */
export function ketamineWith(from: string, to: string): string {
  if (!KETAMINE_SPEC.includes(from)) throw new Error(`not in the ketamine spec: ${from}`);
  return KETAMINE_SPEC.replace(from, to);
}
