/**
 * The sensitivity summary as report tables (the first tables of a report whose spec has `sensitivity`
 * blocks): the variants (what each changes), then one table with every headline result of the model and
 * its variants side by side — the Type 3 F tests, the `estimate` rows and the `compare` differences, each
 * with estimate (F), SE, df and p — where a p-value marked * crosses the model's alpha the other way
 * from the base model's, and "Changed" lists those variants.
 */
import type { SensitivitySummary } from '../results.js';
import { fmtDf, fmtEstimate, fmtP, fmtStat, type Column } from './format.js';
import type { ReportTable } from './tables.js';

const L = (header: string): Column => ({ header, align: 'left' });
const R = (header: string): Column => ({ header });

export function sensitivityTables(s: SensitivitySummary): ReportTable[] {
  const alpha = s.models[0]?.alpha ?? 0.05;
  const variants: ReportTable = {
    id: `sensitivity/${s.base}/variants`,
    title: `Sensitivity Analyses of ${s.base}: the Variants`,
    sensitivity: s.base,
    columns: [R('#'), L('Model'), L('Changes')],
    rows: s.models.map((m, i) => [String(i + 1), m.name, i === 0 ? '(the model as specified)' : m.description ?? '']),
  };
  const columns: Column[] = [L('Result'), L('Statistic')];
  s.models.forEach((_, i) => columns.push(R(`Est (${i + 1})`), R(`SE (${i + 1})`), R(`DF (${i + 1})`), R(`Pr (${i + 1})`)));
  columns.push(L('Changed'));
  const rows = s.rows.map((r) => {
    const adjusted = r.cells.some((c) => c.adjusted);
    const out = [r.label, r.kind === 'type3' ? 'Type 3 F' : r.kind === 'estimate' ? 'estimate' : adjusted ? 'diff (adj p)' : 'difference'];
    for (const c of r.cells) {
      const present = c.estimate !== null || c.p !== null;
      if (!present) {
        out.push('', '', '', '');
        continue;
      }
      const p = fmtP(c.p) + (c.changed ? '*' : '');
      if (r.kind === 'type3') out.push(fmtStat(c.estimate), '', `${c.numdf ?? '.'}, ${fmtDf(c.df)}`, p);
      else out.push(fmtEstimate(c.estimate), fmtEstimate(c.se), fmtDf(c.df), p);
    }
    out.push(r.cells.flatMap((c, i) => (c.changed ? [String(i + 1)] : [])).join(', '));
    return out;
  });
  const summary: ReportTable = {
    id: `sensitivity/${s.base}`,
    title: `Sensitivity Analyses of ${s.base} (* p on the other side of alpha = ${alpha} from model 1's)`,
    sensitivity: s.base,
    columns,
    rows,
  };
  return [variants, summary];
}
