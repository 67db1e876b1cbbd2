/**
 * `study export r` reproduces the numbers: for every conformance spec (and the ketamine example), the R export is written to a temp
 * folder, Rscript runs it (`--json` writes its numbers), and they are compared with
 * `study run --json` of the same spec.
 *
 * Compared, where the R script computes the same quantity (its `same` flags say when R's df method or
 * standard errors are not Study's: nlme::gls has only N − p df, lme its own, and neither has
 * Kenward-Roger; pbkrtest's Kenward-Roger uses the expected information, not SAS's observed one):
 *   −2 (res) log likelihood; every covariance parameter (by SAS name); every fixed-effect estimate and
 *   SE (and df); Type 3: the Wald χ² (numdf × F before any Kenward-Roger scaling), and F and the den df
 *   where the df method is the same; LS-means, their differences (and Tukey p), slices' F and df;
 *   `estimate` slopes; the `select cov` candidates' −2LL / AIC / AICC / BIC and the chosen structure;
 *   the paired t-tests and correlations.
 * Tolerance: relative 1e-4 (|a − b| ≤ 1e-4 max(|a|, |b|)), where a value near 0 is measured on its own
 * scale: an estimate against its standard error, a covariance UN(i,j) against √(UN(i,i) UN(j,j)), a
 * correlation against 1, a p-value also within 1e-10; a G-side variance Study holds at its boundary 0 must
 * be at most 1e-3 of the residual variance in R (lme's log-scale parameter cannot reach 0).
 * The specs R cannot fit (NOT_FITTABLE) must be refused by the script, with the reason, and nothing else.
 *
 * Skipped only when Rscript is missing and CI is not set; on CI a missing Rscript fails (.ci/run installs R).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { exportStudyFile } from '@study/language';
import { CASES, here, specPath } from './cases.js';

const exec = promisify(execFile);
const root = join(here, '..', '..');
const studyBin = join(root, 'packages', 'cli', 'bin', 'study.js');
const hasR = spawnSync('Rscript', ['--version'], { stdio: 'ignore' }).status === 0;
const onCI = Boolean(process.env.CI);

/** The specs whose export refuses to fit (the reason, as the script states it). */
const NOT_FITTABLE: Record<string, RegExp> = {
  'sas-line-source/spec.study': /TOEP\(4\) \(a banded Toeplitz/,
  'sas-fev/fev-int-ante1-reml.study': /ANTE\(1\)/,
  'sas-fev/fev-kr-ante1.study': /ANTE\(1\)/,
  ...Object.fromEntries(['cs', 'csh', 'ar1', 'arh1', 'toeph', 'ante1'].map((s) => [`sas-fev/fev-group-${s}-reml.study`, /GROUP=ARMCD/])),
};

// every conformance spec, and the ketamine example (its three sensitivity variants)
const specs = [...new Set([...CASES.map((c) => specPath(c)), join(root, 'examples', 'ketamine', 'ketamine.study')])];
const tmp = mkdtempSync(join(tmpdir(), 'study-r-export-'));

type Json = Record<string, any>;

interface Outcome {
  spec: string;
  values: number;
  worstRel: number;
  worst: string;
  fitted: string[];
  refused: { model: string; reason: string }[];
  onScale: string[];
}
const outcomes: Outcome[] = [];

class Compare {
  values = 0;
  worstRel = 0;
  worst = '';
  failures: string[] = [];
  /** values near 0 that pass on their own scale (an estimate against its SE, a boundary variance, a tiny p) */
  onScale: string[] = [];
  /** `scale`: the value's own scale for values near 0 (|a − b| ≤ 1e-4 scale also passes) */
  num(key: string, study: unknown, r: unknown, scale = 0, abs = 0) {
    this.values++;
    if (typeof study !== 'number' || typeof r !== 'number') {
      if (study === null && r === null) return;
      this.failures.push(`${key}: Study ${study}, R ${r}`);
      return;
    }
    const d = Math.abs(study - r);
    const m = Math.max(Math.abs(study), Math.abs(r));
    const rel = m === 0 ? 0 : d / m;
    // the worst relative error among the values the plain relative rule passes (the others: `onScale`)
    if (d <= 1e-4 * m) {
      if (rel > this.worstRel) {
        this.worstRel = rel;
        this.worst = key;
      }
    } else if (d <= 1e-4 * Math.max(m, scale) || d <= abs) this.onScale.push(`${key}: Study ${study}, R ${r}`);
    if (!(d <= 1e-4 * Math.max(m, scale) || d <= abs)) this.failures.push(`${key}: Study ${study}, R ${r} (rel ${rel.toExponential(2)})`);
  }
  missing(key: string) {
    this.failures.push(`${key}: in R's numbers, not in Study's report`);
  }
}

const sortedKey = (vars: string[]) => [...vars].sort().join('*');
const sameAt = (a: Json | undefined, b: Json | undefined) => {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  return ka.length === kb.length && ka.every((k) => typeof b?.[k] === 'number' && Math.abs(a![k] - b[k]) <= 1e-9 * Math.max(1, Math.abs(a![k])));
};
const CORRELATION = /^(AR\(1\)|ARH\(1\)|CSH|TOEPH\(\d+\)|Rho\(\d+\)|SP\(POW\))$/;

function compareModel(c: Compare, sm: Json, rm: Json) {
  const m = sm.name as string;
  c.num(`${m}/minus2ll`, sm.minus2ll, rm.minus2ll);
  const residual = (sm.covparms as Json[]).find((x) => x.name === 'Residual')?.estimate;
  const cov = (name: string) => (sm.covparms as Json[]).find((x) => x.name === name)?.estimate as number | undefined;
  for (const rc of rm.covparms as Json[]) {
    const sc = (sm.covparms as Json[]).find((x) => x.name === rc.name && (rc.subject === undefined || x.subject === undefined || x.subject === rc.subject));
    if (!sc) {
      c.missing(`${m}/covparms/${rc.name}`);
      continue;
    }
    const un = /^UN\((\d+),(\d+)\)$/.exec(rc.name);
    let scale = 0;
    if (un && un[1] !== un[2]) scale = Math.sqrt(Math.abs((cov(`UN(${un[1]},${un[1]})`) ?? 0) * (cov(`UN(${un[2]},${un[2]})`) ?? 0)));
    else if (CORRELATION.test(rc.name)) scale = 1;
    else if (rc.name === 'CS') scale = Math.abs(sc.estimate) + Math.abs(residual ?? 0);
    const boundary = sc.estimate === 0 && typeof residual === 'number' ? 1e-3 * residual : 0;
    c.num(`${m}/covparms/${rc.name}`, sc.estimate, rc.estimate, scale, boundary);
  }
  const studyEffect = (vars: string[]) => (sm.fixed as Json[]).map((x) => String(x.term).split(' ')[0]!).find((e) => sortedKey(e.split('*')) === sortedKey(vars)) ?? vars.join('*');
  for (const rf of rm.fixed as Json[]) {
    const vars = rf.vars as string[];
    const effect = vars.length === 0 ? 'Intercept' : studyEffect(vars);
    const label = [effect, ...effect.split('*').filter((v) => rf.levels?.[v] !== undefined).map((v) => rf.levels[v])].join(' ');
    const sf = (sm.fixed as Json[]).find((x) => x.term === (vars.length === 0 ? 'Intercept' : label));
    if (!sf) {
      c.missing(`${m}/fixed/${rf.term}`);
      continue;
    }
    c.num(`${m}/fixed/${sf.term}/estimate`, sf.estimate, rf.estimate, sf.se ?? 0);
    if (rm.same.se) c.num(`${m}/fixed/${sf.term}/se`, sf.se, rf.se);
    if (rm.same.df && rf.df !== undefined) c.num(`${m}/fixed/${sf.term}/df`, sf.df, rf.df);
  }
  for (const rt of (rm.type3 ?? []) as Json[]) {
    const st = (sm.type3 as Json[]).find((x) => sortedKey(String(x.effect).split('*')) === sortedKey(String(rt.effect).split('*')));
    if (!st) {
      c.missing(`${m}/type3/${rt.effect}`);
      continue;
    }
    if (rm.same.se) c.num(`${m}/type3/${rt.effect}/chisq`, st.chisq, rt.chisq);
    if (rm.same.df && rm.same.se) {
      c.num(`${m}/type3/${rt.effect}/F`, st.F, rt.F);
      c.num(`${m}/type3/${rt.effect}/dendf`, st.dendf, rt.dendf);
    }
  }
  for (const rl of (rm.lsmeans ?? []) as Json[]) {
    const sl = (sm.lsmeans as Json[]).find((x) => x.effect === rl.effect && x.level === rl.level && sameAt(x.at, rl.at));
    if (!sl) {
      c.missing(`${m}/lsmeans/${rl.effect} ${rl.level}`);
      continue;
    }
    const k = `${m}/lsmeans/${rl.effect} ${rl.level}${rl.at ? ` at ${JSON.stringify(rl.at)}` : ''}`;
    c.num(`${k}/estimate`, sl.estimate, rl.estimate, sl.se);
    if (rm.same.se) c.num(`${k}/se`, sl.se, rl.se);
    if (rm.same.df) c.num(`${k}/df`, sl.df, rl.df);
  }
  for (const rd of (rm.diffs ?? []) as Json[]) {
    const sd = (sm.diffs as Json[]).find((x) => x.effect === rd.effect && x.level === rd.level && x.vs === rd.vs && sameAt(x.at, rd.at));
    if (!sd) {
      c.missing(`${m}/diffs/${rd.level} - ${rd.vs}`);
      continue;
    }
    const k = `${m}/diffs/${rd.effect} ${rd.level} - ${rd.vs}${rd.at ? ` at ${JSON.stringify(rd.at)}` : ''}`;
    c.num(`${k}/estimate`, sd.estimate, rd.estimate, sd.se);
    if (rm.same.se) c.num(`${k}/se`, sd.se, rd.se);
    if (rm.same.df && rm.same.se) {
      c.num(`${k}/df`, sd.df, rd.df);
      if (rd.p_adj !== undefined) c.num(`${k}/p_adj`, sd.p_adj, rd.p_adj, 0, 1e-10);
    }
  }
  for (const rs of (rm.slices ?? []) as Json[]) {
    const ss = ((sm.slices ?? []) as Json[]).find((x) => x.effect === rs.effect && x.level === rs.level);
    if (!ss) {
      c.missing(`${m}/slices/${rs.effect} ${rs.level}`);
      continue;
    }
    if (rm.same.df && rm.same.se && sm.info.dfMethod !== 'kenward-roger') {
      c.num(`${m}/slices/${rs.level}/F`, ss.F, rs.F);
      if (rs.dendf !== null && rs.dendf !== undefined) c.num(`${m}/slices/${rs.level}/dendf`, ss.dendf, rs.dendf);
    }
  }
  for (const re of (rm.estimates ?? []) as Json[]) {
    const se = (sm.estimates as Json[]).find((x) => x.label === re.label);
    if (!se) {
      c.missing(`${m}/estimates/${re.label}`);
      continue;
    }
    c.num(`${m}/estimates/${re.label}/estimate`, se.estimate, re.estimate, se.se);
    if (rm.same.se) c.num(`${m}/estimates/${re.label}/se`, se.se, re.se);
    if (rm.same.df) c.num(`${m}/estimates/${re.label}/df`, se.df, re.df);
  }
  for (const rc of (rm.candidates ?? []) as Json[]) {
    const sc = (sm.candidates as Json[]).find((x) => x.structure === rc.structure);
    if (!sc) {
      c.missing(`${m}/candidates/${rc.structure}`);
      continue;
    }
    for (const f of ['minus2ll', 'aic', 'aicc', 'bic']) c.num(`${m}/candidates/${rc.structure}/${f}`, sc[f], rc[f]);
  }
  if (rm.chosen_structure !== undefined) {
    c.values++;
    const chosen = (sm.candidates as Json[]).find((x) => x.chosen)?.structure;
    if (chosen !== rm.chosen_structure) c.failures.push(`${m}/chosen_structure: Study ${chosen}, R ${rm.chosen_structure}`);
  }
}

/** At most one R run (and its `study run`) per CPU at a time, so that the other test files keep their time. */
const slots = Math.max(2, cpus().length);
let busy = 0;
const waiting: (() => void)[] = [];
async function limited<T>(f: () => Promise<T>): Promise<T> {
  if (busy >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
  busy++;
  try {
    return await f();
  } finally {
    busy--;
    waiting.shift()?.();
  }
}

let exporting: Promise<unknown> = Promise.resolve();

async function cli(args: string[]): Promise<string> {
  const { stdout } = await exec(process.execPath, [studyBin, ...args], { encoding: 'utf8', timeout: 180_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

describe.skipIf(!hasR && !onCI)('study export r: the R script reproduces study run --json', () => {
  if (!hasR) {
    it('Rscript is installed (CI must install R: .ci/run)', () => {
      expect(hasR, 'Rscript is not on the PATH, and CI is set: the R export check must run on CI').toBe(true);
    });
    return;
  }
  for (const spec of specs) {
    const id = relative(here, spec);
    it.concurrent(
      id,
      async () => {
        const script = join(tmp, `${id.replace(/[^A-Za-z0-9]+/g, '_')}.R`);
        const numbers = script.replace(/\.R$/, '.json');
        // the export in process (the CLI's `study export r` is this call: packages/cli/test), the report from the CLI
        const study = await limited(async () => {
          // the in-process exports one after the other (they share the language services' workspace)
          const job = exporting.then(() => exportStudyFile(spec, 'r'));
          exporting = job.catch(() => undefined);
          const [exported, studyJson] = await Promise.all([job, cli(['run', '--json', spec])]);
          if (exported.text === undefined) throw new Error(`${id}: ${exported.error}`);
          writeFileSync(script, exported.text);
          await exec('Rscript', [script, '--json', numbers], { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }).catch((e: Error & { stderr?: string }) => {
            throw new Error(`Rscript ${script} failed: ${e.message}\n${(e.stderr ?? '').slice(-2000)}`);
          });
          return JSON.parse(studyJson) as Json;
        });
        const r = JSON.parse(readFileSync(numbers, 'utf8')) as Json;
        const c = new Compare();
        const refused: Outcome['refused'] = [];
        const fitted: string[] = [];
        for (const rm of r.models as Json[]) {
          if (!rm.fitted) {
            refused.push({ model: rm.name, reason: rm.reason });
            continue;
          }
          fitted.push(rm.name);
          const sm = (study.models as Json[]).find((x) => x.name === rm.name);
          if (!sm) {
            c.missing(`model ${rm.name}`);
            continue;
          }
          compareModel(c, sm, rm);
        }
        for (const ro of (r.other ?? []) as Json[]) {
          const so = (study.other as Json[]).find((x) => x.analysis === ro.analysis && x.test === ro.test);
          if (!so) {
            c.missing(`other/${ro.test}`);
            continue;
          }
          for (const k of ['statistic', 't', 'df', 'p', 'estimate', 'n', 'lower', 'upper']) if (ro[k] !== undefined && so[k] !== undefined) c.num(`other/${ro.test}/${k}`, so[k], ro[k]);
        }
        outcomes.push({ spec: id, values: c.values, worstRel: c.worstRel, worst: c.worst, fitted, refused, onScale: c.onScale });
        const expectedRefusal = NOT_FITTABLE[id];
        if (expectedRefusal) {
          expect(refused.length, `${id}: R should refuse (${expectedRefusal})`).toBeGreaterThan(0);
          for (const x of refused) expect(x.reason).toMatch(expectedRefusal);
        } else {
          expect(refused, `${id}: the R export refused a model it should fit`).toEqual([]);
          // (a spec with only `describe` blocks has no model or analysis to compare)
          if ((study.models as Json[]).length + (study.other as Json[]).length > 0) expect(c.values).toBeGreaterThan(0);
        }
        expect(c.failures).toEqual([]);
      },
      600_000,
    );
  }
  afterAll(() => {
    mkdirSync(join(root, 'test-output'), { recursive: true });
    outcomes.sort((a, b) => a.spec.localeCompare(b.spec));
    writeFileSync(join(root, 'test-output', 'r-export-summary.json'), JSON.stringify(outcomes, null, 1));
  });
});
