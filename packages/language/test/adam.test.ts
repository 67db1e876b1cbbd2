// ADaM BDS awareness (adam.ts, validation/adam-checks.ts, lsp/filter-values.ts): the checks of CHG, PCHG,
// ABLFL and BASE; AVISIT ordered by AVISITN through to the fit; filter values and labels in completion
// and hover; and the ADaM example (examples/adam-fev, an XPT file) giving the numbers of examples/fev-mmrm.
import { describe, expect, it } from 'vitest';
import { copyFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { URI } from 'langium';
import { expectCompletion, expectHover } from 'langium/test';
import { runStudyFile } from '@study/language';
import { byCode, check, services, tempFolder } from './helpers.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const FORMATS = fileURLToPath(new URL('../../engine/test/fixtures/formats/', import.meta.url));

const VISITS: [string, number][] = [
  ['Baseline', 0],
  ['Week 2', 2],
  ['Week 4', 4],
  ['Week 12', 12],
];

interface Row {
  USUBJID: string;
  TRTP: string;
  PARAMCD: string;
  AVISIT: string;
  AVISITN: number;
  AVAL: string;
  BASE: string;
  CHG: string;
  PCHG: string;
  ABLFL: string;
  ANL01FL: string;
}

/** A BDS data set of 16 subjects × 4 visits, its derived values rounded to 2 decimals as a sponsor writes them. */
function adam(): Row[] {
  const rows: Row[] = [];
  for (let s = 1; s <= 16; s++) {
    const arm = s % 2 ? 'PBO' : 'TRT';
    let base = 0;
    let level = 0;
    for (const [visit, n] of VISITS) {
      // an AR(1)-like path per subject, deterministic
      level = 0.7 * level + Math.sin(s * 12.9898 + n * 78.233) * 2;
      const aval = Number((20 + s * 0.3 + n * (arm === 'TRT' ? 0.4 : 0.1) + level).toFixed(2));
      if (n === 0) base = aval;
      const chg = aval - base;
      rows.push({
        USUBJID: `S${String(s).padStart(2, '0')}`,
        TRTP: arm,
        PARAMCD: 'ALT',
        AVISIT: visit,
        AVISITN: n,
        AVAL: aval.toFixed(2),
        BASE: base.toFixed(2),
        CHG: chg.toFixed(2),
        PCHG: ((100 * chg) / base).toFixed(2),
        ABLFL: n === 0 ? 'Y' : '',
        ANL01FL: n === 0 ? '' : 'Y',
      });
    }
  }
  return rows;
}

function csv(rows: Row[], drop: string[] = []): string {
  const cols = Object.keys(rows[0]).filter((c) => !drop.includes(c));
  return [cols.join(','), ...rows.map((r) => cols.map((c) => String(r[c as keyof Row])).map((v) => (v.includes(' ') ? `"${v}"` : v)).join(','))].join('\n') + '\n';
}

const SPEC = (file: string) => `data "${file}"\nsubject USUBJID\nwhere PARAMCD == "ALT" and ANL01FL == "Y"\n\nmodel m {\n    outcome AVAL\n    repeated AVISIT\n    factor TRTP, AVISIT\n    fixed TRTP * AVISIT\n    cov AR1\n    compare TRTP at each AVISIT pairwise\n}\n`;

const adamCodes = (diags: { code?: string | number }[]) => diags.map((d) => String(d.code)).filter((c) => c.startsWith('adam-'));

describe('ADaM checks', () => {
  it('none on consistent data, whose derived values are rounded to 2 decimals', async () => {
    const dir = tempFolder({ 'adlb.csv': csv(adam()) });
    const r = await check(SPEC('adlb.csv'), dir);
    expect(adamCodes(r.diagnostics).filter((c) => c !== 'adam-visit-order')).toEqual([]);
  });

  it('CHG ≠ AVAL − BASE and PCHG ≠ 100·CHG/BASE, with the subject, visit and line', async () => {
    const rows = adam();
    rows[5].CHG = (Number(rows[5].CHG) + 1).toFixed(2); // S02 Week 2: line 7 of the file (header is line 1)
    rows[10].PCHG = (Number(rows[10].PCHG) + 0.5).toFixed(2); // S03 Week 4: line 12
    const dir = tempFolder({ 'adlb.csv': csv(rows) });
    const r = await check(SPEC('adlb.csv'), dir);
    const chg = byCode(r.diagnostics, 'adam-chg');
    expect(chg).toHaveLength(1);
    expect(chg[0].severity).toBe(2);
    const expectedChg = Number(rows[5].AVAL) - Number(rows[5].BASE);
    expect(chg[0].message).toBe(`CHG is not AVAL − BASE on 1 row of adlb.csv: S02 ALT Week 2 (line 7): CHG ${rows[5].CHG}, AVAL − BASE ${Number(expectedChg.toPrecision(10))}`);
    // the changed CHG also breaks PCHG on its row; the changed PCHG on its own
    const pchg = byCode(r.diagnostics, 'adam-pchg');
    expect(pchg).toHaveLength(1);
    expect(pchg[0].message).toMatch(/^PCHG is not 100·CHG\/BASE on 2 rows of adlb\.csv: S02 ALT Week 2 \(line 7\): PCHG .*; S03 ALT Week 4 \(line 12\): PCHG /);
  });

  it('several ABLFL = "Y" records, and BASE that varies, per subject and parameter', async () => {
    const rows = adam();
    rows[13].ABLFL = 'Y'; // S04 Week 2
    rows[18].BASE = (Number(rows[18].BASE) + 2).toFixed(2); // S05 Week 4
    rows[18].CHG = (Number(rows[18].AVAL) - Number(rows[18].BASE)).toFixed(2);
    rows[18].PCHG = ((100 * Number(rows[18].CHG)) / Number(rows[18].BASE)).toFixed(2);
    const dir = tempFolder({ 'adlb.csv': csv(rows) });
    const r = await check(SPEC('adlb.csv'), dir);
    expect(byCode(r.diagnostics, 'adam-baseline-flag').map((d) => d.message)).toEqual([
      'several baseline records (ABLFL = "Y") for a subject and parameter in adlb.csv: S04 ALT has 2 (line 14, line 15)',
    ]);
    expect(byCode(r.diagnostics, 'adam-base-varies').map((d) => d.message)).toEqual([
      `BASE varies within a subject and parameter in adlb.csv: S05 ALT: ${Number(rows[16].BASE)} (line 18), ${Number(rows[18].BASE)} (line 20)`,
    ]);
    expect(byCode(r.diagnostics, 'adam-chg')).toEqual([]);
  });

  it('an AVISIT with two AVISITN values', async () => {
    const rows = adam();
    rows[6].AVISITN = 5; // S02 Week 4
    const dir = tempFolder({ 'adlb.csv': csv(rows) });
    const r = await check(SPEC('adlb.csv'), dir);
    expect(byCode(r.diagnostics, 'adam-visit-order').map((d) => [d.severity, d.message])).toEqual([
      [2, "AVISIT 'Week 4' has AVISITN 4 and 5 in adlb.csv: the visits are ordered as SAS sorts AVISIT, not by AVISITN"],
    ]);
  });

  it('says that AVISITN orders the visits when SAS would sort them otherwise', async () => {
    const dir = tempFolder({ 'adlb.csv': csv(adam()) });
    const r = await check(SPEC('adlb.csv'), dir);
    expect(byCode(r.diagnostics, 'adam-visit-order').map((d) => [d.severity, d.message])).toEqual([
      [3, "AVISIT's levels are ordered by AVISITN (Baseline, Week 2, Week 4, Week 12), not as SAS sorts them (Baseline, Week 12, Week 2, Week 4); in SAS, CLASS AVISITN (or ORDER=DATA on data sorted by AVISITN) gives the same order"],
    ]);
  });

  it('says nothing of the visit order when no model uses AVISIT', async () => {
    const rows = adam();
    const dir = tempFolder({ 'adlb.csv': csv(rows) });
    const r = await check('data "adlb.csv"\nsubject USUBJID\nwhere AVISITN == 0\ndescribe d { AVAL }\n', dir);
    expect(byCode(r.diagnostics, 'adam-visit-order')).toEqual([]);
    expect(r.diagnostics.filter((d) => d.severity === 1)).toEqual([]);
  });

  it('a model of AVAL over several parameters', async () => {
    const rows = adam();
    const more = rows.map((r) => ({ ...r, PARAMCD: 'AST' }));
    const dir = tempFolder({ 'adlb.csv': csv([...rows, ...more]) });
    const r = await check(SPEC('adlb.csv').replace('where PARAMCD == "ALT" and ANL01FL == "Y"', 'where ANL01FL == "Y"'), dir);
    expect(byCode(r.diagnostics, 'adam-parameters').map((d) => d.message)).toEqual([
      'the rows of model m hold 2 parameters (PARAMCD ALT, AST): AVAL mixes them; filter one, e.g. `where PARAMCD == "ALT"`',
    ]);
    const filtered = await check(SPEC('adlb.csv'), dir);
    expect(byCode(filtered.diagnostics, 'adam-parameters')).toEqual([]);
  });

  it('checks nothing on data that are not ADaM', async () => {
    const dir = tempFolder({ 'adlb.csv': csv(adam(), ['PARAMCD']) });
    const r = await check(SPEC('adlb.csv').replace('PARAMCD == "ALT" and ', ''), dir);
    expect(adamCodes(r.diagnostics)).toEqual([]);
  });
});

describe('AVISIT ordered by AVISITN in the fit', () => {
  it('the class levels, the R matrix (AR(1) lags) and the LS-means follow AVISITN', async () => {
    const rows = adam();
    const dir = tempFolder({ 'adlb.csv': csv(rows), 'sorted.csv': csv(rows, ['AVISITN']) });
    writeFileSync(path.join(dir, 'adam.study'), SPEC('adlb.csv'));
    writeFileSync(path.join(dir, 'sorted.study'), SPEC('sorted.csv'));
    // AVISITN itself as the class variable: numbers sort in time order, as SAS sorts them
    writeFileSync(path.join(dir, 'coded.study'), SPEC('adlb.csv').replace(/AVISIT\b/g, 'AVISITN'));
    const [adamRun, sortedRun, codedRun] = await Promise.all(['adam', 'sorted', 'coded'].map((f) => runStudyFile(path.join(dir, `${f}.study`))));
    const adamModel = adamRun.report!.models[0];
    expect(adamRun.plan!.models[0].spec.classOrder).toEqual({ AVISIT: ['Baseline', 'Week 2', 'Week 4', 'Week 12'] });
    expect(adamModel.info.classLevels.find((c) => c.name === 'AVISIT')?.levels).toEqual(['Week 2', 'Week 4', 'Week 12']);
    expect([...new Set(adamModel.lsmeans.map((l) => l.level.split(' ').slice(1).join(' ')))]).toEqual(['Week 2', 'Week 4', 'Week 12']);
    // the same AR(1) likelihood as with AVISITN, and not the one of the alphabetical order
    const codedModel = codedRun.report!.models[0];
    expect(adamModel.minus2ll).toBeCloseTo(codedModel.minus2ll, 8);
    expect(sortedRun.report!.models[0].info.classLevels.find((c) => c.name === 'AVISIT')?.levels).toEqual(['Week 12', 'Week 2', 'Week 4']);
    expect(Math.abs(sortedRun.report!.models[0].minus2ll - adamModel.minus2ll)).toBeGreaterThan(1e-3);
    expect(adamModel.lsmeans).toHaveLength(codedModel.lsmeans.length);
    adamModel.lsmeans.forEach((l, i) => expect(l.estimate).toBeCloseTo(codedModel.lsmeans[i].estimate, 8));
  });
});

describe('completion and hover', () => {
  const dir = tempFolder({ 'adlb.csv': csv(adam()) });
  copyFileSync(path.join(FORMATS, 'table.xpt'), path.join(dir, 'table.xpt'));
  let n = 0;
  const at = () => ({ documentUri: URI.file(path.join(dir, `complete-${++n}.study`)).toString() });

  it("offers a text column's values after == and in (…), quoted", async () => {
    for (const text of ['data "adlb.csv"\nwhere PARAMCD == <|>', 'data "adlb.csv"\nwhere ANL01FL in (<|>', 'data "adlb.csv"\nwhere TRTP != "PBO" and AVISIT == <|>']) {
      await expectCompletion(services)({
        text,
        index: 0,
        parseOptions: at(),
        assert: (list) => {
          const values = list.items.filter((i) => i.detail?.startsWith('a value of')).map((i) => i.label);
          if (text.includes('PARAMCD')) expect(values).toEqual(['"ALT"']);
          else if (text.includes('ANL01FL')) expect(values).toEqual(['"Y"']);
          else expect(values).toEqual(['"Baseline"', '"Week 2"', '"Week 4"', '"Week 12"']);
        },
      });
    }
  });

  it("offers a numeric column's few values", async () => {
    await expectCompletion(services)({
      text: 'data "adlb.csv"\nwhere AVISITN >= <|>',
      index: 0,
      parseOptions: at(),
      assert: (list) => expect(list.items.filter((i) => i.detail?.startsWith('a value of')).map((i) => i.label)).toEqual(['0', '2', '4', '12']),
    });
  });

  it("shows a column's label from an XPT file in completion and hover", async () => {
    await expectCompletion(services)({
      text: 'data "table.xpt"\nsubject <|>',
      index: 0,
      parseOptions: at(),
      assert: (list) => expect(list.items.find((i) => i.label === 'AVAL')?.detail).toBe('Analysis Value (µkat/L) — numeric column: 23.5, 0.1, -1234.5678, 0.00125, 0'),
    });
    await expectHover(services)({
      text: 'data "table.xpt"\nsubject USUBJID\nmodel m { outcome AV<|>AL }',
      index: 0,
      parseOptions: at(),
      hover: '`AVAL` — Analysis Value (µkat/L) — numeric column of table.xpt: levels 23.5, 0.1, -1234.5678, 0.00125, 0; 3 missing',
    });
  });
});

describe('the ADaM example (examples/adam-fev, XPT)', () => {
  it('gives the numbers of examples/fev-mmrm: the same −2LL, covariance, tests and LS-means', async () => {
    const [adamRun, fevRun] = await Promise.all([runStudyFile(path.join(EXAMPLES, 'adam-fev', 'fev.study')), runStudyFile(path.join(EXAMPLES, 'fev-mmrm', 'fev.study'))]);
    expect(adamRun.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning')).toEqual([]);
    const a = adamRun.report!.models[0];
    const f = fevRun.report!.models.find((m) => m.name === 'mmrm')!;
    const close = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
    expect(close(a.minus2ll, f.minus2ll)).toBe(true);
    expect(a.dimensions.subjects).toBe(f.dimensions.subjects);
    expect(a.dimensions.observations_used).toBe(f.dimensions.observations_used);
    expect(a.covparms.map((c) => c.name)).toEqual(f.covparms.map((c) => c.name));
    a.covparms.forEach((c, i) => expect(close(c.estimate, f.covparms[i].estimate)).toBe(true));
    const rename = (s: string) => s.replace(/ARMCD/g, 'TRTP');
    expect(a.type3.map((t) => t.effect)).toEqual(f.type3.map((t) => rename(t.effect)));
    a.type3.forEach((t, i) => {
      expect(close(t.F!, f.type3[i].F!)).toBe(true);
      expect(Math.abs(t.dendf! - f.type3[i].dendf!)).toBeLessThan(1e-6);
    });
    expect(a.lsmeans.map((l) => l.level)).toEqual(f.lsmeans.map((l) => l.level));
    expect(a.lsmeans.length).toBe(8);
    a.lsmeans.forEach((l, i) => {
      expect(close(l.estimate, f.lsmeans[i].estimate)).toBe(true);
      expect(close(l.se, f.lsmeans[i].se)).toBe(true);
      expect(Math.abs(l.df - f.lsmeans[i].df)).toBeLessThan(1e-6);
    });
    expect(a.diffs.map((d) => [d.level, d.vs])).toEqual(f.diffs.map((d) => [d.level, d.vs]));
    a.diffs.forEach((d, i) => expect(close(d.estimate, f.diffs[i].estimate) && close(d.se, f.diffs[i].se)).toBe(true));
  });
});
