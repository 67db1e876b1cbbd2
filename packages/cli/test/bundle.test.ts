/**
 * The bundled `study` (packages/cli/scripts/bundle.mjs, built by `npm run build`): the bin runs the bundle, and
 * each part of it is loaded only when a command needs it — `study --help` loads no language and no engine, a
 * text or JSON run no figure code (Observable Plot, linkedom) and no figures' numbers, `--out report.html`
 * both. The modules a process loads are recorded by a load hook (fixtures/trace-loads.mjs). The core (language
 * and engine, core.cjs) runs with the V8 code cache the build made, and without it (none, stale, corrupt) gives
 * the same output. How fast it is, is `npm run bench`'s business.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'bin', 'study.js');
const bundleDir = join(root, 'packages', 'cli', 'dist', 'bundle');
const trace = join(root, 'packages', 'cli', 'test', 'fixtures', 'trace-loads.mjs');
const spec = join(root, 'examples', 'ketamine', 'ketamine.study');

interface Manifest {
  entry: string;
  language: string;
  engine: string;
  html: string;
  plot: string;
  dom: string;
  /** the file holding the language server's services (study-module.js): none */
  lsp: string | null;
  commit: string | null;
}

interface Traced {
  code: number;
  out: string;
  err: string;
  /** the files of the bundle it loaded (their names), other files relative to the repository */
  loaded: string[];
  /** what the core's loader did with the code cache (scripts/core-loader.mjs): used, rejected, none; undefined: no core loaded */
  codeCache: string | undefined;
}

/** The bin (or another copy of it) in a child process with its module loads traced. */
function study(args: string[], env: Record<string, string> = {}, studyBin = bin, nodeFlags: string[] = []): Promise<Traced> {
  const log = join(mkdtempSync(join(tmpdir(), 'study-trace-')), 'loads.txt');
  const binBundle = join(dirname(studyBin), '..', 'dist', 'bundle');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...nodeFlags, '--import', trace, studyBin, ...args],
      { cwd: root, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, ...env, STUDY_TRACE_LOADS: log } },
      (error, stdout, stderr) => {
        const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
        const loaded = lines
          .filter((l) => l.startsWith('file:'))
          .map((u) => fileURLToPath(u))
          .map((f) => (f.startsWith(binBundle) ? basename(f) : f.slice(root.length + 1)));
        const codeCache = lines.find((l) => l.startsWith('code-cache: '))?.slice('code-cache: '.length);
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: stdout, err: stderr, loaded, codeCache });
      },
    );
  });
}

/** the report but for the provenance's time of the run */
const timeless = (text: string) => text.replace(/^\s*run at .*$/m, '');

const manifest = (): Manifest => JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8')) as Manifest;

describe('the bundled study command', () => {
  it('is built, and keeps the figure code (Observable Plot, linkedom) apart from the language and the engine', () => {
    expect(existsSync(join(bundleDir, 'study.mjs')), 'npm run build makes packages/cli/dist/bundle').toBe(true);
    const m = manifest();
    expect(m.language).toBeTruthy();
    expect(m.engine).toBeTruthy();
    expect(m.plot).toBe(m.html);
    expect(m.dom).toBe(m.html);
    expect([m.entry, m.language, m.engine]).not.toContain(m.html);
  });

  it('holds the headless language only: no language-server service, LSP provider or server library', () => {
    // (the manifest names the output file holding study-module.js, lsp/completion.js, langium's language server
    // or vscode-languageserver's server, from esbuild's metafile)
    expect(manifest().lsp).toBeNull();
  });

  it('reports the commit it was built from (clean checkouts), so a run starts no git', async () => {
    const m = manifest();
    const r = await study(['run', '--json', spec]);
    expect(r.code).toBe(0);
    const commit = (JSON.parse(r.out) as { provenance: { study: { commit: string } } }).provenance.study.commit;
    if (m.commit) expect(commit).toBe(m.commit);
    else expect(commit).toMatch(/^([0-9a-f]{40}(-dirty)?|unknown)$/);
  });

  it('study --help loads the entry of the bundle only: no language, no engine', async () => {
    const r = await study(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: study <command>');
    const m = manifest();
    expect(r.loaded).toContain(m.entry);
    expect(r.loaded).not.toContain('packages/cli/dist/main.js');
    for (const part of [m.language, m.engine, m.html]) expect(r.loaded).not.toContain(part);
  });

  it('study run --json: the language and the engine, no figure code and no figures', async () => {
    const r = await study(['run', '--json', spec]);
    expect(r.code).toBe(0);
    const m = manifest();
    expect(r.loaded).toEqual(expect.arrayContaining([m.entry, m.language, m.engine]));
    expect(r.loaded).not.toContain(m.html);
    const report = JSON.parse(r.out) as { models: unknown[]; figures?: unknown[] };
    expect(report.models.length).toBeGreaterThan(0);
    expect(report.figures).toBeUndefined();
  });

  it('study run --out report.html: the figure code too, and the figures drawn', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'study-bundle-')), 'report.html');
    const r = await study(['run', spec, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.loaded).toContain(manifest().html);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<svg');
  });

  it('STUDY_CLI_BUNDLE=0 runs the unbundled build, with the same report', async () => {
    const [bundled, unbundled] = await Promise.all([study(['run', spec]), study(['run', spec], { STUDY_CLI_BUNDLE: '0' })]);
    expect(unbundled.loaded).toContain('packages/cli/dist/main.js');
    expect(unbundled.loaded).not.toContain(manifest().entry);
    expect(unbundled.code).toBe(0);
    expect(timeless(unbundled.out)).toBe(timeless(bundled.out));
  });

  it('gives the messages of the unbundled CLI for a spec with syntax errors (its parser recovers the same way)', async () => {
    // (the bundle computes Chevrotain's follow sets, used to re-synchronise after an error, on first use:
    // scripts/bundle.mjs lazyFollows)
    const folder = mkdtempSync(join(tmpdir(), 'study-syntax-'));
    cpSync(join(root, 'examples', 'ketamine', 'ketamine.csv'), join(folder, 'ketamine.csv'));
    const bad = join(folder, 'bad.study');
    writeFileSync(
      bad,
      'study "syntax errors"\n\ndata "ketamine.csv"\nsubject patient\n\nmodel m {\n    outcome bdi\n    repeated visit 1..7 ]\n' +
        '    covariate age\n    random subject\n    cov UN ,\n    method REML\n}\n\ndescribe d {\n    age, sex\n    by by visit\n}\n',
    );
    const [bundled, unbundled] = await Promise.all([study(['check', bad]), study(['check', bad], { STUDY_CLI_BUNDLE: '0' })]);
    expect(bundled.code).toBe(1);
    expect(bundled.out + bundled.err).toContain("bad.study:11:12: error: expected a statement or '}', found ','");
    expect(bundled.out + bundled.err).toContain("bad.study:17:8: error: expected a name, found 'by'");
    expect(unbundled.code).toBe(1);
    expect(bundled.out).toBe(unbundled.out);
    expect(bundled.err).toBe(unbundled.err);
  });

  it('runs the core with the code cache the build made, and gives the same report without it', async () => {
    expect(existsSync(join(bundleDir, 'core.cjs.cache')), 'npm run build makes the code cache (scripts/code-cache.mjs)').toBe(true);
    const [cached, uncached] = await Promise.all([study(['run', spec]), study(['run', spec], { STUDY_CODE_CACHE: '0' })]);
    expect(cached.code).toBe(0);
    expect(cached.codeCache).toBe('used');
    expect(uncached.codeCache).toBe('none');
    expect(timeless(uncached.out)).toBe(timeless(cached.out));
    expect((await study(['--help'])).codeCache, 'study --help loads no core').toBeUndefined();
    // made under other V8 flags: V8 rejects it, the core is compiled from its source
    const otherFlags = await study(['run', spec], {}, bin, ['--no-opt']);
    expect(otherFlags.codeCache).toBe('rejected');
    expect(otherFlags.code).toBe(0);
    expect(timeless(otherFlags.out)).toBe(timeless(cached.out));
  });

  it('does not use a code cache made for another core.cjs, nor a corrupt one', async () => {
    // a copy of the CLI (bin, package.json, bundle), whose cache is then made stale or corrupt
    const copy = mkdtempSync(join(tmpdir(), 'study-cli-copy-'));
    cpSync(join(root, 'packages', 'cli', 'bin'), join(copy, 'bin'), { recursive: true });
    cpSync(join(root, 'packages', 'cli', 'package.json'), join(copy, 'package.json'));
    cpSync(bundleDir, join(copy, 'dist', 'bundle'), { recursive: true });
    const copyBin = join(copy, 'bin', 'study.js');
    const cacheFile = join(copy, 'dist', 'bundle', 'core.cjs.cache');
    const reference = await study(['run', spec]);
    const fresh = await study(['run', spec], {}, copyBin);
    expect(fresh.codeCache, 'a copy of the bundle uses its cache').toBe('used');
    // the record of another core.cjs: not used
    const record = JSON.parse(readFileSync(`${cacheFile}.json`, 'utf8')) as { sha256: string };
    writeFileSync(`${cacheFile}.json`, JSON.stringify({ ...record, sha256: record.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0')) }));
    const stale = await study(['run', spec], {}, copyBin);
    expect(stale.codeCache).toBe('none');
    // the right record, the cache's bytes damaged: not given to V8 (which does not check them and would crash)
    writeFileSync(`${cacheFile}.json`, JSON.stringify(record));
    const bytes = readFileSync(cacheFile);
    for (let i = 64; i < bytes.length; i += 997) bytes[i] ^= 0xff;
    writeFileSync(cacheFile, bytes);
    const corrupt = await study(['run', spec], {}, copyBin);
    expect(corrupt.codeCache).toBe('none');
    // (a copy outside the checkout knows its commit only if the bundle recorded it: a clean checkout's build)
    const sameRun = (text: string) => timeless(text).replace(/\(commit [^)]*\)/, '(commit)');
    for (const r of [fresh, stale, corrupt]) {
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(sameRun(r.out)).toBe(sameRun(reference.out));
    }
  });
});
