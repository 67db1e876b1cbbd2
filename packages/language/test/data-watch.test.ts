import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { URI } from 'langium';
import { validationHelper } from 'langium/test';
import { createStudyServices } from '@study/language';
import { covered, tempFolder } from './helpers.js';

describe('data file changes', () => {
  it('re-validates open specs when their data file changes on disk', async () => {
    const { shared, Study } = createStudyServices();
    const dir = tempFolder({ 'w.csv': 'id,visit,y\nA,1,2\nA,2,3\nB,1,2\n' });
    const text = 'data "w.csv"\nsubject id\nmodel m { outcome score }\n';
    const { document } = await validationHelper(Study)(text, { documentUri: URI.file(path.join(dir, 'w.study')).toString() });
    expect(document.diagnostics?.map((d) => covered(text, d.range))).toEqual(['score']);
    writeFileSync(path.join(dir, 'w.csv'), 'id,visit,score\nA,1,2\nA,2,3\nB,1,2\n');
    await shared.workspace.DocumentBuilder.update([URI.file(path.join(dir, 'w.csv'))], []);
    const again = shared.workspace.LangiumDocuments.getDocument(document.uri)!;
    expect(again.diagnostics).toEqual([]);
  });
});
