/**
 * The conformance suite: each reference case has a `.study` spec beside its data; the spec is run by the
 * built `study run --json` in a child process (as a user runs it), and every value the reference printed
 * is compared, in that JSON, within the tolerance the case states (case.json `tolerance`, or half a unit
 * in the last printed decimal for values transcribed from SAS output). Values are matched by name
 * (covariance parameter and group, effect, level; a `describe` block's statistics by block, variable and
 * column), never by our own output's order.
 *
 * SAS prints its last iterate, which for flat likelihoods stops short of the optimum (by up to 1e-5 in
 * -2LL on fev_data; sas-fev/README.md). Study iterates to the optimum. Where a case's R optimum
 * (`optimum.json`, made by sas-fev/r_optimum.R from SAS's printed parameters) lies below SAS's -2LL by
 * more than SAS's printed precision, SAS stopped short, and:
 *   - Study's -2LL must be at or below SAS's, and at the R optimum;
 *   - covariance parameters are compared with the R optimum (its own precision: `OPTIMUM_REL`);
 *   - every other printed value is compared with SAS within half a unit of its last digit plus the
 *     first-order effect of the distance between SAS's printed parameters and the optimum:
 *     sum_k |dv/dtheta_k| (|theta_k - theta_k^SAS| + half a unit of theta_k^SAS), with dv/dtheta_k
 *     from Study's report at held parameters (SAS PARMS / NOITER), by central differences.
 * Where Study's iterations follow SAS's path (`sasPath`), the same spec stopped at SAS's criterion
 * (`converge sas`) must also reproduce every printed digit, in process.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join, resolve } from 'node:path';
import { runStudyFile } from '@study/language';
import {
  applyFilters,
  deriveColumns,
  fisherFUpper,
  describeFigures,
  readDataFile,
  runModel,
  studentTTwoSidedP,
  type FitOptions,
  type ModelReport,
  type StudyReport,
} from '@study/engine';
import { CASES, caseDir, expectedPath, here, specPath, type CaseConfig } from './cases.js';

/** Relative precision of an R optimum (optim + Newton on a numerical Hessian) in the covariance parameters. */
const OPTIMUM_REL = 1e-6;

type Json = Record<string, unknown>;

interface Tolerance {
  rel: number;
  abs: number;
}

function decimals(printed: string): number {
  const m = /\.(\d+)/.exec(printed);
  return m ? m[1].length : 0;
}

/** Half a unit in the last printed decimal ("0.0031" -> 5e-5). */
function halfUnit(printed: string): number {
  return 0.5 * 10 ** -decimals(printed);
}

/** Canonical form of an effect/term name: variables sorted, class levels attached to their variables. */
export function canonicalTerm(label: string, classes: string[], aliases: Record<string, string> = {}): string {
  const alias = (v: string) => aliases[v] ?? v;
  if (label === '(Intercept)' || label === 'Intercept') return 'Intercept';
  if (label.includes(':') || (!label.includes(' ') && !label.includes('*'))) {
    // R coefficient or effect name: "SexFemale:age", "Diet:Time", "age"
    const parts = label.split(/[:*]/).map((part) => {
      const cls = classes.find((c) => part.startsWith(c) && part.length > c.length);
      return cls ? `${cls}=${part.slice(cls.length)}` : alias(part);
    });
    return parts.sort().join('|');
  }
  // SAS label: "age*time 2", "Gender F", "A*B 1 2", "Sex*age Female", "RACE Black or African American"
  const [effect, ...rest] = label.split(' ');
  const vars = effect.split('*').map(alias);
  const classVars = vars.filter((v) => classes.includes(v));
  // a single class variable takes the whole rest (levels with spaces); several take one word each
  const levels = classVars.length === 1 ? [rest.join(' ')] : rest;
  let k = 0;
  const parts = vars.map((v) => (classes.includes(v) && k < levels.length && levels[k] !== '' ? `${v}=${levels[k++]}` : v));
  return parts.sort().join('|');
}

/** The report as the engine returns it (in process): used to check that no NaN/Infinity exists, which JSON would hide as null. */
async function runInProcess(c: CaseConfig) {
  const r = await runStudyFile(specPath(c));
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || !r.report || !r.plan) throw new Error(errors.map((d) => `${d.line}:${d.column} ${d.message}`).join('\n') || r.error);
  return { report: r.report, plan: r.plan };
}

const studyBin = join(here, '..', '..', 'packages', 'cli', 'bin', 'study.js');

/**
 * `study run --json SPEC` through the built bin (`npm test` builds first): the JSON a user gets.
 * Asynchronous, so that the test worker stays responsive while the child runs.
 */
async function runCli(c: CaseConfig): Promise<StudyReport> {
  const { stdout } = await promisify(execFile)(process.execPath, [studyBin, 'run', '--json', specPath(c)], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as StudyReport;
}

/** One value the reference printed, and where it is in our report. */
interface Item {
  key: string;
  expected: number;
  /** the string the reference printed (its precision is the tolerance), if it was printed */
  printed?: string;
  /** "p < expected" (SAS prints <.0001) */
  lessThan?: boolean;
  /** the statistic behind a p-value without a printed string, for pValue's interval */
  pContext?: Json;
  /** this value's field name (for the section tolerances) */
  field: string;
  get: (m: ModelReport, r: StudyReport) => unknown;
  /** the item is a covariance parameter estimate (compared with the optimum where SAS stopped short) */
  covparm?: { name: string; group?: string };
}

interface Verdict {
  key: string;
  ok: boolean;
  message?: string;
  /** |actual - expected| in units of the last printed digit (printed values only) */
  units?: number;
}

class Comparer {
  readonly failures: string[] = [];
  count = 0;
  /** worst |error| in units of the last printed digit, over printed values */
  worstUnits = 0;
  worstKey = '';
  /** worst |error| / allowed error, over every compared value */
  worstRatio = 0;
  constructor(
    private readonly tol: Tolerance,
    private readonly special: Json,
    private readonly overrides: Record<string, number>,
  ) {}

  private record(v: Verdict) {
    this.count++;
    if (!v.ok) this.failures.push(v.message!);
    if (v.units !== undefined && v.units > this.worstUnits) {
      this.worstUnits = v.units;
      this.worstKey = v.key;
    }
  }

  /** Compares one item; `extra` widens the absolute tolerance (the first-order bound of a stopped-short reference). */
  item(it: Item, m: ModelReport, r: StudyReport, extra = 0) {
    const a = it.get(m, r);
    if (a === MISSING) {
      this.count++;
      this.failures.push(`${it.key}: missing from the report`);
      return;
    }
    if (it.lessThan) {
      this.record({ key: it.key, ok: typeof a === 'number' && a < it.expected, message: `${it.key}: expected < ${it.expected}, got ${a}` });
      return;
    }
    if (it.field === 'p' && it.printed === undefined && it.pContext) {
      this.pValue(it.key, it.pContext, a);
      return;
    }
    this.value(it.key, it.expected, a, it.printed, it.field, extra);
  }

  /**
   * A p-value is compared at the precision of its statistic: the case's relative tolerance on t (or F)
   * maps to an interval of p, which for small or steep p is wider than the same relative tolerance on p
   * itself. (A fit that stops at SAS's 1e-8 criterion instead of the exact optimum moves t by ~1e-5.)
   */
  pValue(key: string, expected: Json, a: unknown) {
    const e = expected.p as number;
    const rel = this.tol.rel;
    let lo = e;
    let hi = e;
    if (typeof expected.t === 'number' && typeof expected.df === 'number') {
      const t = Math.abs(expected.t);
      lo = studentTTwoSidedP(t * (1 + rel), expected.df);
      hi = studentTTwoSidedP(t * (1 - rel), expected.df);
    } else if (typeof expected.F === 'number' && typeof expected.numdf === 'number' && typeof expected.dendf === 'number') {
      lo = fisherFUpper(expected.F * (1 + rel), expected.numdf, expected.dendf);
      hi = fisherFUpper(expected.F * (1 - rel), expected.numdf, expected.dendf);
    }
    const slack = Math.max(this.tol.abs, rel * Math.abs(e));
    const ok = typeof a === 'number' && a >= Math.min(lo, e - slack) && a <= Math.max(hi, e + slack);
    this.record({ key, ok, message: `${key}: expected ${e} (from the statistic: ${lo}..${hi}), got ${a}` });
  }

  value(key: string, e: number, a: unknown, printed: string | undefined, field: string, extra = 0) {
    if (typeof a !== 'number' || !Number.isFinite(a)) {
      this.record({ key, ok: false, message: `${key}: expected ${e}, got ${a}` });
      return;
    }
    let abs = this.tol.abs;
    let rel = this.tol.rel;
    if (printed !== undefined) {
      abs = halfUnit(printed) * (1 + 1e-9);
      rel = 0;
    }
    const sectionTol = this.special[`${key.split('/')[0]}_${field}`] as Tolerance | undefined;
    if (sectionTol && typeof sectionTol === 'object') rel = Math.max(rel, sectionTol.rel ?? 0);
    // df from numerical derivatives (lmerTest, emmeans): the case's satterthwaite_df_rel
    if ((field === 'df' || field === 'dendf') && typeof this.special.satterthwaite_df_rel === 'number') rel = Math.max(rel, this.special.satterthwaite_df_rel);
    if (this.overrides[key] !== undefined) {
      abs = this.overrides[key];
      rel = 0;
    }
    abs += extra;
    const err = Math.abs(a - e);
    const allowed = Math.max(abs, rel * Math.abs(e));
    const ok = err <= allowed;
    if (allowed > 0) this.worstRatio = Math.max(this.worstRatio, err / allowed);
    const units = printed !== undefined ? err / (2 * halfUnit(printed)) : undefined;
    this.record({
      key,
      ok,
      units,
      message: `${key}: expected ${e}, got ${a} (diff ${(a - e).toExponential(2)}, rel ${(err / Math.abs(e)).toExponential(2)}${extra > 0 ? `, allowed ${abs.toExponential(2)} incl. the stopped-short bound` : ''})`,
    });
  }
}

const MISSING = Symbol('missing');

/** Expected sections compared by compareCase. */
const COMPARED = new Set(['minus2ll', 'aic', 'aicc', 'bic', 'hqic', 'caic', 'model_selection', 'chosen_structure', 'dimensions', 'n_obs_used',
  'n_subjects', 'rank_X', 'covparms', 'fixed', 'type3', 'lsmeans', 'diffs', 'slices', 'estimates', 'other', 'random_solution', 'descriptives_bdi',
  'descriptives', 'fig1a']);

/** Expected sections that are not values of our report, and why. */
const NOT_COMPARED: Record<string, string> = {
  ic_convention: 'text: the formulas behind the IC values, which are compared',
  parameterization: 'text: the coding the reference used',
  lsmeans_method: 'text', type3_method: 'text', estimates_method: 'text',
  minus2ll_source: 'text: where the transcribed -2LL comes from',
  fit_printed: 'the printed strings of the compared fit statistics (their precision is the case tolerance)',
  minus2ll_fit_printed: 'the Fit Statistics rounding of the compared -2LL (compared at the iteration history\'s 8 decimals)',
  ic_r: "R's convention for AIC/BIC (logLik df = q + rank X); Study prints SAS's, compared as aic/bic",
  covparms_r_natural: "R's parameterisation (sigma, sd ratios, correlations) of the covariance parameters compared as covparms",
  covparms_se_check: "diagnostics of the reference's own numerical SEs (-2LL recomputed, gradient), not a result",
  diffs_ods_full_precision: "ODS DIFFS= data set of SAS's last iterate at full precision: the listing values (diffs) are the reference (case note)",
  type2_ods_not_compared: 'Type 1/2 tests (HTYPE=1,2): Study reports Type 3 tests only',
};

/** Sections compared by their own code below (their keys end in _printed, which is otherwise text). */
const PRINTED_SECTIONS = new Set(['dimensions_printed', 'nobs_printed', 'iterations_printed']);

const SAS_DIMENSIONS: Record<string, keyof ModelReport['dimensions']> = {
  'Covariance Parameters': 'covparms',
  'Columns in X': 'columnsX',
  'Columns in Z': 'columnsZ',
  Subjects: 'subjects',
  'Max Obs per Subject': 'maxObsPerSubject',
};

/** Every value a case's reference printed, with where it is in our report. */
function itemsOf(c: CaseConfig, expected: Json, report: StudyReport, skipped: string[]): Item[] {
  const items: Item[] = [];
  const m0 = report.models[0];
  // a case of descriptive statistics only (`describe` blocks) has no model
  const classes = m0?.info.classLevels.map((x) => x.name) ?? [];
  const aliases = c.aliases ?? {};
  const canon = (label: string) => canonicalTerm(label, [...classes, ...Object.keys(aliases).filter((k) => classes.includes(aliases[k]))], aliases);
  const model = (m: ModelReport) => m;

  /** one item per numeric field of an expected row */
  const rowItems = (section: string, name: string, e: Json, find: (m: ModelReport, r: StudyReport) => Json | undefined, fields: string[], extra: Partial<Item> = {}) => {
    const printed = (e.printed ?? {}) as Record<string, string>;
    for (const f of fields) {
      const key = `${section}/${name}/${f}`;
      const get = (m: ModelReport, r: StudyReport) => {
        const row = find(m, r);
        return row ? row[f] : MISSING;
      };
      if (f === 'p' && e.p == null && typeof e.p_lt === 'number') {
        items.push({ key, expected: e.p_lt, lessThan: true, field: f, get });
        continue;
      }
      if (typeof e[f] !== 'number') continue;
      items.push({
        key,
        expected: e[f] as number,
        field: f,
        get,
        ...(printed[f] !== undefined ? { printed: printed[f] } : {}),
        ...(f === 'p' && printed.p === undefined ? { pContext: e } : {}),
        ...(f === 'estimate' ? extra : {}),
      });
    }
  };

  for (const k of ['minus2ll', 'aic', 'aicc', 'bic', 'hqic', 'caic']) {
    if (typeof expected[k] !== 'number') continue;
    const printed = expected[`${k}_printed`] as string | undefined;
    items.push({ key: k, expected: expected[k] as number, field: k, get: (m) => (m as unknown as Json)[k], ...(printed !== undefined ? { printed } : {}) });
  }
  for (const e of (expected.model_selection ?? []) as Json[]) {
    rowItems('model_selection', String(e.structure), e, (m) => m.candidates.find((x) => x.structure === e.structure) as unknown as Json, ['q', 'minus2ll', 'aic', 'aicc', 'bic']);
  }
  for (const [k, ours] of [['n_obs_used', 'observations_used'], ['n_subjects', 'subjects'], ['rank_X', 'rank_x']] as const) {
    if (typeof expected[k] === 'number') items.push({ key: `dimensions/${k}`, expected: expected[k] as number, printed: '0', field: k, get: (m) => m.dimensions[ours] });
  }
  for (const [k, v] of Object.entries((expected.dimensions ?? {}) as Json)) {
    if (m0 && k in m0.dimensions) items.push({ key: `dimensions/${k}`, expected: v as number, printed: '0', field: k, get: (m) => (m.dimensions as unknown as Json)[k] });
  }
  // SAS's Dimensions and Number of Observations tables
  for (const [k, v] of Object.entries((expected.dimensions_printed ?? {}) as Record<string, string>)) {
    const ours = SAS_DIMENSIONS[k];
    if (!ours) {
      skipped.push(`dimensions_printed/${k}`);
      continue;
    }
    items.push({ key: `dimensions/${k}`, expected: Number(v), printed: v, field: k, get: (m) => m.dimensions[ours] });
  }
  const nobs = (expected.nobs_printed ?? {}) as Record<string, string>;
  const nobsOf: Record<string, (m: ModelReport) => number> = {
    'Number of Observations Read': (m) => m.dimensions.observations_read,
    'Number of Observations Used': (m) => m.dimensions.observations_used,
    'Number of Observations Not Used': (m) => m.dimensions.observations_read - m.dimensions.observations_used,
  };
  for (const [k, v] of Object.entries(nobs)) items.push({ key: `nobs/${k}`, expected: Number(v), printed: v, field: k, get: (m) => nobsOf[k]!(m) });
  // iteration 0: -2LL of the model with V = sigma^2 I, the same for every path
  const history = expected.iterations_printed as [string, string, string, string | null][] | undefined;
  if (history?.[0]?.[0] === '0') items.push({ key: 'iterations/0/minus2ll', expected: Number(history[0][2]), printed: history[0][2], field: 'minus2ll', get: (m) => m.iterations[0]?.minus2ll });

  for (const e of (expected.covparms ?? []) as Json[]) {
    const name = String(e.name);
    const group = e.group as string | undefined;
    const label = group ? `${name} ${group}` : name;
    const find = (m: ModelReport) => m.covparms.find((x) => x.name === name && (x.group ?? '') === (group ?? '')) as unknown as Json | undefined;
    rowItems('covparms', label, e, find, ['estimate', 'se', 'z', 'p'], { covparm: { name, ...(group ? { group } : {}) } });
    // SAS's CL option: limits in a nested block
    const cl = e.cl as Json | undefined;
    if (cl) {
      const clPrinted = (e.cl_printed ?? {}) as Record<string, string>;
      for (const f of ['lower', 'upper']) {
        if (typeof cl[f] !== 'number') continue;
        items.push({
          key: `covparms/${label}/${f}`,
          expected: cl[f] as number,
          field: f,
          get: (m) => find(m)?.[f] ?? MISSING,
          ...(clPrinted[f] !== undefined ? { printed: clPrinted[f] } : {}),
        });
      }
    }
  }
  if (!c.skip?.fixed) {
    for (const e of (expected.fixed ?? []) as Json[]) {
      const key = canon(String(e.term));
      rowItems('fixed', String(e.term), e, (m) => m.fixed.find((x) => canon(x.term) === key) as unknown as Json, ['estimate', 'se', 'df', 't', 'p', 'lower', 'upper']);
    }
  }
  for (const e of (expected.type3 ?? []) as Json[]) {
    if (c.skip?.[`type3/${e.effect}`]) continue;
    const key = canon(String(e.effect));
    const find = (m: ModelReport) => m.type3.find((x) => canon(x.effect) === key) as unknown as Json;
    rowItems('type3', String(e.effect), e, find, ['numdf', 'dendf', 'F', 'p']);
    // SAS's CHISQ option: printed as SAS printed it, or (ODS values) in the listing's format of F and p
    const printed = (e.printed ?? {}) as Record<string, string>;
    const chisqPrinted = (e.chisq_printed as Record<string, string> | undefined) ?? {
      ...(typeof e.chisq === 'number' && printed.F ? { chisq: (e.chisq as number).toFixed(decimals(printed.F)) } : {}),
      ...(typeof e.p_chisq === 'number' && printed.p ? { p_chisq: (e.p_chisq as number).toFixed(decimals(printed.p)) } : {}),
    };
    if (typeof e.chisq === 'number') {
      items.push({ key: `type3/${e.effect}/chisq`, expected: e.chisq, field: 'chisq', get: (m) => find(m)?.chisq ?? MISSING, ...(chisqPrinted.chisq ? { printed: chisqPrinted.chisq } : {}) });
      if (chisqPrinted.p_chisq === '<.0001') items.push({ key: `type3/${e.effect}/p_chisq`, expected: 1e-4, lessThan: true, field: 'p_chisq', get: (m) => find(m)?.p_chisq ?? MISSING });
      else if (typeof e.p_chisq === 'number') items.push({ key: `type3/${e.effect}/p_chisq`, expected: e.p_chisq, field: 'p_chisq', get: (m) => find(m)?.p_chisq ?? MISSING, ...(chisqPrinted.p_chisq ? { printed: chisqPrinted.p_chisq } : {}) });
    }
  }
  for (const e of (expected.lsmeans ?? []) as Json[]) {
    rowItems('lsmeans', `${e.effect} ${e.level}`, e, (m) => m.lsmeans.find((x) => canon(x.effect) === canon(String(e.effect)) && x.level === String(e.level)) as unknown as Json, ['estimate', 'se', 'df', 't', 'p', 'lower', 'upper']);
  }
  for (const e of (expected.diffs ?? []) as Json[]) {
    const sameEffect = (x: { effect: string }) => canon(x.effect) === canon(String(e.effect));
    const find = (m: ModelReport): Json | undefined => {
      const a = m.diffs.find((x) => sameEffect(x) && x.level === String(e.level) && x.vs === String(e.vs));
      if (a) return a as unknown as Json;
      // the reference lists the pair the other way round (R orders levels as given, SAS sorts them)
      const r = m.diffs.find((x) => sameEffect(x) && x.level === String(e.vs) && x.vs === String(e.level));
      return r ? ({ ...r, estimate: -r.estimate, t: -r.t, lower: r.upper === undefined ? undefined : -r.upper, upper: r.lower === undefined ? undefined : -r.lower } as unknown as Json) : undefined;
    };
    rowItems('diffs', `${e.effect} ${e.level} vs ${e.vs}`, e, find, ['estimate', 'se', 'df', 't', 'p', 'p_adj', 'lower', 'upper']);
  }
  // SAS's Tests of Effect Slices: matched by the slice level
  for (const e of (expected.slices ?? []) as Json[]) {
    rowItems('slices', `${e.effect} ${e.level}`, e, (m) => (m.slices ?? []).find((x) => Object.values(x.by)[0] === String(e.level)) as unknown as Json, ['numdf', 'dendf', 'F', 'p']);
  }
  ((expected.estimates ?? []) as Json[]).forEach((e, i) => {
    const label = String(e.label);
    if (c.skip?.[label]) return;
    const fromDiff = c.estimatesFromDiffs?.[label];
    const find = (m: ModelReport) =>
      (fromDiff
        ? m.diffs.find((d) => d.level === fromDiff.level && d.vs === fromDiff.vs && JSON.stringify(d.at ?? {}) === JSON.stringify(fromDiff.at))
        : c.estimateLabels
          ? m.estimates.find((x) => x.label === c.estimateLabels![label])
          : m.estimates[i]) as unknown as Json;
    rowItems('estimates', label, e, find, ['estimate', 'se', 'df', 't', 'p', 'lower', 'upper']);
  });
  ((expected.other ?? []) as Json[]).forEach((e, i) => {
    if (typeof e.statistic !== 'number') return; // descriptive entries (SAS tables transcribed for the record)
    rowItems('other', String(e.test), e, (_m, r) => r.other[i] as unknown as Json, ['statistic', 'df', 'p', 'estimate', 'n', 't']);
  });
  // SAS "Solution for Random Effects": matched by effect and subject level
  for (const e of (expected.random_solution ?? []) as Json[]) {
    rowItems('random_solution', `${e.effect} ${e.subject ?? ''}`, e, (m) => (m.randomSolution ?? []).find((x) => x.effect === e.effect && (x.subject ?? '') === (e.subject ?? '')) as unknown as Json, ['estimate', 'se', 'df', 't', 'p']);
  }
  // the `describe` blocks: matched by block, variable (as written) and column; a categorical variable's levels by level
  const described = (expected.descriptives ?? []) as Json[];
  const tableOf = (r: StudyReport, name: unknown) => (r.descriptives ?? []).find((t) => t.name === name);
  const describedRow = (r: StudyReport, e: Json) => tableOf(r, e.describe)?.rows.find((x) => x.label === e.label && x.group === e.group);
  for (const e of described) {
    const name = `${e.describe}/${e.label}/${e.group}`;
    rowItems('descriptives', name, e, (_m, r) => {
      const row = describedRow(r, e);
      const group = tableOf(r, e.describe)?.groups.find((g) => g.label === e.group);
      return row && group ? ({ ...row, N: group.N } as unknown as Json) : undefined;
    }, ['N', 'n', 'missing', 'mean', 'sd', 'sem', 'median', 'q1', 'q3', 'min', 'max']);
    const categorical = e.kind === 'categorical' ? 1 : 0;
    items.push({ key: `descriptives/${name}/kind`, expected: categorical, printed: '0', field: 'kind', get: (_m, r) => { const row = describedRow(r, e); return row ? (row.kind === 'categorical' ? 1 : 0) : MISSING; } });
    const levels = (e.levels ?? []) as Json[];
    if (categorical) items.push({ key: `descriptives/${name}/levels`, expected: levels.length, printed: '0', field: 'levels', get: (_m, r) => describedRow(r, e)?.levels?.length ?? MISSING });
    for (const l of levels) rowItems('descriptives', `${name}/${l.level}`, l, (_m, r) => describedRow(r, e)?.levels?.find((x) => x.level === l.level) as unknown as Json, ['n', 'percent']);
  }
  // every row of our tables is one of the reference's: as many per block
  for (const name of new Set(described.map((e) => e.describe))) {
    items.push({ key: `descriptives/${name}/rows`, expected: described.filter((e) => e.describe === name).length, printed: '0', field: 'rows', get: (_m, r) => tableOf(r, name)?.rows.length ?? MISSING });
  }
  // Fig. 1A: the means ± SEM of a describe block by a within-subject column, the figure drawn from its table (figures.ts)
  for (const e of (expected.fig1a ?? []) as Json[]) {
    const point = (r: StudyReport) => {
      const table = tableOf(r, e.describe);
      const figure = table ? describeFigures(table).find((f) => f.outcome === e.outcome) : undefined;
      return figure?.points.find((p) => p.level === e.level) as unknown as Json | undefined;
    };
    rowItems('fig1a', `${e.describe}/${e.outcome}/${e.level}`, e, (_m, r) => point(r), ['n', 'mean', 'sem']);
  }
  // descriptives of a raw column by visit: the data as the engine's CSV reader reads them (missing cells dropped)
  const descriptives = expected.descriptives_bdi as Json[] | undefined;
  if (descriptives) {
    const data = readDataFile(join(caseDir(c.id), String(expected.__data)));
    for (const e of descriptives) {
      const ys = data.rows.filter((r) => r.visit === e.visit && typeof r.bdi === 'number').map((r) => r.bdi as number);
      const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
      const sd = Math.sqrt(ys.reduce((a, y) => a + (y - mean) ** 2, 0) / (ys.length - 1));
      const stats: Json = { n: ys.length, mean, sd };
      rowItems('descriptives_bdi', `visit ${e.visit}`, e, () => stats, ['n', 'mean', 'sd']);
    }
  }
  void model;
  return items;
}

interface Optimum {
  minus2ll_optimum: number;
  parms: { name: string; group?: string; sas: number; optimum: number }[];
}

interface Comparison {
  cmp: Comparer;
  /** the R optimum lies below SAS's -2LL by more than SAS's printed precision */
  stoppedShort: boolean;
}

function expectedSections(c: CaseConfig, expectedJson: Json): Json {
  const expected = { ...(expectedJson.expected as Json), __data: expectedJson.data };
  if (c.variant) {
    for (const k of Object.keys(expected)) if (k.endsWith(c.variant)) expected[k.slice(0, -c.variant.length)] = expected[k];
  }
  return expected;
}

function newComparer(c: CaseConfig, expectedJson: Json): Comparer {
  const tolerance = (expectedJson.tolerance ?? {}) as Json;
  const baseTol: Tolerance = { rel: (tolerance.rel as number) ?? 1e-4, abs: (tolerance.abs as number) ?? 1e-6 };
  // tolerance.minus2ll_abs: the reference states how close -2LL must be (its own optimiser's precision)
  const minus2llAbs = typeof tolerance.minus2ll_abs === 'number' ? { minus2ll: tolerance.minus2ll_abs } : {};
  return new Comparer(
    baseTol,
    { covparms_se: tolerance.covparms_se, ...(c.variant !== '_kr' ? { satterthwaite_df_rel: tolerance.satterthwaite_df_rel } : {}) },
    { ...minus2llAbs, ...(c.absOverrides ?? {}) },
  );
}

/** Checks that every expected section is compared, or named as not a value to compare: an unknown section fails. */
function uncomparedSections(c: CaseConfig, expected: Json): string[] {
  const out: string[] = [];
  for (const k of Object.keys(expected)) {
    if (k === '__data' || PRINTED_SECTIONS.has(k)) continue;
    if ((k.endsWith('_printed') && !PRINTED_SECTIONS.has(k)) || k.endsWith('_note') || COMPARED.has(k) || k in NOT_COMPARED || c.skip?.[k]) continue;
    const variantOf = /^(.*?)(_kr(_observed)?|_centred)$/.exec(k);
    if (variantOf && COMPARED.has(variantOf[1]) && CASES.some((x) => x.id === c.id && x.variant === variantOf[2])) continue; // compared in that variant's run
    out.push(`expected section '${k}' is not compared by this harness (compare it, or list it in NOT_COMPARED with the reason)`);
  }
  return out;
}

/** The model's report at held covariance parameters (SAS PARMS / NOITER), in process. */
function heldReport(inProcess: Awaited<ReturnType<typeof runInProcess>>, c: CaseConfig, theta: number[]): ModelReport {
  const { plan } = inProcess;
  const data = readDataFile(resolve(dirname(specPath(c)), plan.dataPath));
  const rows = applyFilters(deriveColumns(data.rows, plan.derived, plan.subject).rows, plan.filters);
  const options: FitOptions = { start: theta, holdParameters: true };
  return runModel(rows, plan.models[0]!, data.rows.length, undefined, options);
}

async function compareCase(c: CaseConfig, expectedJson: Json, report: StudyReport, inProcess: Awaited<ReturnType<typeof runInProcess>>): Promise<Comparison> {
  const expected = expectedSections(c, expectedJson);
  const cmp = newComparer(c, expectedJson);
  cmp.failures.push(...uncomparedSections(c, expected));
  const skipped: string[] = [];
  const items = itemsOf(c, expected, report, skipped);
  for (const k of skipped) cmp.failures.push(`${k}: not a value of Study's report`);
  const m = report.models[0];

  if (typeof expected.chosen_structure === 'string') {
    cmp.count++;
    const chosen = m.candidates.find((x) => x.chosen)?.structure;
    if (chosen !== expected.chosen_structure) cmp.failures.push(`chosen_structure: expected ${expected.chosen_structure}, got ${chosen}`);
  }

  const optimum = c.optimumFile ? (JSON.parse(readFileSync(join(caseDir(c.id), c.optimumFile), 'utf8')) as Optimum) : undefined;
  const sasM2ll = expected.minus2ll as number | undefined;
  const m2llHalf = typeof expected.minus2ll_printed === 'string' ? halfUnit(expected.minus2ll_printed) : 5e-9;
  // SAS's last iterate is not the optimum when its -2LL is above the optimum's (by any amount: its printed
  // parameters then only say that the iterate lies within half a unit of them), or when a printed
  // parameter is not the optimum's value rounded (a flat direction moves -2LL by < 1e-9)
  const printedOf = (name: string, group?: string) =>
    (((expected.covparms ?? []) as Json[]).find((x) => x.name === name && (x.group ?? '') === (group ?? ''))?.printed as Record<string, string> | undefined)?.estimate;
  const stoppedShort = Boolean(
    optimum &&
      sasM2ll !== undefined &&
      (sasM2ll - optimum.minus2ll_optimum > 0 ||
        optimum.parms.some((p) => {
          const printed = printedOf(p.name, p.group);
          return printed !== undefined && Math.abs(p.sas - p.optimum) > halfUnit(printed) * (1 + 1e-9);
        })),
  );
  if (!stoppedShort) {
    for (const it of items) cmp.item(it, m, report);
    return { cmp, stoppedShort };
  }

  // SAS stopped short of the optimum: -2LL at or below SAS's and at the R optimum
  cmp.count++;
  if (!(m.minus2ll <= sasM2ll! + m2llHalf)) cmp.failures.push(`minus2ll: ${m.minus2ll} is above SAS's last iterate ${sasM2ll}`);
  cmp.count++;
  if (!(m.minus2ll <= optimum!.minus2ll_optimum + 1e-8)) cmp.failures.push(`minus2ll: ${m.minus2ll} is above the R optimum ${optimum!.minus2ll_optimum}`);
  const theta = m.covparms.map((p) => p.estimate);
  const sasTheta: number[] = [];
  const sasHalf: number[] = [];
  for (const p of m.covparms) {
    const e = ((expected.covparms ?? []) as Json[]).find((x) => x.name === p.name && (x.group ?? '') === (p.group ?? ''));
    const printed = (e?.printed as Record<string, string> | undefined)?.estimate;
    sasTheta.push(e ? (e.estimate as number) : p.estimate);
    sasHalf.push(printed ? halfUnit(printed) : 0);
  }
  // first-order sensitivity of every value to each covariance parameter, at held parameters
  const base = heldReport(inProcess, c, theta);
  const wrap = (mr: ModelReport): StudyReport => ({ ...report, models: [mr] });
  const sensitivity = items.map(() => 0);
  const values = (mr: ModelReport) => items.map((it) => it.get(mr, wrap(mr)));
  const baseValues = values(base);
  theta.forEach((t, k) => {
    const h = 1e-4 * Math.max(Math.abs(t), 1e-2);
    const up = theta.slice();
    const down = theta.slice();
    up[k] = t + h;
    down[k] = t - h;
    const vu = values(heldReport(inProcess, c, up));
    const vd = values(heldReport(inProcess, c, down));
    const reach = Math.abs(t - sasTheta[k]!) + sasHalf[k]!;
    items.forEach((_, i) => {
      const a = vu[i];
      const b = vd[i];
      if (typeof a === 'number' && typeof b === 'number') sensitivity[i] += (Math.abs(a - b) / (2 * h)) * reach;
    });
  });
  // the held report reproduces the fitted one (the same parameters, no iterations)
  items.forEach((it, i) => {
    const a = it.get(m, report);
    const b = baseValues[i];
    if (typeof a === 'number' && typeof b === 'number' && !(Math.abs(a - b) <= 1e-8 * Math.max(1, Math.abs(a)))) cmp.failures.push(`${it.key}: held parameters give ${b}, the fit ${a}`);
  });
  for (const [i, it] of items.entries()) {
    if (it.key === 'minus2ll') continue;
    if (it.covparm && it.field === 'estimate') {
      const o = optimum!.parms.find((p) => p.name === it.covparm!.name && (p.group ?? '') === (it.covparm!.group ?? ''));
      if (!o) {
        cmp.failures.push(`${it.key}: not in the optimum file`);
        continue;
      }
      cmp.value(`${it.key} (R optimum)`, o.optimum, it.get(m, report), undefined, 'optimum', OPTIMUM_REL * Math.abs(o.optimum));
      continue;
    }
    cmp.item(it, m, report, sensitivity[i]!);
  }
  return { cmp, stoppedShort };
}

/** Paths of every NaN or infinite number in a report: none may reach the user. */
function nonFiniteNumbers(value: unknown, at = ''): string[] {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [at];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => nonFiniteNumbers(v, `${at}/${k}`));
  return [];
}

/** What each case compared, for the closing table (test-output/conformance-summary.json). */
const summary: {
  case: string;
  values: number;
  /** worst error in units of the last printed digit (with a stopped-short reference, before the bound) */
  worst_units: number;
  worst: string;
  /** worst error / tolerance allowed (< 1 passes) */
  worst_ratio: number;
  stopped_short: boolean;
  sas_path?: { values: number; worst_units: number };
}[] = [];

describe('conformance: study run --json against SAS and R', () => {
  for (const c of CASES) {
    it(`${c.id}${c.variant ? ` (${c.variant.slice(1)})` : ''}`, async () => {
      const expectedJson = JSON.parse(readFileSync(expectedPath(c), 'utf8')) as Json;
      const report = await runCli(c);
      const inProcess = await runInProcess(c);
      const { cmp, stoppedShort } = await compareCase(c, expectedJson, report, inProcess);
      expect(cmp.failures).toEqual([]);
      expect(nonFiniteNumbers(inProcess.report)).toEqual([]);
      // the CLI prints exactly the engine's report (but for the provenance manifest: its run time is its own; and
      // the figures' numbers, which `study run` computes only for --out: the in-process run has them, checked above)
      const withoutProvenance = ({ provenance: _p, figures: _f, ...rest }: StudyReport) => rest;
      expect(withoutProvenance(report)).toEqual(JSON.parse(JSON.stringify(withoutProvenance(inProcess.report))));
      expect(cmp.count).toBeGreaterThanOrEqual(4);
      const entry: (typeof summary)[number] = {
        case: `${c.id}${c.variant ?? ''}`,
        values: cmp.count,
        worst_units: cmp.worstUnits,
        worst: cmp.worstKey,
        worst_ratio: cmp.worstRatio,
        stopped_short: stoppedShort,
      };
      if (c.sasPath) {
        // the same spec stopped at SAS's criterion: SAS's last iterate, every printed digit
        const plan = inProcess.plan;
        const model = { ...plan.models[0]!, spec: { ...plan.models[0]!.spec, convergence: 'sas' as const } };
        const data = readDataFile(resolve(dirname(specPath(c)), plan.dataPath));
        const rows = applyFilters(deriveColumns(data.rows, plan.derived, plan.subject).rows, plan.filters);
        const sasReport = runModel(rows, model, data.rows.length);
        const expected = expectedSections(c, expectedJson);
        const strict = newComparer(c, expectedJson);
        const sr: StudyReport = { ...inProcess.report, models: [sasReport] };
        for (const item of itemsOf(c, expected, sr, [])) strict.item(item, sasReport, sr);
        expect(strict.failures, 'stopped at SAS\'s criterion').toEqual([]);
        entry.sas_path = { values: strict.count, worst_units: strict.worstUnits };
      }
      summary.push(entry);
      if (process.env.CONFORMANCE_VERBOSE) console.log(`${entry.case}: ${cmp.count} values, worst ${cmp.worstUnits.toFixed(2)} units (${cmp.worstKey})${stoppedShort ? ', SAS stopped short' : ''}${entry.sas_path ? `; at SAS's criterion ${entry.sas_path.values} values, worst ${entry.sas_path.worst_units.toFixed(2)}` : ''}`);
      mkdirSync(join(here, '..', '..', 'test-output'), { recursive: true });
      writeFileSync(join(here, '..', '..', 'test-output', 'conformance-summary.json'), JSON.stringify(summary, null, 1));
    }, 240_000);
  }
});

describe('canonicalTerm', () => {
  it('matches SAS labels, R coefficient names and effect names', () => {
    expect(canonicalTerm('Age*Gender F', ['Gender'])).toBe(canonicalTerm('Gender*Age F', ['Gender']));
    expect(canonicalTerm('SexFemale:age', ['Sex'])).toBe(canonicalTerm('Sex*age Female', ['Sex']));
    expect(canonicalTerm('age*time 2', ['visit'], { time: 'visit' })).toBe(canonicalTerm('visit*age 2', ['visit']));
    expect(canonicalTerm('Sex:age', ['Sex'])).toBe(canonicalTerm('Sex*age', ['Sex']));
    expect(canonicalTerm('(Intercept)', [])).toBe('Intercept');
    expect(canonicalTerm('RACE Black or African American', ['RACE'])).toBe('RACE=Black or African American');
    expect(canonicalTerm('AVISIT*ARMCD VIS2 TRT', ['AVISIT', 'ARMCD'])).toBe(canonicalTerm('ARMCD*AVISIT TRT VIS2', ['AVISIT', 'ARMCD']));
  });
});
