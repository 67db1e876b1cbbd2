import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { runStudyFile } from '@study/language';
import { KETAMINE_DIR, ketamineWith, tempFolder } from './helpers.js';
import { writeFileSync } from 'node:fs';

describe('runStudyFile', () => {
  it('does not run a spec with errors', async () => {
    const dir = tempFolder();
    writeFileSync(path.join(dir, 'bad.study'), ketamineWith('covariate age', 'covariate agee'));
    const r = await runStudyFile(path.join(dir, 'bad.study'));
    expect(r.report).toBeUndefined();
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual(["unknown column 'agee' in ketamine.csv; did you mean 'age'?"]);
  });

  it('runs the ketamine spec', async () => {
    const r = await runStudyFile(path.join(KETAMINE_DIR, 'ketamine.study'));
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.report?.models.map((m) => m.name)).toEqual(['trajectory']);
    expect(r.plan?.models[0].spec.fixed).toEqual([['visit'], ['age'], ['visit', 'age']]);
  });
});
