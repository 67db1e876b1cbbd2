/**
 * `study export sas` states the model the SAS program of each SAS conformance case states: the case's
 * reference.sas (test/conformance/sas-*\/reference.sas, test/conformance/sas-fev/fev-*\/reference.sas) and
 * the export of the case's spec are read into PROC MIXED statements (sas-statements.ts: which statements
 * and options are compared, and which are printing options and are not) and must be equal, statement by
 * statement. Also: the export is a whole program (DATA step, one PROC MIXED per model, RUN).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildPlan, checkStudyFile, loadData, resolveDataPath } from '@study/language';
import { exportSas } from '../../packages/language/src/export/sas.js';
import { exportData } from '../../packages/language/src/export/model-data.js';
import { CASES, caseDir, here, specPath } from './cases.js';
import { mixedSteps, sasStatements, type MixedStep } from './sas-statements.js';

/** Where a reference names a subject differently from the data the spec reads (with the reason). */
const SUBJECT_ALIASES: Record<string, { aliases: Record<string, string>; reason: string }> = {
  'sas-line-source': {
    aliases: { 'BLOCK*CULT': 'BLOCKCULT' },
    reason: "SUBJECT=Block*Cult: data.csv has the column BlockCult, one level per Block and Cult (the case's README)",
  },
};

const sasCases = [...new Map(CASES.filter((c) => c.id.startsWith('sas-')).map((c) => [specPath(c), c])).values()];

/** SAS's order of a class variable's levels (numbers by value, text in ASCII order), whatever REF= does. */
function sasOrder(levels: string[], numeric: boolean): string[] {
  return [...levels].sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

async function exported(spec: string) {
  const checked = await checkStudyFile(spec);
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => d.message).join('; '));
  const plan = buildPlan(checked.document);
  const load = loadData(resolveDataPath(checked.document.uri, plan.dataPath), caseDir('.'));
  if (!load.ok) throw new Error(load.error);
  const x = exportData(plan, load.data);
  const design = x.models[0]!.design!;
  const byUpper = new Map<string, string[]>();
  for (const [v, levels] of design.classLevels) byUpper.set(v.toUpperCase(), sasOrder(levels, x.kinds.get(v) === 'numeric'));
  return { program: exportSas(plan, load.data, { specFile: spec }, x), levelsOf: (v: string) => byUpper.get(v) };
}

/** The subject variables: their place in CLASS is not compared (the export always lists them; it changes no number). */
function withoutSubjectClasses(s: MixedStep): MixedStep {
  const subjects = new Set([s.repeated?.subject, ...s.random.map((r) => r.subject)].flatMap((x) => (x ? x.split('*') : [])));
  const inEffects = new Set([...s.effects, s.repeated?.effect ?? '', s.repeated?.group ?? '', ...s.random.flatMap((r) => [...r.effects, r.group ?? ''])].flatMap((e) => e.split('*')));
  return { ...s, classes: Object.fromEntries(Object.entries(s.classes).filter(([v]) => !subjects.has(v) || inEffects.has(v))) };
}

const summary: { case: string; statements: string[]; equal: boolean }[] = [];

describe('study export sas states the model of each SAS case (reference.sas)', () => {
  it('covers every SAS case, each with its reference.sas', () => {
    expect(sasCases.length).toBeGreaterThanOrEqual(39);
    for (const c of sasCases) expect(existsSync(join(caseDir(c.id), 'reference.sas')), `${c.id}/reference.sas`).toBe(true);
  });

  for (const c of sasCases) {
    it(relative(here, specPath(c)), async () => {
      const reference = readFileSync(join(caseDir(c.id), 'reference.sas'), 'utf8');
      const { program, levelsOf } = await exported(specPath(c));
      const aliases = SUBJECT_ALIASES[c.id]?.aliases ?? {};
      const ref = mixedSteps(reference, levelsOf, aliases).map(withoutSubjectClasses);
      const ours = mixedSteps(program, levelsOf).map(withoutSubjectClasses);
      expect(ref, 'reference.sas has one PROC MIXED').toHaveLength(1);
      expect(ours, 'the export has one PROC MIXED (one model, one structure)').toHaveLength(1);
      const [r, o] = [ref[0]!, ours[0]!];
      // statement by statement, so that a failure names the statement
      expect(o.method, 'PROC MIXED METHOD=').toBe(r.method);
      expect(o.classes, 'CLASS (used variables, reference levels)').toEqual(r.classes);
      expect({ response: o.response, effects: o.effects, noint: o.noint, ddfm: o.ddfm, alpha: o.alpha }, 'MODEL').toEqual({ response: r.response, effects: r.effects, noint: r.noint, ddfm: r.ddfm, alpha: r.alpha });
      expect(o.repeated, 'REPEATED').toEqual(r.repeated);
      expect(o.random, 'RANDOM').toEqual(r.random);
      expect(o.lsmeans, 'LSMEANS').toEqual(r.lsmeans);
      expect(o.slices, 'SLICE').toEqual(r.slices);
      expect(o.estimates, 'ESTIMATE').toEqual(r.estimates);
      const statements = [
        `METHOD=${r.method}`,
        `CLASS ${Object.entries(r.classes).map(([v, l]) => `${v}(REF='${l}')`).join(' ')}`,
        `MODEL ${r.response} = ${r.effects.join(' ')} / DDFM=${r.ddfm}${r.noint ? ' NOINT' : ''}${r.alpha !== 0.05 ? ` ALPHA=${r.alpha}` : ''}`,
        ...(r.repeated ? [`REPEATED ${r.repeated.effect ?? ''} / SUBJECT=${r.repeated.subject} TYPE=${r.repeated.type}${r.repeated.group ? ` GROUP=${r.repeated.group}` : ''}`] : []),
        ...r.random.map((x) => `RANDOM ${x.effects.join(' ')}${x.subject ? ` / SUBJECT=${x.subject}` : ''} TYPE=${x.type}`),
        ...r.lsmeans.map((x) => `LSMEANS ${x.effect}${x.diff ? ` / DIFF ADJUST=${x.adjust}` : ''}${x.slices.length ? ` SLICE=${x.slices.join(' ')}` : ''}`),
      ];
      summary.push({ case: c.id, statements, equal: true });
      mkdirSync(join(here, '..', '..', 'test-output'), { recursive: true });
      writeFileSync(join(here, '..', '..', 'test-output', 'sas-export-summary.json'), JSON.stringify(summary, null, 1));
    });
  }

  it('the comparison sees a changed statement (TYPE=, DDFM=, REF=)', async () => {
    const c = sasCases.find((x) => x.id === 'sas-fev/fev-kr-un')!;
    const reference = readFileSync(join(caseDir(c.id), 'reference.sas'), 'utf8');
    const { program, levelsOf } = await exported(specPath(c));
    const r = mixedSteps(reference, levelsOf)[0]!;
    const changed = (edit: (p: string) => string) => mixedSteps(edit(program), levelsOf)[0]!;
    expect(changed((p) => p.replace('type=un', 'type=cs')).repeated).not.toEqual(r.repeated);
    expect(changed((p) => p.replace('ddfm=kenwardroger', 'ddfm=kr(linear)')).ddfm).not.toEqual(r.ddfm);
    expect(changed((p) => p.replace("ARMCD(ref='PBO')", 'ARMCD')).classes).not.toEqual(r.classes);
    expect(changed((p) => p.replace('lsmeans ARMCD / diff', 'lsmeans ARMCD / diff adjust=tukey')).lsmeans).not.toEqual(r.lsmeans);
  });

  it('exports a whole program: the data step, the derivations, one PROC MIXED per model and candidate, the analyses', async () => {
    const spec = join(here, 'ketamine-synthetic', 'spec.study');
    const { program } = await exported(spec);
    const stmts = sasStatements(program).map((s) => s.split(/\s+/).slice(0, 2).join(' ').toLowerCase());
    expect(stmts).toContain('data work.raw');
    expect(stmts.filter((s) => s === 'proc mixed')).toHaveLength(3); // select cov CS, AR(1), UN
    expect(stmts).toContain('proc ttest');
    expect(stmts).toContain('proc corr');
    expect(program).toContain("estimate 'age slope at visit 2' age 1 visit*age 1 0 0 0 0 / cl;");
    expect(program).toContain('lsmeans visit / diff adjust=tukey cl;');
    expect(program).toMatch(/percent change of bdi from visit 1/);
    // Study's three-valued filters: a missing visit is not in 2..6
    expect(program).toContain('if not (not missing(visit) and visit in (2 3 4 5 6)) then delete;');
    const steps = mixedSteps(program, () => undefined);
    expect(steps.map((s) => s.repeated?.type)).toEqual(['CS', 'AR(1)', 'UN']);
  });
});
