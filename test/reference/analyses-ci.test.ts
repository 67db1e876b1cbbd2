/** The durability analysis' confidence limits against R (analyses-ci.R wrote analyses-ci.json). */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runStudyFile } from '@study/language';

const here = dirname(fileURLToPath(import.meta.url));
const ref = JSON.parse(readFileSync(join(here, 'analyses-ci.json'), 'utf8'));
const close = (a: number | undefined, e: number) => expect(Math.abs((a ?? NaN) - e)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(e)));

describe('paired t and correlation intervals (R t.test, cor.test)', () => {
  it('match R on the ketamine durability analysis', async () => {
    const r = await runStudyFile(join(here, '..', 'conformance', 'ketamine-synthetic', 'spec.study'));
    const [paired, corr] = r.report!.other;
    for (const k of ['estimate', 't', 'df', 'p', 'lower', 'upper', 'n'] as const) close(paired[k], ref.paired[k]);
    close(corr.statistic, ref.correlation.r);
    for (const k of ['t', 'df', 'p', 'lower', 'upper', 'n'] as const) close(corr[k], ref.correlation[k]);
  });
});
