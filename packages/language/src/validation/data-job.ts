/**
 * The checks of a spec against its data file, off the language server's main thread: the server's worker
 * (results/fit-worker.ts, a long-lived instance for these checks) receives a DataCheckRequest, parses and
 * links the spec with its own services, runs the Study validator with the data (read once and kept in the
 * worker's data cache, data-cache.ts, while the file's stamp is unchanged) and posts back the validator's
 * diagnostics and a summary of the data's columns (for hover and completion). The main thread replays the
 * diagnostics (validation/data-offload.ts). It never throws.
 */
import { getDiagnosticRange, URI, type AstNode, type DiagnosticInfo, type ValidationAcceptor } from 'langium';
import type { Diagnostic } from 'vscode-languageserver';
import { createStudyCoreServices, type StudyCoreServices } from '../study-core-module.js';
import { isStudyFile, type StudyFile } from '../generated/ast.js';
import { clearDataCache, loadSpecData, type DataLoad } from '../data-cache.js';
import { studyInfo, unquote } from '../semantics.js';
import { configureDataAccess, type DataAccessOptions } from './data-access.js';
import { rowCount, type ColumnInfo } from '@study/engine';

export interface DataCheckRequest {
  kind: 'data-check';
  /** matches the outcome to its request */
  id: number;
  /** the document's URI (file:) */
  uri: string;
  /** the spec's text as the editor has it */
  text: string;
  /** the server's data-access policy: a worker thread has its own copy of the module state */
  access?: DataAccessOptions;
}

/** What hover and completion show of a column, without its (possibly 200,000) distinct values. */
export interface ColumnSummary {
  name: string;
  kind: ColumnInfo['kind'];
  missing: number;
  /** the number of distinct values */
  distinctCount: number;
  /** the first distinct values (at most SUMMARY_LEVELS), in the data's order */
  levels: string[];
  /** the column's label in the data file (SAS formats, Dataset-JSON) */
  label?: string;
}

export const SUMMARY_LEVELS = 12;

export function columnSummary(c: ColumnInfo): ColumnSummary {
  return { name: c.name, kind: c.kind, missing: c.missing, distinctCount: c.distinct.length, levels: c.distinct.slice(0, SUMMARY_LEVELS).map(String), ...(c.label ? { label: c.label } : {}) };
}

export interface DataCheckOutcome {
  kind: 'data-check';
  id: number;
  /** the Study validator's diagnostics for the text, with the data */
  diagnostics: Diagnostic[];
  /** the data file's columns, when it was read */
  columns?: ColumnSummary[];
  /** absolute path of the data file */
  dataPath?: string;
  /** rows read */
  rows?: number;
  /** milliseconds spent reading the data (0 when the worker had them) and checking */
  readMs: number;
  checkMs: number;
  error?: string;
}

let services: StudyCoreServices | undefined;
let counter = 0;
/** the data files of the last jobs, most recent last: the worker keeps the rows of these only */
const recentFiles: string[] = [];
const KEEP_FILES = 2;

/** Keeps the rows of the last KEEP_FILES data files in the worker's cache, not of every file it ever read. */
function keepRecent(file: string): void {
  const i = recentFiles.indexOf(file);
  if (i >= 0) recentFiles.splice(i, 1);
  recentFiles.push(file);
  while (recentFiles.length > KEEP_FILES) clearDataCache(recentFiles.shift());
}

const SEVERITY = { error: 1, warning: 2, info: 3, hint: 4 } as const;

/** A validator report as the language server would publish it (Langium's DefaultDocumentValidator.toDiagnostic). */
function toDiagnostic(severity: keyof typeof SEVERITY, message: string, info: DiagnosticInfo<AstNode>): Diagnostic {
  return {
    message,
    range: getDiagnosticRange(info),
    severity: SEVERITY[severity],
    ...(info.code !== undefined ? { code: info.code } : {}),
    ...(info.codeDescription ? { codeDescription: info.codeDescription } : {}),
    ...(info.tags ? { tags: info.tags } : {}),
    ...(info.relatedInformation ? { relatedInformation: info.relatedInformation } : {}),
    ...(info.data !== undefined ? { data: info.data } : {}),
    source: 'study',
  };
}

export async function runDataCheckJob(request: DataCheckRequest): Promise<DataCheckOutcome> {
  const t0 = performance.now();
  const base = { kind: 'data-check' as const, id: request.id };
  try {
    if (request.access) configureDataAccess(request.access);
    services ??= createStudyCoreServices().Study;
    const s = services;
    const uri = URI.parse(request.uri);
    // a document of its own (not the client's URI: the worker's workspace is not the editor's)
    const docs = s.shared.workspace.LangiumDocuments;
    const docUri = uri.with({ query: `data-check-${++counter}` });
    const document = s.shared.workspace.LangiumDocumentFactory.fromString<StudyFile>(request.text, docUri);
    docs.addDocument(document);
    let load: DataLoad | undefined;
    let readMs = 0;
    const diagnostics: Diagnostic[] = [];
    try {
      await s.shared.workspace.DocumentBuilder.build([document], { validation: false });
      const root = document.parseResult.value;
      if (!isStudyFile(root)) return { ...base, diagnostics, readMs: 0, checkMs: performance.now() - t0 };
      const written = studyInfo(root).data?.path;
      if (typeof written === 'string') {
        // read first (timed apart), then the validator finds the data in the cache
        const tr = performance.now();
        load = loadSpecData(uri, unquote(written));
        readMs = performance.now() - tr;
        keepRecent(load.path);
      }
      const accept: ValidationAcceptor = (severity, message, info) => diagnostics.push(toDiagnostic(severity, message, info as DiagnosticInfo<AstNode>));
      s.validation.StudyValidator.validate(root, accept);
    } finally {
      docs.deleteDocument(docUri);
    }
    return {
      ...base,
      diagnostics,
      ...(load?.ok ? { columns: load.data.columns.map(columnSummary), rows: rowCount(load.data) } : {}),
      ...(load ? { dataPath: load.path } : {}),
      readMs,
      checkMs: performance.now() - t0 - readMs,
    };
  } catch (e) {
    return { ...base, diagnostics: [], readMs: 0, checkMs: performance.now() - t0, error: String((e as Error)?.message ?? e) };
  }
}
