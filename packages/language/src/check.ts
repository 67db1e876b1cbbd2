/** Headless parsing and checking, for the CLI (`study check`) and the interpreter. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { URI, type LangiumDocument } from 'langium';
import type { Diagnostic } from 'vscode-languageserver';
import { createStudyCoreServices, type StudyCoreServices } from './study-core-module.js';
import type { StudyFile } from './generated/ast.js';

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export type { StudyDiagnostic } from './results/protocol.js';
import type { StudyDiagnostic } from './results/protocol.js';

export interface CheckResult {
  diagnostics: StudyDiagnostic[];
  /** the parsed document (pass it to `buildPlan` when there are no errors) */
  document: LangiumDocument<StudyFile>;
}

let services: StudyCoreServices | undefined;

function study(): StudyCoreServices {
  services ??= createStudyCoreServices().Study;
  return services;
}

const SEVERITY: Record<number, Severity> = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };

export function toStudyDiagnostic(d: Diagnostic): StudyDiagnostic {
  return {
    severity: SEVERITY[d.severity ?? 1] ?? 'error',
    // one line, whatever the source: syntax messages are one line already (validation/syntax-messages.ts)
    message: d.message.replace(/\s*[\r\n]+\s*/g, ' '),
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
    ...(d.code !== undefined ? { code: String(d.code) } : {}),
    ...dataLocationOf(d),
  };
}

/** The data-file position a diagnostic carries in its data (validation/data-checks.ts), if any. */
function dataLocationOf(d: Diagnostic): Pick<StudyDiagnostic, 'dataLocation'> {
  const loc = (d.data as { dataLocation?: StudyDiagnostic['dataLocation'] } | undefined)?.dataLocation;
  return loc && typeof loc.file === 'string' ? { dataLocation: { file: loc.file, line: loc.line, column: loc.column } } : {};
}

let counter = 0;

/**
 * Parses and validates a spec given as text. `uri` (a file path or URI) places it: the data file is
 * resolved against its folder. Every call builds a fresh document.
 */
export async function parseStudyDocument(text: string, uri?: string | URI): Promise<CheckResult> {
  const s = study();
  const docUri =
    uri === undefined
      ? URI.file(path.resolve(`untitled-${++counter}.study`))
      : typeof uri === 'string'
        ? /^[a-z][a-z0-9+.-]+:\/\//i.test(uri)
          ? URI.parse(uri)
          : URI.file(path.resolve(uri))
        : uri;
  const documents = s.shared.workspace.LangiumDocuments;
  if (documents.hasDocument(docUri)) documents.deleteDocument(docUri);
  const document = s.shared.workspace.LangiumDocumentFactory.fromString<StudyFile>(text, docUri);
  documents.addDocument(document);
  try {
    await s.shared.workspace.DocumentBuilder.build([document], { validation: true });
  } finally {
    documents.deleteDocument(docUri);
  }
  const diagnostics = (document.diagnostics ?? []).map(toStudyDiagnostic);
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  return { diagnostics, document };
}

/** The syntax tree of a spec's text, parsed only (no validation, no data read). */
export function parseStudyText(text: string): StudyFile {
  return study().parser.LangiumParser.parse<StudyFile>(text).value;
}

/** Reads and checks a `.study` file. A file that cannot be read is one error at 1:1. */
export async function checkStudyFile(file: string): Promise<CheckResult> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const result = await parseStudyDocument('', file);
    result.diagnostics = [{ severity: 'error', message: `cannot read ${file}: ${(e as Error).message}`, line: 1, column: 1, endLine: 1, endColumn: 1 }];
    return result;
  }
  return parseStudyDocument(text, file);
}
