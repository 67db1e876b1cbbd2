/**
 * `study`: the command-line face of the language and the engine. It only parses arguments, calls
 * `checkStudyFile` / `runStudyFile`, and prints; all logic lives in the packages it imports.
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { StudyDiagnostic } from '@study/language';

// The language and the engine are loaded on first use, so `study --help` answers at once.
const language = () => import('@study/language');
const engine = () => import('@study/engine');

const USAGE = `Usage: study <command> [options]

Commands:
  check FILE...              check analysis specs against their data; exit 1 on errors
  run FILE [--json] [--out report.html]
                             fit the models and run the analyses of a spec, print the report

Options:
  -h, --help                 show help (also: study <command> --help)
  -v, --version              show the version
`;

const CHECK_USAGE = `Usage: study check [--verbose] FILE...

Parses each .study file and checks it against its data file (columns, types, levels, subjects).
Prints one line per error or warning:  file:line:col: severity: message
  --verbose      also print information diagnostics (e.g. "visit is tested at age = 0"), as the editor shows them
Exit status: 0 when no file has errors, 1 when any has, 2 on usage errors.
`;

const RUN_USAGE = `Usage: study run FILE [--json] [--out FILE.html]

Runs every model and analysis of the spec and prints the report (tables laid out as in SAS PROC MIXED).
  --json         print the report as JSON (field names as in docs/report-json.md)
  --out FILE     also write a self-contained HTML report to FILE
Exit status: 0 on success, 1 when the spec has errors or a fit fails, 2 on usage errors.
`;

export function formatDiagnostic(file: string, d: StudyDiagnostic): string {
  return `${file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

async function check(files: string[], verbose: boolean, io: Io): Promise<number> {
  let errors = 0;
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

async function run(file: string, json: boolean, outFile: string | undefined, io: Io): Promise<number> {
  const { runStudyFile } = await language();
  const { htmlReport, textReport } = await engine();
  const result = await runStudyFile(resolve(file));
  for (const d of result.diagnostics) {
    if (d.severity === 'error' || d.severity === 'warning') io.err(formatDiagnostic(file, d) + '\n');
  }
  if (!result.report) return 1;
  if (json) io.out(JSON.stringify(result.report, null, 2) + '\n');
  else io.out(textReport(result.report));
  if (outFile) {
    writeFileSync(outFile, htmlReport(result.report));
    if (!json) io.out(`\nHTML report written to ${outFile}\n`);
  }
  const failed = result.report.models.some((m) => m.notes.some((n) => n.severity === 'error'));
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
      io.out('study 0.1.0\n');
      return 0;
    }
    if (command === 'check') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { help: { type: 'boolean', short: 'h' }, verbose: { type: 'boolean' } },
      });
      if (values.help) {
        io.out(CHECK_USAGE);
        return 0;
      }
      if (positionals.length === 0) {
        io.err('study check: no file given\n\n' + CHECK_USAGE);
        return 2;
      }
      return await check(positionals, values.verbose ?? false, io);
    }
    if (command === 'run') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' }, out: { type: 'string', short: 'o' } },
      });
      if (values.help) {
        io.out(RUN_USAGE);
        return 0;
      }
      if (positionals.length !== 1) {
        io.err(`study run: expected one file, got ${positionals.length}\n\n` + RUN_USAGE);
        return 2;
      }
      return await run(positionals[0], values.json ?? false, values.out, io);
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
