/**
 * Shared by the data-backend tests: a spec's plan and data as the in-process run reads them, the data
 * written to a CSV with explicit column types (so a database holds exactly the values Study reads),
 * and the comparison of two model reports.
 */
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { parseStudyDocument, buildPlan, loadData, resolveDataPath } from '@study/language';
import type { Dataset, ModelReport, StudyPlan } from '@study/engine';
import { dirname } from 'node:path';

export async function specPlan(file: string, text?: string): Promise<{ plan: StudyPlan; data: Dataset }> {
  const { readFileSync } = await import('node:fs');
  const checked = await parseStudyDocument(text ?? readFileSync(file, 'utf8'), file);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`${file}: ${errors[0]!.message}`);
  const plan = buildPlan(checked.document);
  const load = loadData(resolveDataPath(checked.document.uri, plan.dataPath), dirname(file));
  if (!load.ok) throw new Error(load.error);
  return { plan, data: load.data };
}

/** The data as CSV (empty = missing) and each column's SQL type. */
export function writeTypedCsv(data: Dataset, path: string, doubleType: string, textType: string): { name: string; type: string }[] {
  const names = data.columns.map((c) => c.name);
  const numeric = data.columns.map((c) => c.kind === 'numeric');
  const quote = (s: string) => '"' + s.replace(/"/g, '""') + '"';
  const lines = [names.map(quote).join(',')];
  for (const row of data.rows) {
    lines.push(
      names
        .map((n, i) => {
          const v = row[n];
          if (v === null || v === undefined || v === '') return '';
          return numeric[i] ? String(v) : quote(String(v));
        })
        .join(','),
    );
  }
  writeFileSync(path, lines.join('\n') + '\n');
  return names.map((name, i) => ({ name, type: numeric[i] ? doubleType : textType }));
}

export interface Agreement {
  minus2ll: number;
  covparms: number;
  type3F: number;
  fixed: number;
}

const rel = (a: number | null | undefined, b: number | null | undefined) => {
  if (a === null || a === undefined || b === null || b === undefined) return a === b ? 0 : Infinity;
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
};

/** Largest relative differences between a backend's report and the in-process one; asserts the tolerances. */
export function compareReports(got: ModelReport, want: ModelReport): Agreement {
  expect(got.name).toBe(want.name);
  expect(got.converged).toBe(want.converged);
  expect(got.dimensions.observations_used).toBe(want.dimensions.observations_used);
  expect(got.dimensions.subjects).toBe(want.dimensions.subjects);
  expect(got.dimensions.rank_x).toBe(want.dimensions.rank_x);
  const out: Agreement = { minus2ll: rel(got.minus2ll, want.minus2ll), covparms: 0, type3F: 0, fixed: 0 };
  expect(got.covparms.map((c) => c.name)).toEqual(want.covparms.map((c) => c.name));
  got.covparms.forEach((c, k) => (out.covparms = Math.max(out.covparms, rel(c.estimate, want.covparms[k]!.estimate), rel(c.se, want.covparms[k]!.se))));
  expect(got.type3.map((t) => t.effect)).toEqual(want.type3.map((t) => t.effect));
  got.type3.forEach((t, k) => {
    const w = want.type3[k]!;
    out.type3F = Math.max(out.type3F, rel(t.F, w.F), rel(t.dendf, w.dendf));
    expect(t.numdf).toBe(w.numdf);
  });
  expect(got.fixed.map((f) => f.term)).toEqual(want.fixed.map((f) => f.term));
  got.fixed.forEach((f, k) => {
    const w = want.fixed[k]!;
    if (w.estimate === null || w.se === null) return;
    const scale = Math.max(Math.abs(w.estimate), w.se ?? 0);
    out.fixed = Math.max(out.fixed, Math.abs((f.estimate ?? NaN) - w.estimate) / scale);
  });
  expect(out.minus2ll).toBeLessThan(1e-9);
  expect(out.covparms).toBeLessThan(1e-6);
  expect(out.type3F).toBeLessThan(1e-6);
  expect(out.fixed).toBeLessThan(1e-6);
  return out;
}
