/**
 * The `study` command as a user runs it: the built bin in a child process, its output and exit codes.
 * (`npm test` builds first.) Specs with errors are written to temp folders with a copy of the data.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'bin', 'study.js');
const example = join(root, 'examples', 'ketamine', 'ketamine.study');
const expected = JSON.parse(readFileSync(join(root, 'test', 'conformance', 'ketamine-synthetic', 'expected.json'), 'utf8'));

/** The built bin in a child process (asynchronous: the test worker stays responsive while it runs). */
function study(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

/** A copy of the ketamine example with one edit, in a temp folder beside a copy of its data. */
function exampleCopy(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'study-cli-'));
  copyFileSync(join(root, 'examples', 'ketamine', 'ketamine.csv'), join(dir, 'ketamine.csv'));
  const file = join(dir, 'ketamine.study');
  writeFileSync(file, edit(readFileSync(example, 'utf8')));
  return file;
}

describe('study --help', () => {
  it('prints usage for the tool and for each command', async () => {
    const top = await study('--help');
    expect(top.code).toBe(0);
    expect(top.out).toContain('Usage: study <command>');
    const check = await study('check', '--help');
    expect(check.code).toBe(0);
    expect(check.out).toContain('Usage: study check');
    const run = await study('run', '--help');
    expect(run.code).toBe(0);
    expect(run.out).toContain('--json');
  });

  it('exits 2 on usage errors, saying what is wrong', async () => {
    expect((await study()).code).toBe(2);
    const unknown = await study('fit');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'fit'");
    const noFile = await study('check');
    expect(noFile.code).toBe(2);
    expect(noFile.err).toContain('no file given');
    const badOption = await study('run', example, '--colour');
    expect(badOption.code).toBe(2);
    expect(badOption.err).toMatch(/colour/);
  });
});

describe('study check', () => {
  it('prints nothing and exits 0 for the ketamine example', async () => {
    const r = await study('check', example);
    expect(r).toMatchObject({ code: 0, out: '' });
  });

  it('shows information diagnostics with --verbose, still exit 0', async () => {
    const r = await study('check', '--verbose', example);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ketamine\.study:17:10: info: visit is tested at age = 0/);
  });

  it('reports a misspelled covariate at its position with a suggestion, exit 1', async () => {
    const file = exampleCopy((t) => t.replace('covariate age', 'covariate agee'));
    const r = await study('check', file);
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`${file}:11:15: error: unknown column 'agee' in ketamine.csv; did you mean 'age'?`);
  });

  it('reports an unreadable spec as an error', async () => {
    const r = await study('check', '/nonexistent/spec.study');
    expect(r.code).toBe(1);
    expect(r.out).toContain('/nonexistent/spec.study:1:1: error: cannot read');
  });
});

describe('study run', () => {
  it('prints the SAS-style report of the ketamine example', async () => {
    const r = await study('run', example);
    expect(r.code).toBe(0);
    for (const table of ['Model Information', 'Covariance Structure Selection', 'Covariance Parameter Estimates', 'Fit Statistics', 'Solution for Fixed Effects', 'Type 3 Tests of Fixed Effects', 'Estimates', 'Least Squares Means', 'Differences of Least Squares Means', 'Analysis durability']) {
      expect(r.out).toContain(table);
    }
    // the paper's F(4,47) for visit*age, as the reference prints it to 2 decimals
    expect(r.out).toMatch(/visit\*age\s+4\s+47\s+4\.81\s+\.0025/);
  });

  it('--json matches the reference values', async () => {
    const r = await study('run', example, '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const interaction = report.models[0].type3.find((t: { effect: string }) => t.effect === 'visit*age');
    const ref = expected.expected.type3.find((t: { effect: string }) => t.effect === 'time*age');
    expect(interaction.numdf).toBe(ref.numdf);
    expect(interaction.dendf).toBe(ref.dendf);
    expect(interaction.F).toBeCloseTo(ref.F, 3);
    expect(report.models[0].chosen_structure).toBe('UN');
    expect(report.other[0].statistic).toBeCloseTo(expected.expected.other[0].statistic, 4);
  });

  it('--out writes a self-contained HTML report', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'study-cli-')), 'report.html');
    const r = await study('run', example, '--out', out);
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Type 3 Tests of Fixed Effects');
    expect(html).not.toMatch(/<script/i);
  });

  it('refuses a spec with errors: diagnostics on stderr, exit 1, no report', async () => {
    const file = exampleCopy((t) => t.replace('covariate age', 'covariate agee'));
    const r = await study('run', file);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain("unknown column 'agee'");
  });
});
