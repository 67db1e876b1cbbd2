import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { runStudyFile } from '@study/language';
import { KETAMINE_DIR, ketamineWith, tempFolder } from './helpers.js';
import { writeFileSync } from 'node:fs';

/** Paths of every NaN or infinite number in a report (JSON.stringify would hide them as null). */
function nonFiniteNumbers(value: unknown, at = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [at];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nonFiniteNumbers(v, `${at}/${k}`));
  return [];
}

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
    expect(r.report?.models.map((m) => m.name)).toEqual(['trajectory', 'sex_adjusted', 'bmi_adjusted', 'full_dose']);
    expect(r.plan?.models[0].spec.fixed).toEqual([['visit'], ['age'], ['visit', 'age']]);
  });

  it('reports an analysis that cannot be computed at its name, and still reports the model', async () => {
    const dir = tempFolder();
    // every patient has ptsd constant within themselves, but the selected ones all have ptsd = 0:
    // the correlation of a constant is undefined and must be said, not printed as NaN
    const spec = ketamineWith('correlate age with pct_change at visit 6 - pct_change at visit 7', 'correlate ptsd with pct_change at visit 6 - pct_change at visit 7\n    where ptsd == 0');
    writeFileSync(path.join(dir, 'k.study'), spec);
    const r = await runStudyFile(path.join(dir, 'k.study'));
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/^analysis durability could not be computed: correlation is undefined: the first variable is constant/);
    const line = spec.split('\n').findIndex((l) => l.startsWith('analysis durability')) + 1;
    expect(errors[0]).toMatchObject({ line, column: 10 });
    expect(r.report?.models).toHaveLength(4); // the model and its three sensitivity variants
    expect(nonFiniteNumbers(r.report)).toEqual([]);
  });
});
