/**
 * `study export sas|r`, `study verify` and the helpers `study run --ard` uses: the CLI's side of
 * issue 12 (reviewers and regulators). All the logic is in the language and engine packages; this
 * module parses arguments, writes files and prints.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { engine, language } from './core-modules.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

let versionCache: string | undefined;

/** The CLI's version, from its package.json (found upwards from this module, in the build or the bundle). */
export function cliVersion(): string {
  if (versionCache) return versionCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (json.name === '@study/cli' && json.version) return (versionCache = json.version);
      } catch {
        // keep looking
      }
    }
    dir = dirname(dir);
  }
  return (versionCache = 'unknown');
}

export const EXPORT_USAGE = `Usage: study export sas|r FILE [--out FILE] [--allow-outside-workspace]

Writes the spec as a runnable program that fits the same models to the same data:
  sas    a SAS program: a DATA step that reads the data as Study reads it, the let variables and
         filters, one PROC MIXED per model and sensitivity variant (one per candidate of select cov),
         PROC TTEST / PROC CORR for the analyses
  r      an R script: nlme::gls (R-side), lme4 + lmerTest (G-side), nlme::lme (both), emmeans, t.test /
         cor.test; \`Rscript script.R --json numbers.json\` also writes its numbers as JSON
Where the other program cannot compute what Study computes, a comment says so (and R fits nothing it
cannot fit the same way).
  --out FILE                 write the program to FILE (never over the spec or its data) instead of stdout
  --allow-outside-workspace  read a data file outside the spec's folder tree
Exit status: 0 on success, 1 when the spec has errors or its data cannot be read, 2 on usage errors.
`;

export const VERIFY_USAGE = `Usage: study verify REPORT.json [--spec FILE] [--allow-outside-workspace]

Re-runs the spec a JSON report (study run --json) was made from, as its provenance manifest names it,
and compares every number: equal, or within 1e-12 relative (|a - b| <= 1e-12 max(|a|, |b|)); every text
and count exactly. Says whether the spec and each data file are unchanged (SHA-256) and which numbers differ.
  --spec FILE                the spec to re-run (default: the one the manifest names)
  --allow-outside-workspace  read a data file outside the spec's folder tree
Exit status: 0 when every number is reproduced, 1 when not (or the spec cannot be run), 2 on usage errors
(no such report, not a Study JSON report, no provenance manifest).
`;

export async function exportCommand(format: string, file: string, out: string | undefined, io: Io, outProblem: (out: string, inputs: string[]) => string | undefined): Promise<number> {
  if (format !== 'sas' && format !== 'r') {
    io.err(`study export: the format is sas or r, not '${format}'\n\n${EXPORT_USAGE}`);
    return 2;
  }
  const { exportStudyFile, studyInputFiles } = await language();
  if (out !== undefined) {
    const problem = outProblem(out, studyInputFiles(resolve(file)));
    if (problem) {
      io.err(`study export: ${problem}\n`);
      return 2;
    }
  }
  const result = await exportStudyFile(resolve(file), format, { version: cliVersion() });
  for (const d of result.diagnostics) {
    if (d.severity === 'error' || d.severity === 'warning') io.err(`${file}:${d.line}:${d.column}: ${d.severity}: ${d.message.replace(/\s*[\r\n]+\s*/g, ' ')}\n`);
  }
  if (result.text === undefined) {
    io.err(`study export: ${result.error ?? 'the spec could not be exported'}\n`);
    return 1;
  }
  if (out !== undefined) {
    writeFileSync(out, result.text);
    io.err(`${format === 'sas' ? 'SAS program' : 'R script'} written to ${out}\n`);
  } else io.out(result.text);
  return 0;
}

/** Where `a` and `b` differ (JSON paths), numbers within 1e-12 relative; `count` counts the numbers compared. */
export function reportDifferences(a: unknown, b: unknown, path = '', acc: { count: number; diffs: string[] } = { count: 0, diffs: [] }): { count: number; diffs: string[] } {
  const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v) : Array.isArray(v) ? `[${v.length} items]` : v && typeof v === 'object' ? '{…}' : String(v));
  if (typeof a === 'number' && typeof b === 'number') {
    acc.count++;
    if (!(a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)))) acc.diffs.push(`${path}: ${a} recorded, ${b} now`);
    return acc;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) acc.diffs.push(`${path}: ${a.length} items recorded, ${b.length} now`);
    for (let i = 0; i < Math.min(a.length, b.length); i++) reportDifferences(a[i], b[i], `${path}[${i}]`, acc);
    return acc;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in (a as object))) acc.diffs.push(`${p}: not in the recorded report, ${show((b as Record<string, unknown>)[k])} now`);
      else if (!(k in (b as object))) acc.diffs.push(`${p}: ${show((a as Record<string, unknown>)[k])} recorded, absent now`);
      else reportDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], p, acc);
    }
    return acc;
  }
  if (a !== b) {
    if (typeof a === 'number' || typeof b === 'number') acc.count++;
    acc.diffs.push(`${path}: ${show(a)} recorded, ${show(b)} now`);
  }
  return acc;
}

interface RecordedProvenance {
  spec?: { file?: string; sha256?: string };
  data?: { file?: string; path?: string; sha256?: string; rows?: number }[];
  study?: { version?: string; commit?: string };
  time?: string;
}

export async function verifyCommand(reportFile: string, specOverride: string | undefined, io: Io): Promise<number> {
  let recorded: Record<string, unknown>;
  try {
    recorded = JSON.parse(readFileSync(reportFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    io.err(`study verify: cannot read ${reportFile} as JSON: ${(e as Error).message}\n`);
    return 2;
  }
  if (!recorded || typeof recorded !== 'object' || !Array.isArray(recorded.models)) {
    io.err(`study verify: ${reportFile} is not a Study JSON report (study run --json)\n`);
    return 2;
  }
  const prov = recorded.provenance as RecordedProvenance | undefined;
  if (!prov?.spec?.file || !prov.spec.sha256) {
    io.err(`study verify: ${reportFile} has no provenance manifest (it was made by a Study without one): re-run the spec with study run --json\n`);
    return 2;
  }
  const { runStudyFile, fileSha256, sha256 } = await language();
  const specFile = resolve(specOverride ?? prov.spec.file);
  let specText: string;
  try {
    specText = readFileSync(specFile, 'utf8');
  } catch (e) {
    io.out(`NOT REPRODUCED: the spec ${specFile} cannot be read (${(e as Error).message}); give its new place with --spec\n`);
    return 1;
  }
  const problems: string[] = [];
  const lines: string[] = [`Verifying ${reportFile} (made ${prov.time ?? 'at an unknown time'} by study ${prov.study?.version ?? '?'}, commit ${prov.study?.commit ?? '?'})`];
  const specSha = sha256(specText);
  if (specSha === prov.spec.sha256) lines.push(`  spec  ${specFile}: unchanged (sha256 ${specSha})`);
  else {
    lines.push(`  spec  ${specFile}: CHANGED (sha256 ${prov.spec.sha256} recorded, ${specSha} now)`);
    problems.push(`the spec ${specFile} changed`);
  }
  for (const d of prov.data ?? []) {
    const now = d.path ? fileSha256(d.path) : undefined;
    if (!d.path && d.sha256?.startsWith('not computed')) {
      // data in a database (`data postgres …`): no file to hash; the re-run's numbers say whether they changed
      lines.push(`  data  ${d.file}: not hashed (the data are in a database); checked through the numbers below`);
      continue;
    }
    if (now === undefined) {
      lines.push(`  data  ${d.path ?? d.file}: MISSING (sha256 ${d.sha256} recorded; the file cannot be read now)`);
      problems.push(`the data file ${d.path ?? d.file} cannot be read`);
    } else if (now === d.sha256) lines.push(`  data  ${d.path}: unchanged (sha256 ${now}, ${d.rows} rows read)`);
    else {
      lines.push(`  data  ${d.path}: CHANGED (sha256 ${d.sha256} recorded, ${now} now)`);
      problems.push(`the data file ${d.path} changed (its SHA-256 differs from the manifest's)`);
    }
  }
  const result = await runStudyFile(specFile, { figures: Array.isArray(recorded.figures), provenance: { version: cliVersion() } });
  if (!result.report) {
    lines.push(`  run   the spec cannot be run now: ${result.error ?? 'unknown error'}`);
    io.out(lines.join('\n') + `\nNOT REPRODUCED: ${[...problems, 'the spec cannot be run'].join('; ')}\n`);
    return 1;
  }
  const nowProv = result.report.provenance;
  for (const d of nowProv?.data ?? []) {
    const before = (prov.data ?? []).find((x) => x.path === d.path);
    if (!before) {
      lines.push(`  data  ${d.path}: read now, not in the manifest (the spec reads another data file)`);
      problems.push(`the spec now reads ${d.path}`);
    } else if (before.rows !== d.rows) lines.push(`        ${d.path}: ${before.rows} rows read then, ${d.rows} now`);
  }
  const { provenance: _a, ...was } = recorded;
  const { provenance: _b, ...now } = JSON.parse(JSON.stringify(result.report)) as Record<string, unknown>;
  void _a;
  void _b;
  const { count, diffs } = reportDifferences(was, now);
  if (diffs.length === 0) lines.push(`  numbers: all ${count} numbers reproduced (equal, or within 1e-12 relative), and every text`);
  else {
    lines.push(`  numbers: ${diffs.length} difference${diffs.length > 1 ? 's' : ''} among ${count} numbers and the texts:`);
    for (const d of diffs.slice(0, 20)) lines.push(`    ${d}`);
    if (diffs.length > 20) lines.push(`    … and ${diffs.length - 20} more`);
    problems.push(`${diffs.length} value${diffs.length > 1 ? 's' : ''} differ`);
  }
  if (prov.study?.version && prov.study.version !== cliVersion()) lines.push(`  note: the report was made by study ${prov.study.version}, this is ${cliVersion()}`);
  io.out(lines.join('\n') + '\n' + (problems.length === 0 ? `REPRODUCED: every number of ${reportFile} is reproduced\n` : `NOT REPRODUCED: ${problems.join('; ')}\n`));
  return problems.length === 0 ? 0 : 1;
}

/** `study run --ard`: the report's statistics as ARD, CSV (or JSON when `out` ends in .json). */
export async function ardText(report: import('@study/engine').StudyReport, out: string | undefined): Promise<string> {
  const { ardRows, ardCsv, ardJson } = await engine();
  const rows = ardRows(report);
  return out !== undefined && /\.json$/i.test(out) ? ardJson(rows) : ardCsv(rows);
}
