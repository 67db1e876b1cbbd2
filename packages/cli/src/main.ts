/**
 * `study`: the command-line face of the language and the engine. It only parses arguments, calls
 * `checkStudyFile` / `runStudyFile`, and prints; all logic lives in the packages it imports.
 */
import { parseArgs } from 'node:util';
import { realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { StudyDiagnostic } from '@study/language/core';
import { ardText, cliVersion, exportCommand, EXPORT_USAGE, verifyCommand, VERIFY_USAGE } from './commands.js';

import { engine, language } from './core-modules.js';

// The HTML report (Observable Plot and a DOM for the figures) is loaded only when a report is written (the
// bundle, scripts/bundle.mjs, leaves it out of the engine and puts it in a chunk of its own).
const html = () => import('@study/engine/html');

const USAGE = `Usage: study <command> [options]

Commands:
  check FILE...              check analysis specs against their data; exit 1 on errors
  run FILE [--json] [--out report.html]
                             fit the models and run the analyses of a spec, print the report
  run --ard FILE [--out ard.csv]
                             the results as CDISC Analysis Results Data, one row per statistic
  export sas|r FILE [--out f.sas|f.R]
                             the spec as a runnable SAS program or R script
  verify REPORT.json         re-run the spec of a JSON report and say whether every number is reproduced

A spec reads its data file only from its own folder and the folders below it; check and run take
--allow-outside-workspace to read a data file elsewhere.

Options:
  -h, --help                 show help (also: study <command> --help)
  -v, --version              show the version
`;

const CHECK_USAGE = `Usage: study check [--verbose] [--allow-outside-workspace] FILE...

Parses each .study file and checks it against its data file (columns, types, levels, subjects).
Prints one line per error or warning:  file:line:col: severity: message
(at most 20 syntax errors per file, then one line saying how many more there are).
  --verbose                  also print information diagnostics (e.g. "visit is tested at age = 0"), as the editor shows them
  --allow-outside-workspace  read a data file outside the spec's folder tree (by default a spec reads data
                             only from its own folder and below; links are followed to where they point)
Exit status: 0 when no file has errors, 1 when any has, 2 on usage errors.
`;

const RUN_USAGE = `Usage: study run FILE [--json | --ard] [--out FILE] [--allow-outside-workspace]

Runs every model and analysis of the spec and prints the report (tables laid out as in SAS PROC MIXED).
  --json                     print the report as JSON (field names as in docs/report-json.md)
  --ard                      print the results as CDISC Analysis Results Data (docs/ard.md): CSV, one row
                             per statistic; with --out, write it there instead (JSON when FILE ends in .json)
  --out FILE                 also write a self-contained HTML report to FILE (never over the spec, its data
                             file or a directory)
  --allow-outside-workspace  read a data file outside the spec's folder tree
Exit status: 0 on success, 1 when the spec has errors, a model cannot be fitted or a fit does not converge (no inference is reported for it), 2 on usage errors
(including an --out that would overwrite an input).
`;

/** One line per diagnostic, always: a message with line breaks is joined into one line. */
export function formatDiagnostic(file: string, d: StudyDiagnostic): string {
  return `${file}:${d.line}:${d.column}: ${d.severity}: ${d.message.replace(/\s*[\r\n]+\s*/g, ' ')}`;
}

/** The real path of a file that may not exist yet (its folder's real path and its name). */
function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return join(realpathSync(dirname(file)), basename(file));
    } catch {
      return resolve(file);
    }
  }
}

/** Same file: same real path, or (hard links) the same device and inode. */
function sameFile(a: string, b: string): boolean {
  if (realPath(a) === realPath(b)) return true;
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}

/** Why the report may not be written to `outFile` (it is a folder, or a file the spec reads), or undefined. */
function outProblem(outFile: string, inputs: string[]): string | undefined {
  const out = resolve(outFile);
  try {
    if (statSync(out).isDirectory()) return `--out ${outFile} is a directory: give the report a file name (e.g. ${join(outFile, 'report.html')})`;
  } catch {
    // does not exist yet: fine
  }
  const [spec, ...data] = inputs;
  if (sameFile(out, spec)) return `--out ${outFile} is the spec itself (${spec}): the report would overwrite it; write it to another file`;
  for (const d of data) {
    if (sameFile(out, d)) return `--out ${outFile} is the spec's data file (${d}): the report would overwrite it; write it to another file`;
  }
  return undefined;
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

async function check(files: string[], verbose: boolean, allowOutside: boolean, io: Io): Promise<number> {
  let errors = 0;
  const { configureDataAccess, ALLOW_HINTS } = await language();
  configureDataAccess({ allowOutside, allowHint: ALLOW_HINTS.cli });
  for (const file of files) {
    const { checkStudyFile } = await language();
    const result = await checkStudyFile(resolve(file));
    for (const d of result.diagnostics) {
      // Information notes explain a model's meaning; they are not problems, so a clean spec prints nothing.
      if (!verbose && (d.severity === 'info' || d.severity === 'hint')) continue;
      io.out(formatDiagnostic(file, d) + '\n');
      if (d.severity === 'error') errors++;
    }
  }
  return errors > 0 ? 1 : 0;
}

async function run(file: string, json: boolean, outFile: string | undefined, allowOutside: boolean, io: Io, ard = false): Promise<number> {
  const { runStudyFile, studyInputFiles, configureDataAccess, ALLOW_HINTS } = await language();
  configureDataAccess({ allowOutside, allowHint: ALLOW_HINTS.cli });
  if (outFile !== undefined) {
    const problem = outProblem(outFile, studyInputFiles(resolve(file)));
    if (problem) {
      io.err(`study run: ${problem}\n`);
      return 2;
    }
  }
  const { textReport } = await engine();
  // the numbers behind the figures only for the HTML report, which draws them
  const result = await runStudyFile(resolve(file), { figures: outFile !== undefined && !ard, provenance: { version: cliVersion() } });
  for (const d of result.diagnostics) {
    if (d.severity === 'error' || d.severity === 'warning') io.err(formatDiagnostic(file, d) + '\n');
  }
  if (!result.report) return 1;
  if (ard) {
    // CDISC ARD: to stdout, or to --out (CSV; JSON for a .json file)
    const text = await ardText(result.report, outFile);
    if (outFile) writeFileSync(outFile, text);
    else io.out(text);
  } else if (json) io.out(JSON.stringify(result.report, null, 2) + '\n');
  else io.out(textReport(result.report));
  if (outFile && !ard) {
    const { htmlReport } = await html();
    writeFileSync(outFile, htmlReport(result.report));
    if (!json) io.out(`\nHTML report written to ${outFile}\n`);
  }
  // a model that could not be fitted, a fit that did not converge (an error note), or any error: exit 1
  const failed =
    result.failures.length > 0 ||
    result.diagnostics.some((d) => d.severity === 'error') ||
    result.report.models.some((m) => !m.converged || m.notes.some((n) => n.severity === 'error'));
  return failed ? 1 : 0;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.out(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === '-v' || command === '--version') {
      io.out(`study ${cliVersion()}\n`);
      return 0;
    }
    if (command === 'check') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { help: { type: 'boolean', short: 'h' }, verbose: { type: 'boolean' }, 'allow-outside-workspace': { type: 'boolean' } },
      });
      if (values.help) {
        io.out(CHECK_USAGE);
        return 0;
      }
      if (positionals.length === 0) {
        io.err('study check: no file given\n\n' + CHECK_USAGE);
        return 2;
      }
      return await check(positionals, values.verbose ?? false, values['allow-outside-workspace'] ?? false, io);
    }
    if (command === 'run') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          help: { type: 'boolean', short: 'h' },
          json: { type: 'boolean' },
          ard: { type: 'boolean' },
          out: { type: 'string', short: 'o' },
          'allow-outside-workspace': { type: 'boolean' },
        },
      });
      if (values.help) {
        io.out(RUN_USAGE);
        return 0;
      }
      if (positionals.length !== 1) {
        io.err(`study run: expected one file, got ${positionals.length}\n\n` + RUN_USAGE);
        return 2;
      }
      if (values.json && values.ard) {
        io.err('study run: --json and --ard are two formats of the results: give one\n\n' + RUN_USAGE);
        return 2;
      }
      return await run(positionals[0], values.json ?? false, values.out, values['allow-outside-workspace'] ?? false, io, values.ard ?? false);
    }
    if (command === 'export' || command === 'verify') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { help: { type: 'boolean', short: 'h' }, out: { type: 'string', short: 'o' }, spec: { type: 'string' }, 'allow-outside-workspace': { type: 'boolean' } },
      });
      const usage = command === 'export' ? EXPORT_USAGE : VERIFY_USAGE;
      if (values.help) {
        io.out(usage);
        return 0;
      }
      const { configureDataAccess, ALLOW_HINTS } = await language();
      configureDataAccess({ allowOutside: values['allow-outside-workspace'] ?? false, allowHint: ALLOW_HINTS.cli });
      if (command === 'export') {
        if (positionals.length !== 2 || values.spec !== undefined) {
          io.err(`study export: expected a format (sas or r) and one file\n\n${usage}`);
          return 2;
        }
        return await exportCommand(positionals[0]!, positionals[1]!, values.out, io, outProblem);
      }
      if (positionals.length !== 1 || values.out !== undefined) {
        io.err(`study verify: expected one JSON report\n\n${usage}`);
        return 2;
      }
      return await verifyCommand(positionals[0]!, values.spec, io);
    }
    io.err(`study: unknown command '${command}'\n\n${USAGE}`);
    return 2;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`study: ${err.message}\n`);
      return 2;
    }
    io.err(`study: ${err.message}\n`);
    return 1;
  }
}
