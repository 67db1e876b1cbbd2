/**
 * Data paths confined to the workspace (validation/data-access.ts): `..` escapes, absolute paths and
 * links that leave the spec's folder tree (or the configured workspace folders) are refused on the path
 * string; devices, FIFOs, directories and files over the size limit are refused before anything opens
 * them; `allowOutside` lifts the workspace rule. Validation, hover, completion, runs and the results
 * service all go through the same check, and nothing reads a refused file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { URI } from 'langium';
import { parseDocument } from 'langium/test';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import { configureDataAccess, createStudyServices, dataReadCount, MAX_DATA_FILE_BYTES, resetDataAccess, runStudyFile } from '@study/language';
import { StudyResults } from '../src/results/results-service.js';
import { check, covered, KETAMINE_CSV, KETAMINE_SPEC, tempFolder } from './helpers.js';

afterEach(() => resetDataAccess());

/** The ketamine spec reading `data "<written>"`. */
const specWith = (written: string) => KETAMINE_SPEC.replace('data "ketamine.csv"', `data ${JSON.stringify(written)}`);

/** The one diagnostic on the data line (line 3 of the ketamine spec). */
async function dataDiagnostic(written: string, dir = tempFolder()): Promise<{ d: Diagnostic; word: string; all: Diagnostic[] }> {
  const text = specWith(written);
  const r = await check(text, dir);
  const onData = r.diagnostics.filter((d) => d.range.start.line === 2);
  expect(onData, JSON.stringify(r.diagnostics.map((d) => d.message))).toHaveLength(1);
  return { d: onData[0], word: covered(text, onData[0].range), all: r.diagnostics };
}

const HINT = 'run with --allow-outside-workspace / set study.allowDataOutsideWorkspace to allow it';

/** A folder outside every other temp folder, holding a copy of ketamine.csv. */
function outsideFolder(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'study-outside-'));
  writeFileSync(path.join(dir, 'ketamine.csv'), KETAMINE_CSV);
  return dir;
}

function hasMkfifo(): boolean {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('data paths outside the workspace (the spec folder tree)', () => {
  it('`data "../../etc/passwd"`: an error on the path, nothing read', async () => {
    const dir = tempFolder();
    const written = path.relative(dir, '/etc/passwd');
    expect(written.startsWith('..')).toBe(true);
    const before = dataReadCount();
    const { d, word } = await dataDiagnostic(written, dir);
    expect(d.severity).toBe(DiagnosticSeverity.Error);
    expect(d.code).toBe('data-outside-workspace');
    expect(d.message).toBe(`data file /etc/passwd is outside the workspace (${dir}): Study reads data only from the workspace; ${HINT}`);
    expect(word).toBe(JSON.stringify(written));
    expect(d.range.start).toEqual({ line: 2, character: 5 });
    expect(dataReadCount()).toBe(before);
  });

  it('`data "/etc/shadow"`: refused whether or not it exists or can be read', async () => {
    const dir = tempFolder();
    const { d } = await dataDiagnostic('/etc/shadow', dir);
    expect(d.message).toBe(`data file /etc/shadow is outside the workspace (${dir}): Study reads data only from the workspace; ${HINT}`);
    const missing = await dataDiagnostic('/nonexistent-study-dir/x.csv', dir);
    expect(missing.d.message).toMatch(/^data file \/nonexistent-study-dir\/x\.csv is outside the workspace/);
  });

  it('a link inside the spec folder whose target is outside: refused, naming the target', async () => {
    const dir = tempFolder();
    const target = path.join(outsideFolder(), 'ketamine.csv');
    symlinkSync(target, path.join(dir, 'linked.csv'));
    const { d, word } = await dataDiagnostic('linked.csv', dir);
    expect(d.message).toBe(`data file ${path.join(dir, 'linked.csv')} (a link to ${target}) is outside the workspace (${dir}): Study reads data only from the workspace; ${HINT}`);
    expect(word).toBe('"linked.csv"');
    // a folder link that leaves the workspace is the same
    symlinkSync(path.dirname(target), path.join(dir, 'elsewhere'));
    expect((await dataDiagnostic('elsewhere/ketamine.csv', dir)).d.message).toContain('is outside the workspace');
  });

  it('a link that stays inside, and a subfolder, are read', async () => {
    const dir = tempFolder();
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'k.csv'), KETAMINE_CSV);
    symlinkSync(path.join(dir, 'data', 'k.csv'), path.join(dir, 'current.csv'));
    for (const written of ['current.csv', 'data/k.csv', './data/../ketamine.csv']) {
      const r = await check(specWith(written), dir);
      expect(r.diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error), written).toEqual([]);
    }
  });

  it('--allow-outside-workspace / study.allowDataOutsideWorkspace: an outside file is read', async () => {
    const dir = tempFolder();
    const outside = path.join(outsideFolder(), 'ketamine.csv');
    configureDataAccess({ allowOutside: true });
    const r = await check(specWith(outside), dir);
    expect(r.diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error)).toEqual([]);
    const spec = path.join(dir, 'outside.study');
    writeFileSync(spec, specWith(outside));
    const run = await runStudyFile(spec);
    expect(run.error).toBeUndefined();
    expect(run.report?.models[0]?.name).toBe('trajectory');
  });

  it('the workspace folders, when set, replace the spec folder (a spec may read beside its folder, not beyond)', async () => {
    const workspace = tempFolder();
    mkdirSync(path.join(workspace, 'specs'));
    configureDataAccess({ roots: [workspace], allowHint: 'set study.allowDataOutsideWorkspace to allow it' });
    const inside = await check(specWith('../ketamine.csv'), path.join(workspace, 'specs'));
    expect(inside.diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error)).toEqual([]);
    const outside = path.join(outsideFolder(), 'ketamine.csv');
    const { d } = await dataDiagnostic(outside, path.join(workspace, 'specs'));
    expect(d.message).toBe(`data file ${outside} is outside the workspace (${workspace}): Study reads data only from the workspace; set study.allowDataOutsideWorkspace to allow it`);
    // a spec outside every workspace folder falls back to its own folder tree
    const lone = tempFolder();
    const r = await check(specWith('ketamine.csv'), lone);
    expect(r.diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error)).toEqual([]);
  });
});

describe('files that are not regular files, or too large: refused before reading', () => {
  it('`data "/dev/zero"`: outside the workspace; allowed outside, a character device — promptly, never read', async () => {
    const dir = tempFolder();
    expect((await dataDiagnostic('/dev/zero', dir)).d.message).toMatch(/^data file \/dev\/zero is outside the workspace/);
    configureDataAccess({ allowOutside: true });
    const started = Date.now();
    const before = dataReadCount();
    const { d, word } = await dataDiagnostic('/dev/zero', dir);
    expect(d.message).toBe('data file /dev/zero is a character device, not a regular file: Study reads data only from regular files');
    expect(d.code).toBe('data-error');
    expect(word).toBe('"/dev/zero"');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(dataReadCount()).toBe(before);
  });

  it.skipIf(!hasMkfifo())('a FIFO in the spec folder: refused, the check does not block', async () => {
    const dir = tempFolder();
    execFileSync('mkfifo', [path.join(dir, 'pipe.csv')]);
    const started = Date.now();
    const { d } = await dataDiagnostic('pipe.csv', dir);
    expect(d.message).toBe(`data file ${path.join(dir, 'pipe.csv')} is a FIFO (named pipe), not a regular file: Study reads data only from regular files`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a directory: refused', async () => {
    const dir = tempFolder();
    mkdirSync(path.join(dir, 'data.csv'));
    const { d, word } = await dataDiagnostic('data.csv', dir);
    expect(d.message).toBe(`data file ${path.join(dir, 'data.csv')} is a directory, not a regular file: Study reads data only from regular files`);
    expect(word).toBe('"data.csv"');
  });

  it(`a file over the size limit (${MAX_DATA_FILE_BYTES} bytes): refused from its size, not read`, async () => {
    const dir = tempFolder();
    const big = path.join(dir, 'big.csv');
    closeSync(openSync(big, 'w'));
    truncateSync(big, MAX_DATA_FILE_BYTES + 1); // sparse: no disk space used
    const before = dataReadCount();
    const { d } = await dataDiagnostic('big.csv', dir);
    expect(d.message).toBe(`data file ${big} is 2 GiB (${MAX_DATA_FILE_BYTES + 1} bytes), over the limit of 2 GiB for a data file: it is not read (\`data duckdb "big.csv"\` fits an R-side model from it in DuckDB, without reading it into Study)`);
    expect(dataReadCount()).toBe(before);
    // the limit is the policy's: a small limit refuses the example's data the same way
    configureDataAccess({ maxBytes: 1000 });
    const small = await dataDiagnostic('ketamine.csv', dir);
    const bytes = statSync(path.join(dir, 'ketamine.csv')).size;
    expect(small.d.message).toBe(`data file ${path.join(dir, 'ketamine.csv')} is ${Number((bytes / 1024).toFixed(1))} KiB (${bytes} bytes), over the limit of 1000 bytes for a data file: it is not read (\`data duckdb "ketamine.csv"\` fits an R-side model from it in DuckDB, without reading it into Study)`);
  });
});

describe('every reader goes through the check', () => {
  it('completion and hover offer no columns of a refused file; run and the results service refuse it', async () => {
    const dir = tempFolder();
    const outside = outsideFolder();
    const text = specWith(path.join(outside, 'ketamine.csv'));
    const file = path.join(dir, 'spec.study');
    writeFileSync(file, text);
    const { Study } = createStudyServices();
    const uri = URI.file(file).toString();
    const document = await parseDocument(Study, text, { documentUri: uri });
    const before = dataReadCount();
    const line = text.split('\n').findIndex((l) => l.includes('covariate age'));
    const completion = await Study.lsp.CompletionProvider!.getCompletion(document, { textDocument: { uri }, position: { line, character: '    covariate '.length } });
    expect((completion?.items ?? []).map((i) => i.label)).not.toContain('bdi');
    const hover = await Study.lsp.HoverProvider!.getHoverContent(document, { textDocument: { uri }, position: { line, character: '    covariate a'.length } });
    expect(JSON.stringify(hover ?? '')).not.toContain('numeric column');

    const run = await runStudyFile(file);
    expect(run.report).toBeUndefined();
    expect(run.error).toContain('is outside the workspace');
    const results = new StudyResults({ inProcess: true });
    results.attach(undefined, { openDocument: (u) => (u === uri ? { text, version: 1 } : undefined) });
    await expect(results.run({ uri })).rejects.toThrow(/is outside the workspace/);
    expect(dataReadCount()).toBe(before);
    expect(readFileSync(path.join(outside, 'ketamine.csv'), 'utf8')).toBe(KETAMINE_CSV);
    // allowed outside, the same requests see the data
    configureDataAccess({ allowOutside: true });
    const allowed = await Study.lsp.CompletionProvider!.getCompletion(document, { textDocument: { uri }, position: { line, character: '    covariate '.length } });
    expect((allowed?.items ?? []).map((i) => i.label)).toContain('bdi');
    expect(dataReadCount()).toBe(before + 1);
  });
});
