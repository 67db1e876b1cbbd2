/**
 * `study run` on fits the data cannot carry, as a user runs it (the built bin in a child process): a
 * model that cannot be fitted names its cause and exits 1; a fit that does not converge prints its
 * iteration history and SAS's warning, no inference, and exits 1 (the JSON says converged: false with
 * no tests); collinear covariates are aliased and named; the analysis plan's fallback chain.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'bin', 'study.js');

function study(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout, err: stderr });
    });
  });
}

/** subjects x visits of a simulated outcome y, with age, age2 = 2 age + 3 and an arm */
function dataCsv(subjects: number, visits: number): string {
  let s = 7;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
  const lines = ['id,visit,arm,age,age2,y'];
  for (let i = 0; i < subjects; i++) {
    const u = rand() * 4;
    const age = 40 + (i % 9);
    for (let v = 1; v <= visits; v++) lines.push(`S${i + 1},${v},${i % 2 ? 'A' : 'B'},${age},${2 * age + 3},${(10 + v + u + rand() * 2).toFixed(4)}`);
  }
  return lines.join('\n') + '\n';
}

function spec(model: string, subjects: number, visits: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'study-trust-'));
  writeFileSync(join(dir, 'data.csv'), dataCsv(subjects, visits));
  const file = join(dir, 'spec.study');
  writeFileSync(file, `data "data.csv"\nsubject id\n\nmodel m {\n${model}\n}\n`);
  return file;
}

describe('study run on fits the data cannot carry', () => {
  it('a 21-parameter UN on 3 subjects: refused with the cause on the model name (4:7), exit 1', async () => {
    const file = spec('    outcome y\n    repeated visit\n    fixed visit\n    random subject\n    cov UN', 3, 6);
    const r = await study('run', file);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `${file}:4:7: error: model m could not be fitted: the model has 21 covariance parameters but only 12 residual degrees of freedom (observations minus fixed-effect parameters): they cannot all be estimated\n`,
    );
  });

  it('a fit that does not converge: the warning and no tests in the JSON, exit 1', async () => {
    // visit 3 is visit 1 + visit 2 for every subject: the UN likelihood is unbounded (its R matrix
    // tends to singular), the iterations cannot converge
    let s = 3;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 4;
    const lines = ['id,visit,y'];
    for (let i = 0; i < 12; i++) {
      const a = 8 + rand();
      const b = 10 + rand();
      lines.push(`S${i},1,${a}`, `S${i},2,${b}`, `S${i},3,${a + b}`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'study-trust-'));
    writeFileSync(join(dir, 'data.csv'), lines.join('\n') + '\n');
    const file = join(dir, 'spec.study');
    writeFileSync(file, 'data "data.csv"\nsubject id\n\nmodel m {\n    outcome y\n    repeated visit\n    fixed visit\n    random subject\n    cov UN\n    compare visit pairwise\n}\n');
    const json = await study('run', '--json', file);
    expect(json.code).toBe(1);
    const m = (JSON.parse(json.out) as { models: { converged: boolean; type3: unknown[]; fixed: unknown[]; lsmeans: unknown[]; covparms: { se: unknown }[]; iterations: unknown[]; notes: { severity: string; message: string }[] }[] }).models[0]!;
    expect(m.converged).toBe(false);
    expect(m.type3).toEqual([]);
    expect(m.fixed).toEqual([]);
    expect(m.lsmeans).toEqual([]);
    expect(m.covparms.every((c) => c.se === null)).toBe(true);
    expect(m.iterations.length).toBeGreaterThan(1);
    const error = m.notes.find((n) => n.severity === 'error')!;
    expect(error.message).toMatch(/^WARNING: Did not converge \(step halving failed to reduce the objective function\)/);
    expect(error.message).toMatch(/No standard errors, tests, LS-means or estimates are reported/);
    // the text report: the iteration history, the last iteration's parameters, no Solution or Type 3 table
    const text = await study('run', file);
    expect(text.code).toBe(1);
    expect(text.out).toContain('Iteration History (m)');
    expect(text.out).toContain('Covariance Parameter Values At Last Iteration (did not converge) (m)');
    expect(text.out).not.toContain('Solution for Fixed Effects');
    expect(text.out).not.toContain('Type 3 Tests');
    expect(text.out).not.toContain('Least Squares Means');
  });

  it('collinear covariates: age2 is aliased and named, its Type 3 test has 0 df, exit 0', async () => {
    const file = spec('    outcome y\n    repeated visit\n    covariate age, age2\n    fixed visit + age + age2\n    random subject\n    cov CS', 20, 3);
    const r = await study('run', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('age2 is aliased: on the rows the model uses age2 = 3 Intercept + 2 age, so its coefficient is set to 0 (no standard error), as SAS does; Columns in X 6, rank 4');
    expect(r.out).toMatch(/age2\s+0\s+\.\s+\.\s+\.\s+\./);
    expect(r.out).toMatch(/age2\s+0\s+\.\s+\.\s+\./);
  });

  it('cov UN else CS: UN is refused on 4 subjects over 4 visits, CS is used and the report says why', async () => {
    const file = spec('    outcome y\n    repeated visit\n    fixed visit\n    random subject\n    cov UN else CS', 4, 4);
    const r = await study('run', file);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Covariance Structure Fallbacks \(m\)/);
    expect(r.out).toMatch(/UN\s+no\s+UN over 4 positions has 10 covariance parameters, and 4 subjects cannot identify them/);
    expect(r.out).toMatch(/CS\s+yes\s+\*/);
  });
});
