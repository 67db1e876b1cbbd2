/**
 * The commands for reviewers and regulators (issue 12), as a user runs them (the built bin):
 * `study export sas|r`, the provenance manifest of every report, `study verify`, `study run --ard`, and
 * the sensitivity summary `study run` prints first for the ketamine example.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const bin = join(root, 'packages', 'cli', 'bin', 'study.js');
const exampleDir = join(root, 'examples', 'ketamine');
const example = join(exampleDir, 'ketamine.study');
const version = (JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function study(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout, err: stderr });
    });
  });
}

/** A copy of the ketamine example in a temp folder. */
function copy(): { dir: string; spec: string; csv: string } {
  const dir = mkdtempSync(join(tmpdir(), 'study-reviewers-'));
  copyFileSync(join(exampleDir, 'ketamine.csv'), join(dir, 'ketamine.csv'));
  copyFileSync(example, join(dir, 'ketamine.study'));
  return { dir, spec: join(dir, 'ketamine.study'), csv: join(dir, 'ketamine.csv') };
}

describe('study export', () => {
  it('sas: a PROC MIXED program on stdout, or in --out', async () => {
    const r = await study('export', 'sas', example);
    expect(r.code).toBe(0);
    expect(r.out).toContain('proc mixed data=work.m1 method=reml covtest cl;');
    expect(r.out).toContain('repeated visit / subject=patient type=un;');
    expect(r.out.match(/^proc mixed /gm)).toHaveLength(12); // 4 models x 3 candidates of select cov
    expect(r.out).toContain('/* sensitivity full_dose (a variant of model trajectory: exclude dose_adjusted == 1) */');
    expect(r.out).toContain('  if (not missing(dose_adjusted) and dose_adjusted = 1) then delete;');
    const out = join(copy().dir, 'k.sas');
    const w = await study('export', 'sas', example, '--out', out);
    expect(w).toMatchObject({ code: 0, out: '' });
    expect(readFileSync(out, 'utf8')).toBe(r.out);
  });

  it('r: an R script (gls, emmeans, t.test, cor.test)', async () => {
    const r = await study('export', 'r', example);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/gls\(m1_formula, data = m1, method = "REML", correlation = corSymm\(form = ~ \.pos \| patient\), weights = varIdent\(form = ~ 1 \| visit\)/);
    expect(r.out).toContain('emtrends(m1_fit, ~ visit, var = "age"');
    expect(r.out).toContain('t.test(x[ok], y[ok], paired = TRUE)');
    expect(r.out).toContain('cor.test(x[ok], y[ok], method = "pearson")');
  });

  it('usage errors (exit 2), a spec with errors (exit 1), never over the spec', async () => {
    expect((await study('export', 'spss', example)).code).toBe(2);
    expect((await study('export', 'sas')).code).toBe(2);
    const { spec } = copy();
    const before = readFileSync(spec, 'utf8');
    const over = await study('export', 'sas', spec, '--out', spec);
    expect(over.code).toBe(2);
    expect(over.err).toMatch(/is the spec itself/);
    expect(readFileSync(spec, 'utf8')).toBe(before);
    writeFileSync(spec, before.replace('covariate age', 'covariate agee'));
    const bad = await study('export', 'r', spec);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/unknown column 'agee'/);
    expect((await study('export', '--help')).out).toContain('Usage: study export sas|r FILE');
  });
});

describe('the provenance manifest', () => {
  it('in the JSON: spec and data SHA-256, rows read, Study version and commit, Node, platform, time', async () => {
    const before = Date.now();
    const r = await study('run', '--json', example);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.out).provenance;
    expect(p.spec).toEqual({ file: example, sha256: sha256(example) });
    expect(p.data).toEqual([{ file: 'ketamine.csv', path: join(exampleDir, 'ketamine.csv'), sha256: sha256(join(exampleDir, 'ketamine.csv')), rows: 343 }]);
    expect(p.study.version).toBe(version);
    expect(p.study.commit).toMatch(/^([0-9a-f]{40}(-dirty)?|unknown)$/);
    expect(p.node).toBe(process.version);
    expect(p.platform).toBe(`${process.platform} ${process.arch}`);
    expect(Date.parse(p.time)).toBeGreaterThanOrEqual(before - 1000);
    expect(Object.keys(JSON.parse(r.out)).slice(0, 3)).toEqual(['title', 'dataPath', 'provenance']);
  });

  it('in the text report header and the HTML report', async () => {
    const r = await study('run', example);
    const head = r.out.slice(0, r.out.indexOf('Sensitivity Analyses'));
    expect(head).toContain('Provenance:');
    expect(head).toContain(`spec    ${example}  sha256 ${sha256(example)}`);
    expect(head).toMatch(/data {4}\S+ketamine\.csv {2}sha256 [0-9a-f]{64} {2}\(343 rows read\)/);
    expect(head).toContain(`study   ${version} (commit `);
    const { dir } = copy();
    const html = join(dir, 'report.html');
    expect((await study('run', example, '--out', html)).code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain(`sha256 ${sha256(example)}`);
  });
});

describe('study verify', () => {
  it('re-runs the spec: every number reproduced (exit 0); a changed data file is named (exit 1)', async () => {
    const { dir, spec, csv } = copy();
    const report = join(dir, 'report.json');
    writeFileSync(report, (await study('run', '--json', spec)).out);
    const ok = await study('verify', report);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/numbers: all \d+ numbers reproduced/);
    expect(ok.out).toContain('REPRODUCED: every number');
    expect(ok.out).toContain(`data  ${csv}: unchanged`);
    // one BDI value changed in the data file
    const text = readFileSync(csv, 'utf8');
    writeFileSync(csv, text.replace(/^(P001,2,infusion2,0\.5,)(\d+)/m, (_, a, b) => `${a}${Number(b) + 3}`));
    expect(readFileSync(csv, 'utf8')).not.toBe(text);
    const changed = await study('verify', report);
    expect(changed.code).toBe(1);
    expect(changed.out).toContain(`data  ${csv}: CHANGED (sha256 ${createHash('sha256').update(text).digest('hex')} recorded, ${sha256(csv)} now)`);
    expect(changed.out).toMatch(/numbers: \d+ differences among \d+ numbers/);
    expect(changed.out).toMatch(/models\[0\]\.minus2ll: [\d.]+ recorded, [\d.]+ now/);
    expect(changed.out).toMatch(/NOT REPRODUCED: the data file .*ketamine\.csv changed/);
    writeFileSync(csv, text);
    expect((await study('verify', report)).code).toBe(0);
  }, 240_000);

  it('a changed spec, a spec elsewhere (--spec), and usage errors', async () => {
    const { dir, spec } = copy();
    const report = join(dir, 'report.json');
    writeFileSync(report, (await study('run', '--json', spec)).out);
    const moved = join(dir, 'moved.study');
    copyFileSync(spec, moved);
    expect((await study('verify', report, '--spec', moved)).code).toBe(0);
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('compare visit pairwise adjust tukey', 'compare visit pairwise adjust bonferroni'));
    const r = await study('verify', report);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/spec  .*ketamine\.study: CHANGED/);
    expect(r.out).toMatch(/adjust: "tukey" recorded, "bonferroni" now/);
    expect((await study('verify', join(dir, 'none.json'))).code).toBe(2);
    writeFileSync(join(dir, 'plain.json'), JSON.stringify({ models: [] }));
    expect((await study('verify', join(dir, 'plain.json'))).err).toMatch(/no provenance manifest/);
  }, 240_000);
});

describe('study run --ard', () => {
  it('the results as CDISC ARD: CSV on stdout, JSON with --out x.json', async () => {
    const r = await study('run', '--ard', example);
    expect(r.code).toBe(0);
    const lines = r.out.trimEnd().split('\r\n');
    expect(lines[0]).toBe('AnalysisId,MethodId,OperationId,model,sensitivity_of,method,group1,group1_level,group2,group2_level,variable,variable_level,context,stat_name,stat_label,stat,stat_fmt');
    expect(lines.some((l) => l.startsWith('trajectory:type3,MIXED_REML_TYPE3_BETWITHIN,MIXED_REML_TYPE3_BETWITHIN:statistic,trajectory,,') && l.endsWith(',4.81'))).toBe(true);
    expect(lines.some((l) => l.startsWith('full_dose:type3,') && l.includes(',trajectory,'))).toBe(true);
    const out = join(copy().dir, 'ard.json');
    expect((await study('run', '--ard', example, '--out', out)).code).toBe(0);
    const rows = JSON.parse(readFileSync(out, 'utf8'));
    expect(rows).toHaveLength(lines.length - 1);
    expect(existsSync(out)).toBe(true);
    expect((await study('run', '--ard', '--json', example)).code).toBe(2);
  });
});

describe('the sensitivity summary in study run', () => {
  it('is printed first for the ketamine example: the model and its three variants side by side', async () => {
    const r = await study('run', example);
    expect(r.code).toBe(0);
    const first = r.out.indexOf('Sensitivity Analyses of trajectory: the Variants');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(r.out.indexOf('Model trajectory'));
    for (const v of ['sex_adjusted', 'bmi_adjusted', 'full_dose']) expect(r.out.slice(first, r.out.indexOf('Model trajectory'))).toContain(v);
    // without the dose-adjusted patients, the age main effect's p crosses 0.05: marked
    expect(r.out).toMatch(/^age\s+Type 3 F\s+4\.74\s+1, 47\s+\.0345.*\.\d{4}\*\s+4$/m);
  });
});
