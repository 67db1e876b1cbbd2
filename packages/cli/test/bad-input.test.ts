/**
 * `study` under bad input, as a user runs it (the built bin in a child process): data paths confined
 * to the spec's folder tree (--allow-outside-workspace lifts it), files that are not regular files,
 * `--out` that would overwrite an input, one line per syntax error (at most 20, then a summary), and
 * the new spec checks — each with its message, its line:col and the exit code.
 */
import { describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'bin', 'study.js');
const exampleDir = join(root, 'examples', 'ketamine');
const SPEC = readFileSync(join(exampleDir, 'ketamine.study'), 'utf8');
const CSV = join(exampleDir, 'ketamine.csv');

function study(...args: string[]): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, out: stdout, err: stderr, ms: Date.now() - started });
    });
  });
}

/** A temp folder with a copy of ketamine.csv and the ketamine spec reading `data "<written>"` (spec.study). */
function specFolder(written = 'ketamine.csv', edit: (t: string) => string = (t) => t): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'study-cli-'));
  copyFileSync(CSV, join(dir, 'ketamine.csv'));
  const file = join(dir, 'spec.study');
  writeFileSync(file, edit(SPEC.replace('data "ketamine.csv"', `data ${JSON.stringify(written)}`)));
  return { dir, file };
}

const outsideCsv = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'study-outside-'));
  copyFileSync(CSV, join(dir, 'ketamine.csv'));
  return join(dir, 'ketamine.csv');
};

const CLI_HINT = 'Study reads data only from the workspace; run with --allow-outside-workspace to allow it';

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('data files outside the spec folder tree', () => {
  it('`data "../../etc/passwd"`: one error on the path (3:6), exit 1', async () => {
    const probe = specFolder();
    const written = relative(probe.dir, '/etc/passwd');
    const { dir, file } = specFolder(written);
    const r = await study('check', file);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`${file}:3:6: error: data file /etc/passwd is outside the workspace (${dir}): ${CLI_HINT}\n`);
  });

  it('`data "/etc/shadow"`: the same, for check and run', async () => {
    const { dir, file } = specFolder('/etc/shadow');
    const line = `${file}:3:6: error: data file /etc/shadow is outside the workspace (${dir}): ${CLI_HINT}\n`;
    expect(await study('check', file)).toMatchObject({ code: 1, out: line });
    expect(await study('run', file)).toMatchObject({ code: 1, out: '', err: line });
  });

  it('a link in the spec folder pointing outside: refused, naming its target', async () => {
    const { dir, file } = specFolder('linked.csv');
    const target = outsideCsv();
    symlinkSync(target, join(dir, 'linked.csv'));
    const r = await study('check', file);
    expect(r.code).toBe(1);
    expect(r.out).toBe(`${file}:3:6: error: data file ${join(dir, 'linked.csv')} (a link to ${target}) is outside the workspace (${dir}): ${CLI_HINT}\n`);
  });

  it('--allow-outside-workspace: check is silent (exit 0) and run fits the model', async () => {
    const { file } = specFolder(outsideCsv());
    expect(await study('check', '--allow-outside-workspace', file)).toMatchObject({ code: 0, out: '' });
    const r = await study('run', file, '--allow-outside-workspace');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/visit\*age\s+4\s+47\s+4\.81\s+\.0025/);
  });
});

describe('files that are not regular files', () => {
  it('`data "/dev/zero"`: outside; allowed, a character device — promptly, exit 1', async () => {
    const { dir, file } = specFolder('/dev/zero');
    expect(await study('check', file)).toMatchObject({ code: 1, out: `${file}:3:6: error: data file /dev/zero is outside the workspace (${dir}): ${CLI_HINT}\n` });
    const r = await study('check', '--allow-outside-workspace', file);
    expect(r).toMatchObject({ code: 1, out: `${file}:3:6: error: data file /dev/zero is a character device, not a regular file: Study reads data only from regular files\n` });
    expect(r.ms).toBeLessThan(20_000);
    const run = await study('run', '--allow-outside-workspace', file);
    expect(run.code).toBe(1);
    expect(run.err).toContain('/dev/zero is a character device');
  });

  it.skipIf(!hasMkfifo())('a FIFO: refused without blocking, exit 1', async () => {
    const { dir, file } = specFolder('pipe.csv');
    execFileSync('mkfifo', [join(dir, 'pipe.csv')]);
    const r = await study('check', file);
    expect(r).toMatchObject({ code: 1, out: `${file}:3:6: error: data file ${join(dir, 'pipe.csv')} is a FIFO (named pipe), not a regular file: Study reads data only from regular files\n` });
    expect(r.ms).toBeLessThan(20_000);
  });

  it('a directory: refused, exit 1', async () => {
    const { dir, file } = specFolder('data');
    mkdirSync(join(dir, 'data'));
    expect(await study('check', file)).toMatchObject({ code: 1, out: `${file}:3:6: error: data file ${join(dir, 'data')} is a directory, not a regular file: Study reads data only from regular files\n` });
  });
});

describe('study run --out never overwrites an input', () => {
  it('refuses the spec, its data file, a link to the spec and a directory: exit 2, nothing written', async () => {
    const { dir, file } = specFolder();
    const data = join(dir, 'ketamine.csv');
    symlinkSync(file, join(dir, 'alias.html'));
    mkdirSync(join(dir, 'reports'));
    const before = [readFileSync(file, 'utf8'), readFileSync(data, 'utf8')];
    const cases: [string, string][] = [
      [file, `study run: --out ${file} is the spec itself (${file}): the report would overwrite it; write it to another file\n`],
      [data, `study run: --out ${data} is the spec's data file (${data}): the report would overwrite it; write it to another file\n`],
      [join(dir, 'alias.html'), `study run: --out ${join(dir, 'alias.html')} is the spec itself (${file}): the report would overwrite it; write it to another file\n`],
      [join(dir, 'reports'), `study run: --out ${join(dir, 'reports')} is a directory: give the report a file name (e.g. ${join(dir, 'reports', 'report.html')})\n`],
    ];
    for (const [out, message] of cases) {
      const r = await study('run', file, '--out', out);
      expect(r, out).toMatchObject({ code: 2, out: '', err: message });
    }
    // a relative path to the data file, written differently
    const r = await study('run', file, '--out', relative(root, join(dir, '.', 'ketamine.csv')));
    expect(r.code).toBe(2);
    expect([readFileSync(file, 'utf8'), readFileSync(data, 'utf8')]).toEqual(before);
    // another file is fine
    const ok = await study('run', file, '--out', join(dir, 'reports', 'report.html'));
    expect(ok.code).toBe(0);
    expect(existsSync(join(dir, 'reports', 'report.html'))).toBe(true);
  });
});

describe('one line per diagnostic', () => {
  it('a parser error: what was expected and what was found, at the token', async () => {
    const { file } = specFolder('ketamine.csv', (t) => t.replace('method REML', 'method foo'));
    const r = await study('check', file);
    expect(r).toMatchObject({ code: 1, out: `${file}:14:12: error: expected REML or ML, found 'foo'\n` });
  });

  it('at most 20 syntax errors, then one line with the count of the others', async () => {
    const { file } = specFolder('ketamine.csv', (t) => t + '\n' + Array.from({ length: 37 }, () => '@').join(' ') + '\n');
    const r = await study('check', file);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toHaveLength(21);
    const at = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.startsWith('@')) + 1; // the appended line
    expect(lines[0]).toBe(`${file}:${at}:1: error: unexpected character '@'`);
    expect(lines[19]).toBe(`${file}:${at}:39: error: unexpected character '@'`);
    expect(lines[20]).toBe(`${file}:${at}:41: error: … and 17 more syntax errors`);
  });
});

describe('spec errors and warnings', () => {
  it('two models with one name, a reversed range, and an empty spec: exit 1', async () => {
    const dup = specFolder('ketamine.csv', (t) => t + '\nmodel trajectory {\n    outcome bdi\n}\n');
    const dupLine = readFileSync(dup.file, 'utf8').split('\n').lastIndexOf('model trajectory {') + 1; // the appended model
    expect(await study('check', dup.file)).toMatchObject({ code: 1, out: `${dup.file}:${dupLine}:7: error: a model named trajectory is already defined at line 8\n` });

    const reversed = specFolder('ketamine.csv', (t) => t.replace('repeated visit 2..6', 'repeated visit 6..2'));
    expect(await study('check', reversed.file)).toMatchObject({ code: 1, out: `${reversed.file}:10:20: error: the range 6..2 is reversed: write 2..6\n` });

    const empty = specFolder('ketamine.csv', () => '');
    const line = `${empty.file}:1:1: error: the spec defines no model and no analysis: nothing to run\n`;
    expect(await study('check', empty.file)).toMatchObject({ code: 1, out: line });
    expect(await study('run', empty.file)).toMatchObject({ code: 1, out: '', err: line });
  });

  it('a numeric column as a random effect: a warning at the word, exit 0', async () => {
    const { file } = specFolder('ketamine.csv', (t) => t.replace('    random subject\n', '    random subject\n    random bmi by patient\n'));
    const r = await study('check', file);
    expect(r).toMatchObject({
      code: 0,
      out: `${file}:13:12: warning: bmi is numeric and not declared a factor: \`random bmi by patient\` is a random slope on its values; write \`factor bmi\` to make it a random effect per level\n`,
    });
  });
});
