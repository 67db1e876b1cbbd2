/**
 * `study export sas|r FILE`: check the spec, build its plan, read its data, and write the program.
 * Never throws: a spec with errors or unreadable data comes back as diagnostics and `error`.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StudyPlan } from '@study/engine';
import { checkStudyFile, type StudyDiagnostic } from '../check.js';
import { buildPlan } from '../plan-builder.js';
import { documentFolder, loadData, resolveDataPath } from '../data-cache.js';
import { exportSas, type ExportOptions } from './sas.js';
import { exportR } from './r.js';

export type ExportFormat = 'sas' | 'r';

export interface ExportResult {
  diagnostics: StudyDiagnostic[];
  /** the program; undefined when the spec could not be exported (`error` says why) */
  text?: string;
  plan?: StudyPlan;
  error?: string;
}

export async function exportStudyFile(file: string, format: ExportFormat, options: Pick<ExportOptions, 'version'> = {}): Promise<ExportResult> {
  try {
    const checked = await checkStudyFile(file);
    const diagnostics = checked.diagnostics;
    const firstError = diagnostics.find((d) => d.severity === 'error');
    if (firstError) return { diagnostics, error: `the spec has errors: ${firstError.message} (line ${firstError.line})` };
    const plan = buildPlan(checked.document);
    if (plan.dataSource) {
      const where = plan.dataSource.engine === 'duckdb' ? 'DuckDB' : 'PostgreSQL';
      return { diagnostics, plan, error: `the data of this spec are in ${where}: the SAS and R programs read a data file; write the table to CSV (COPY … TO 'data.csv') and export a spec with data "data.csv"` };
    }
    const dataPath = resolveDataPath(checked.document.uri, plan.dataPath);
    const load = loadData(dataPath, documentFolder(checked.document.uri));
    if (!load.ok) return { diagnostics, plan, error: `cannot read the data file ${dataPath}: ${load.error}` };
    let dataText: string | undefined;
    try {
      dataText = readFileSync(dataPath, 'latin1').slice(0, 1 << 20);
    } catch {
      dataText = undefined;
    }
    const o: ExportOptions = { specFile: path.basename(file), dataDir: path.dirname(path.resolve(file)), ...(dataText !== undefined ? { dataText } : {}), ...options };
    const text = format === 'sas' ? exportSas(plan, load.data, o) : exportR(plan, load.data, o);
    return { diagnostics, text, plan };
  } catch (e) {
    return { diagnostics: [], error: `the export failed: ${(e as Error)?.message ?? String(e)}` };
  }
}

export { exportSas, exportR, type ExportOptions };
