/**
 * The sensitivity summary: for each model with `sensitivity` variants, its headline results and the
 * variants' side by side — the Type 3 tests, the `estimate` rows and the `compare` differences, each
 * with estimate (F for a test), SE, df and p — and which rows change significance at the model's alpha.
 * Built from the model reports alone, so it is the same wherever a report is shown.
 */
import type { ModelReport, SensitivityCell, SensitivityRow, SensitivitySummary } from './results.js';

function diffLabel(d: ModelReport['diffs'][number]): string {
  const by = d.by ? Object.entries(d.by).map(([k, v]) => `${k} ${v}: `).join('') : '';
  return `${by}${d.effect} ${d.level} - ${d.vs}`;
}

/** The headline rows of one model, keyed, in the model's order. */
function headline(m: ModelReport): Map<string, { kind: SensitivityRow['kind']; label: string; cell: Omit<SensitivityCell, 'model'> }> {
  const out = new Map<string, { kind: SensitivityRow['kind']; label: string; cell: Omit<SensitivityCell, 'model'> }>();
  for (const t of m.type3) out.set(`type3|${t.effect}`, { kind: 'type3', label: t.effect, cell: { estimate: t.F, se: null, df: t.dendf, p: t.p, numdf: t.numdf } });
  for (const e of m.estimates) out.set(`estimate|${e.label}`, { kind: 'estimate', label: e.label, cell: { estimate: e.estimate, se: e.se, df: e.df, p: e.p, lower: e.lower, upper: e.upper } });
  // the differences of each `compare` request: its rows share effect, covariate values, adjustment and slice.
  // A variant holds the covariates at its own means (another subset, another covariate), so requests are
  // matched by effect and their order among the model's requests of that effect, not by the values
  const requests: ModelReport['diffs'][] = [];
  let last = '';
  for (const d of m.diffs) {
    const key = `${d.effect}|${JSON.stringify(d.at ?? {})}|${d.adjust ?? ''}|${Object.keys(d.by ?? {}).join()}`;
    if (requests.length === 0 || key !== last) requests.push([]);
    requests[requests.length - 1]!.push(d);
    last = key;
  }
  const seen = new Map<string, number>();
  const several = new Set(requests.map((r) => r[0]!.effect).filter((e, i, all) => all.indexOf(e) !== i));
  for (const rows of requests) {
    const effect = rows[0]!.effect;
    const k = (seen.get(effect) ?? 0) + 1;
    seen.set(effect, k);
    const at = rows[0]!.at;
    for (const d of rows) {
    const label = diffLabel(d);
    const adjusted = d.p_adj !== undefined && d.adjust !== undefined && d.adjust !== 'none';
    out.set(`diff|${label}|${k}`, {
      kind: 'diff',
      label: several.has(effect) && at && Object.keys(at).length > 0 ? `${label} (at ${Object.entries(at).map(([n, v]) => `${n} = ${Number(v.toPrecision(6))}`).join(', ')})` : label,
      cell: { estimate: d.estimate, se: d.se, df: d.df, p: adjusted ? d.p_adj! : d.p, lower: d.lower ?? null, upper: d.upper ?? null, ...(adjusted ? { adjusted: true } : {}) },
    });
    }
  }
  return out;
}

const significant = (p: number | null | undefined, alpha: number) => (typeof p === 'number' ? p < alpha : undefined);

export function sensitivitySummaries(models: ModelReport[]): SensitivitySummary[] {
  const out: SensitivitySummary[] = [];
  for (const base of models) {
    if (base.sensitivity) continue;
    const variants = models.filter((m) => m.sensitivity?.of === base.name);
    if (variants.length === 0) continue;
    const all = [base, ...variants];
    const alpha = base.info.alpha ?? 0.05;
    const tables = all.map(headline);
    // rows in the base model's order, then those only a variant has
    const keys: string[] = [];
    for (const t of tables) for (const k of t.keys()) if (!keys.includes(k)) keys.push(k);
    const order = { type3: 0, estimate: 1, diff: 2 } as const;
    const info = (k: string) => tables.find((t) => t.has(k))!.get(k)!;
    keys.sort((a, b) => order[info(a).kind] - order[info(b).kind]);
    const rows: SensitivityRow[] = keys.map((k) => {
      const { kind, label } = info(k);
      const baseSig = significant(tables[0]!.get(k)?.cell.p, alpha);
      const cells: SensitivityCell[] = all.map((m, i) => {
        const c = tables[i]!.get(k)?.cell;
        const cell: SensitivityCell = c ? { model: m.name, ...c } : { model: m.name, estimate: null, se: null, df: null, p: null };
        const sig = significant(cell.p, m.info.alpha ?? alpha);
        if (i > 0 && baseSig !== undefined && sig !== undefined && sig !== baseSig) cell.changed = true;
        return cell;
      });
      return { kind, label, cells, changed: cells.some((c) => c.changed) };
    });
    out.push({
      base: base.name,
      models: all.map((m) => ({ name: m.name, ...(m.sensitivity ? { description: m.sensitivity.description } : {}), alpha: m.info.alpha ?? 0.05 })),
      rows,
    });
  }
  return out;
}

/** The forest plot of a sensitivity summary: the rows with confidence limits (estimates and differences). */
export function forestFigure(s: SensitivitySummary): import('./figure-types.js').ForestFigure | undefined {
  const rows = s.rows
    .filter((r): r is SensitivityRow & { kind: 'estimate' | 'diff' } => r.kind !== 'type3')
    .map((r) => ({
      label: r.label,
      kind: r.kind,
      points: r.cells.flatMap((c) =>
        typeof c.estimate === 'number' && typeof c.lower === 'number' && typeof c.upper === 'number'
          ? [{ model: c.model, estimate: c.estimate, lower: c.lower, upper: c.upper, p: c.p, ...(c.changed ? { changed: true } : {}) }]
          : [],
      ),
    }))
    .filter((r) => r.points.length > 0);
  if (rows.length === 0) return undefined;
  return { kind: 'forest', model: s.base, models: s.models.map((m) => m.name), alpha: s.models[0]?.alpha ?? 0.05, rows };
}
