/**
 * Units must not change a statistician's numbers. Every conformance case is refitted with its outcome
 * y (as the model sees it, after derived variables and filters) multiplied by 1e-3, 100 and 1e4, with
 * 1e5 and 1e8 added, and with one continuous covariate multiplied by 1000, and compared with the fit on
 * the original data:
 *   y x c:  variances and covariances x c², correlations and ranges unchanged; fixed effects, LS-means,
 *           differences, estimates and EBLUPs (and their SEs and limits) x c; -2LL + (n - p) log c²
 *           (REML) or n log c² (ML), the information criteria with it;
 *   y + b:  covariance parameters unchanged; the intercept and the LS-means + b; everything else
 *           unchanged, -2LL too;
 *   x x 1000 (a covariate): t, F, df and p of every test unchanged, LS-means and differences unchanged,
 *           R-side covariance parameters unchanged, -2LL unchanged (ML) or + 2 log(1000) per fixed-effect
 *           column that contains x (REML: log|X'V^-1X|);
 * and in all of them every df, t, F and p unchanged. Relative tolerance 1e-6 (p: 1e-6 p + 1e-16; a
 * Tukey-adjusted p: 1e-6 p + 1e-12, the accuracy of the studentized range's integration).
 * The worst deviation per case goes to test-output/metamorphic-summary.json.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { runStudyFile } from '@study/language';
import { applyFilters, deriveColumns, readDataFile, runModel, type ModelReport, type PlannedModel, type Row } from '@study/engine';
import { CASES, here, specPath, type CaseConfig } from './cases.js';

const REL = 1e-6;

type Transform =
  | { kind: 'scale'; c: number }
  | { kind: 'offset'; b: number }
  | { kind: 'covariate'; variable: string; c: number };

function label(t: Transform): string {
  return t.kind === 'scale' ? `y × ${t.c}` : t.kind === 'offset' ? `y + ${t.b}` : `${t.variable} × ${t.c}`;
}

/** The first continuous variable of the fixed effects, if any. */
function covariateOf(planned: PlannedModel): string | undefined {
  const classes = new Set(planned.spec.classes);
  return planned.spec.fixed.flat().find((v) => !classes.has(v) && v !== planned.spec.repeated?.effect);
}

function transformRows(rows: Row[], planned: PlannedModel, t: Transform): Row[] {
  const y = planned.spec.response;
  return rows.map((r) => {
    const out = { ...r };
    if (t.kind === 'covariate') {
      const v = r[t.variable];
      out[t.variable] = typeof v === 'number' ? v * t.c : v;
    } else {
      const v = r[y];
      out[y] = typeof v === 'number' ? (t.kind === 'scale' ? v * t.c : v + t.b) : v;
    }
    return out;
  });
}

class Deviations {
  worst = 0;
  worstKey = '';
  readonly failures: string[] = [];
  count = 0;
  /** |actual - expected| relative to |expected| (absolute below 1), or for p: relative to p + 1e-10 */
  check(key: string, actual: unknown, expected: number | null | undefined, kind: 'value' | 'p' | 'p_adj' = 'value') {
    this.count++;
    if (expected === null || expected === undefined) {
      if (actual !== null && actual !== undefined) this.failures.push(`${key}: expected no value, got ${actual}`);
      return;
    }
    if (typeof actual !== 'number' || !Number.isFinite(actual)) {
      this.failures.push(`${key}: expected ${expected}, got ${actual}`);
      return;
    }
    const err = Math.abs(actual - expected);
    // Tukey-adjusted p: the studentized range's numerical integration is accurate to ~1e-13 absolute
    const allowed = kind === 'p' ? REL * Math.abs(expected) + 1e-16 : kind === 'p_adj' ? REL * Math.abs(expected) + 1e-12 : REL * Math.max(Math.abs(expected), 1);
    const dev = kind !== 'value' ? err / (Math.abs(expected) + 1e-10) : err / Math.max(Math.abs(expected), 1);
    if (dev > this.worst) {
      this.worst = dev;
      this.worstKey = key;
    }
    if (!(err <= allowed)) this.failures.push(`${key}: expected ${expected}, got ${actual} (rel ${dev.toExponential(2)})`);
  }
}

/** The columns of the fixed-effect solution that contain `variable`, with its power (x*x: 2). */
function powerIn(term: string, variable: string): number {
  const effect = term.split(' ')[0]!;
  return effect === 'Intercept' ? 0 : effect.split('*').filter((v) => v === variable).length;
}

function compareReports(base: ModelReport, m: ModelReport, t: Transform, spec: PlannedModel['spec'], d: Deviations) {
  const c = t.kind === 'scale' ? t.c : 1;
  const b = t.kind === 'offset' ? t.b : 0;
  const n = base.dimensions.observations_used;
  const p = base.dimensions.rank_x;
  const kinds = new Map<string, boolean>(); // covariance parameter -> scales with the variance
  d.check('converged', m.converged ? 1 : 0, base.converged ? 1 : 0);

  // -2LL and the information criteria
  let shift = 0;
  if (t.kind === 'scale') shift = (spec.method === 'REML' ? n - p : n) * Math.log(c * c);
  if (t.kind === 'covariate' && spec.method === 'REML') {
    shift = base.fixed.filter((f) => !f.aliased).reduce((s, f) => s + 2 * Math.log(t.c) * powerIn(f.term, t.variable), 0);
  }
  for (const k of ['minus2ll', 'aic', 'aicc', 'bic'] as const) d.check(k, m[k] - shift, base[k]);

  // covariance parameters: the names say which scale (correlations, ranges and SP(POW) do not)
  base.covparms.forEach((cp, i) => {
    const a = m.covparms[i]!;
    const key = `covparms/${cp.name}${cp.group ? ' ' + cp.group : ''}`;
    const unitless = /^(AR\(1\)|ARH\(1\)|CSH|TOEPH\(\d+\)|Rho\(\d+\)|SP\((POW|EXP|GAU)\))$/.test(cp.name);
    kinds.set(key, !unitless);
    // a random slope on x is reparameterised by x's units: G-side parameters change then
    if (t.kind === 'covariate' && spec.random.some((r) => r.terms.some((term) => term.includes(t.variable)))) return;
    const f = t.kind === 'scale' && !unitless ? c * c : 1;
    d.check(`${key}/estimate`, a.estimate / f, cp.estimate);
    d.check(`${key}/se`, a.se === null ? null : a.se / f, cp.se);
    d.check(`${key}/z`, a.z, cp.z);
    d.check(`${key}/p`, a.p, cp.p, 'p');
    d.check(`${key}/lower`, a.lower == null ? null : a.lower / f, cp.lower);
    d.check(`${key}/upper`, a.upper == null ? null : a.upper / f, cp.upper);
  });

  // the solution: t, df, p always; estimates and SEs by the transform
  base.fixed.forEach((f, i) => {
    const a = m.fixed[i]!;
    const key = `fixed/${f.term}`;
    d.check(`${key}/df`, a.df, f.df);
    if (f.aliased) return;
    const intercept = f.term === 'Intercept';
    if (t.kind === 'offset') {
      d.check(`${key}/estimate`, a.estimate - (intercept ? b : 0), f.estimate);
      d.check(`${key}/se`, a.se, f.se);
      if (!intercept) {
        d.check(`${key}/t`, a.t, f.t);
        d.check(`${key}/p`, a.p, f.p, 'p');
      }
      return;
    }
    const scale = t.kind === 'scale' ? c : Math.pow(t.c, -powerIn(f.term, t.variable));
    d.check(`${key}/estimate`, a.estimate / scale, f.estimate);
    d.check(`${key}/se`, a.se === null ? null : a.se / scale, f.se);
    d.check(`${key}/t`, a.t, f.t);
    d.check(`${key}/p`, a.p, f.p, 'p');
  });

  base.type3.forEach((r, i) => {
    const a = m.type3[i]!;
    const key = `type3/${r.effect}`;
    d.check(`${key}/numdf`, a.numdf, r.numdf);
    d.check(`${key}/dendf`, a.dendf, r.dendf);
    d.check(`${key}/F`, a.F, r.F);
    d.check(`${key}/p`, a.p, r.p, 'p');
  });

  // LS-means at the covariates' means: x c under scaling, + b under an offset, unchanged under a covariate's units
  base.lsmeans.forEach((l, i) => {
    const a = m.lsmeans[i]!;
    const key = `lsmeans/${l.effect} ${l.level}`;
    const f = t.kind === 'scale' ? c : 1;
    if (l.at && t.kind === 'covariate' && Object.keys(l.at).includes(t.variable) && JSON.stringify(Object.keys(l.at)) !== '[]') {
      // held at a value written in the spec (`at age 14`): a different point once age is in other units
      if (spec.lsmeans.some((r) => r.at && t.variable in r.at)) return;
    }
    d.check(`${key}/estimate`, (a.estimate - b) / f, l.estimate);
    d.check(`${key}/se`, a.se / f, l.se);
    d.check(`${key}/df`, a.df, l.df);
    if (t.kind !== 'offset') {
      d.check(`${key}/t`, a.t, l.t);
      d.check(`${key}/p`, a.p, l.p, 'p');
    }
  });
  base.diffs.forEach((x, i) => {
    const a = m.diffs[i]!;
    const key = `diffs/${x.effect} ${x.level} vs ${x.vs}`;
    if (t.kind === 'covariate' && spec.lsmeans.some((r) => r.at && t.variable in r.at)) return;
    const f = t.kind === 'scale' ? c : 1;
    d.check(`${key}/estimate`, a.estimate / f, x.estimate);
    d.check(`${key}/se`, a.se / f, x.se);
    d.check(`${key}/df`, a.df, x.df);
    d.check(`${key}/t`, a.t, x.t);
    d.check(`${key}/p`, a.p, x.p, 'p');
    d.check(`${key}/p_adj`, a.p_adj, x.p_adj, 'p_adj');
  });
  (base.slices ?? []).forEach((x, i) => {
    const a = m.slices![i]!;
    const key = `slices/${x.effect} ${x.level}`;
    d.check(`${key}/dendf`, a.dendf, x.dendf);
    d.check(`${key}/F`, a.F, x.F);
    d.check(`${key}/p`, a.p, x.p, 'p');
  });
  base.estimates.forEach((e, i) => {
    const a = m.estimates[i]!;
    const key = `estimates/${e.label}`;
    // a slope of x: x 1/1000 when x is the covariate that changed units
    const f = t.kind === 'scale' ? c : t.kind === 'covariate' && e.label.includes(t.variable) ? 1 / t.c : 1;
    d.check(`${key}/estimate`, a.estimate / f, e.estimate);
    d.check(`${key}/se`, a.se / f, e.se);
    d.check(`${key}/df`, a.df, e.df);
    d.check(`${key}/t`, a.t, e.t);
    d.check(`${key}/p`, a.p, e.p, 'p');
  });
  (base.randomSolution ?? []).forEach((r, i) => {
    if (t.kind === 'covariate') return;
    const a = m.randomSolution![i]!;
    const key = `randomSolution/${r.effect} ${r.subject ?? ''}`;
    const f = t.kind === 'scale' ? c : 1;
    d.check(`${key}/estimate`, a.estimate / f, r.estimate);
    d.check(`${key}/se`, a.se / f, r.se);
    d.check(`${key}/t`, a.t, r.t);
  });
  void kinds;
}

const summary: { case: string; transform: string; values: number; worst_rel: number; worst: string }[] = [];

async function prepare(c: CaseConfig) {
  const r = await runStudyFile(specPath(c));
  if (!r.plan) throw new Error(r.error ?? 'no plan');
  const plan = r.plan;
  const data = readDataFile(resolve(dirname(specPath(c)), plan.dataPath));
  const rows = applyFilters(deriveColumns(data.rows, plan.derived, plan.subject).rows, plan.filters);
  return { plan, rows, read: data.rows.length };
}

// one test per case (every transform), so that a failure names the case and transform
const seen = new Set<string>();
describe('unit invariance: every conformance case refitted in other units', () => {
  for (const c of CASES) {
    const id = `${c.id}${c.spec ? ` ${c.spec}` : ''}`;
    if (seen.has(id) || c.descriptivesOnly) continue;
    seen.add(id);
    it(id, async () => {
      const { plan, rows, read } = await prepare(c);
      const planned = plan.models[0]!;
      const base = runModel(rows, planned, read);
      const x = covariateOf(planned);
      const transforms: Transform[] = [
        { kind: 'scale', c: 1e-3 },
        { kind: 'scale', c: 100 },
        { kind: 'scale', c: 1e4 },
        { kind: 'offset', b: 1e5 },
        { kind: 'offset', b: 1e8 },
        ...(x ? [{ kind: 'covariate' as const, variable: x, c: 1000 }] : []),
      ];
      const failures: string[] = [];
      for (const t of transforms) {
        // yield between fits: a worker that never yields for a minute loses vitest's RPC (onTaskUpdate)
        await new Promise((resolve) => setImmediate(resolve));
        const m = runModel(transformRows(rows, planned, t), planned, read);
        const d = new Deviations();
        compareReports(base, m, t, planned.spec, d);
        failures.push(...d.failures.map((f) => `${label(t)}: ${f}`));
        summary.push({ case: id, transform: label(t), values: d.count, worst_rel: d.worst, worst: d.worstKey });
      }
      mkdirSync(join(here, '..', '..', 'test-output'), { recursive: true });
      writeFileSync(join(here, '..', '..', 'test-output', 'metamorphic-summary.json'), JSON.stringify(summary, null, 1));
      expect(failures).toEqual([]);
    }, 300_000);
  }
});
