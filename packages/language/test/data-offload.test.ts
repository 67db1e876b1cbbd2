/**
 * The validator with the language server's data offload (validation/data-offload.ts), in process: while the
 * worker has the data, the checks that need none are reported at once and the ones against the data are
 * absent; when the worker cannot check them (here: a worker that exits at once), the document says so on
 * its data path instead of waiting for ever. (The worker's own answers, over a real server: data-offload-lsp.test.ts.)
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { URI } from 'langium';
import { afterAll, describe, expect, it } from 'vitest';
import { createStudyServices } from '../src/study-module.js';
import type { StudyFile } from '../src/generated/ast.js';
import { ketamineWith, tempFolder } from './helpers.js';

const dir = tempFolder();
const exiting = path.join(dir, 'exiting-worker.mjs');
writeFileSync(exiting, 'process.exit(3);\n');
const { shared, Study } = createStudyServices();
const checked: string[] = [];
Study.validation.DataOffload.enable({ workerPath: exiting, minBytes: 0, onChecked: (uri) => checked.push(uri) });
afterAll(() => Study.validation.DataOffload.dispose());

async function validate(text: string, name: string) {
  const uri = URI.file(path.join(dir, name));
  const documents = shared.workspace.LangiumDocuments;
  if (documents.hasDocument(uri)) documents.deleteDocument(uri);
  const doc = shared.workspace.LangiumDocumentFactory.fromString<StudyFile>(text, uri);
  documents.addDocument(doc);
  await shared.workspace.DocumentBuilder.build([doc], { validation: true });
  return doc.diagnostics ?? [];
}

describe('the validator while the data are checked elsewhere', () => {
  it('reports the checks that need no data at once, then why the data checks are missing', async () => {
    const text = ketamineWith('covariate age', 'covariate agee').replace('method REML', 'method REML\n    method ML');
    const first = await validate(text, 'spec.study');
    const messages = first.map((d) => d.message);
    // a check of the spec alone is there; the unknown column (which needs the data's columns) is not yet
    expect(messages).toContain("a model has one 'method' statement");
    expect(messages.some((m) => m.includes('agee'))).toBe(false);
    expect(Study.validation.DataOffload.isPending(URI.file(path.join(dir, 'spec.study')).toString())).toBe(true);

    // the worker stops without an answer: validated again, the document says so on its data path
    for (let i = 0; i < 200 && checked.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(checked).toEqual([URI.file(path.join(dir, 'spec.study')).toString()]);
    const again = await validate(text, 'spec.study');
    const failed = again.find((d) => d.message.startsWith('the checks against the data could not run'));
    expect(failed?.message).toBe('the checks against the data could not run: the data worker stopped (exit code 3)');
    expect(failed?.severity).toBe(2);
    expect(text.split('\n')[failed!.range.start.line].slice(failed!.range.start.character, failed!.range.end.character)).toBe('"ketamine.csv"');
    expect(again.map((d) => d.message)).toContain("a model has one 'method' statement");
  });
});
