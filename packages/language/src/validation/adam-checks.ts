/**
 * Checks of an ADaM BDS data set's derived values, when the data look like one (adam.ts): each a
 * warning on the `data` path naming the subject, the parameter, the visit and the row (the line of a
 * CSV file; the observation number of a SAS, Dataset-JSON or Parquet file), the first few of them and
 * how many there are.
 *
 * - CHG ≠ AVAL − BASE, PCHG ≠ 100·CHG/BASE, beyond what rounding the values as they are written explains
 *   (half a unit in the last decimal of each value, carried through the formula, plus 1e-9 relative);
 * - more than one ABLFL = "Y" row for a subject and parameter (and BASETYPE, when there is one);
 * - BASE that varies within a subject and parameter (and BASETYPE);
 * - when a model uses AVISIT: an AVISIT with more than one AVISITN (the visits' order is then SAS's
 *   sort, not AVISITN's), or AVISIT ordered by AVISITN differently from SAS's sort (an information note,
 *   since a SAS program with CLASS AVISIT orders them alphabetically);
 * - a model of AVAL, CHG, PCHG or BASE whose rows hold several parameters (PARAMCD): a warning on the
 *   outcome, to filter with `where PARAMCD == "…"`.
 */
import { levelText, orderByCode, sortLevels, type Dataset, type Value } from '@study/engine';
import { AstUtils, type AstNode } from 'langium';
import { looksLikeAdamBds } from '../adam.js';
import { allModels, type StudyInfo } from '../semantics.js';
import { isColumnRef, isModelBlock, isSensitivityBlock, type StudyFile } from '../generated/ast.js';
import { Codes } from './codes.js';
import type { CheckContext } from './covariance-checks.js';

export interface AdamContext extends CheckContext {
  readonly info: StudyInfo;
  readonly root: StudyFile;
}

/** Instances named in a message; the rest are counted. */
const SHOWN = 3;
const ANALYSIS_VALUES = new Set(['AVAL', 'CHG', 'PCHG', 'BASE']);

/** Half a unit in the last decimal place of a number as the data write it (1.25 → 0.005; 3 → 0.5). */
function halfUnit(x: number): number {
  const s = String(Math.abs(x));
  if (/e/i.test(s)) return Math.abs(x) * 5e-16;
  const dot = s.indexOf('.');
  const decimals = dot < 0 ? 0 : Math.min(s.length - dot - 1, 15);
  return 0.5 * 10 ** -decimals;
}

function num(v: Value | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(10)));
}

export function checkAdam(ctx: AdamContext): void {
  const data = ctx.data;
  if (!data || !looksLikeAdamBds(data) || !ctx.info.data) return;
  const node = ctx.info.data;
  const has = (n: string) => data.columns.some((c) => c.name === n);
  const where = (i: number) => (data.rowLines ? `line ${data.rowLines[i]}` : `row ${i + 1}`);
  const who = (r: Record<string, Value>) =>
    `${levelText(r.USUBJID)} ${levelText(r.PARAMCD)}${r.AVISIT !== undefined && r.AVISIT !== null ? ` ${levelText(r.AVISIT)}` : r.AVISITN !== undefined && r.AVISITN !== null ? ` AVISITN ${levelText(r.AVISITN)}` : ''}`;
  const warn = (code: string, what: string, items: string[]) => {
    if (items.length === 0) return;
    const more = items.length > SHOWN ? `; ${items.length - SHOWN} more` : '';
    ctx.report('warning', `${what} on ${items.length} row${items.length === 1 ? '' : 's'} of ${ctx.dataName}: ${items.slice(0, SHOWN).join('; ')}${more}`, node, { property: 'path' }, code);
  };

  if (has('CHG') && has('BASE')) {
    const bad: string[] = [];
    data.rows.forEach((r, i) => {
      const [chg, aval, base] = [num(r.CHG), num(r.AVAL), num(r.BASE)];
      if (chg === undefined || aval === undefined || base === undefined) return;
      const tol = halfUnit(chg) + halfUnit(aval) + halfUnit(base) + 1e-9 * (Math.abs(aval) + Math.abs(base));
      if (Math.abs(chg - (aval - base)) > tol) bad.push(`${who(r)} (${where(i)}): CHG ${fmt(chg)}, AVAL − BASE ${fmt(aval - base)}`);
    });
    warn(Codes.adamChange, 'CHG is not AVAL − BASE', bad);
  }
  if (has('PCHG') && has('CHG') && has('BASE')) {
    const bad: string[] = [];
    data.rows.forEach((r, i) => {
      const [pchg, chg, base] = [num(r.PCHG), num(r.CHG), num(r.BASE)];
      if (pchg === undefined || chg === undefined || base === undefined || base === 0) return;
      const expected = (100 * chg) / base;
      const tol = halfUnit(pchg) + 100 * (halfUnit(chg) / Math.abs(base) + (Math.abs(chg) * halfUnit(base)) / (base * base)) + 1e-9 * Math.abs(expected);
      if (Math.abs(pchg - expected) > tol) bad.push(`${who(r)} (${where(i)}): PCHG ${fmt(pchg)}, 100·CHG/BASE ${fmt(expected)}`);
    });
    warn(Codes.adamPercentChange, 'PCHG is not 100·CHG/BASE', bad);
  }

  // per subject and parameter (and BASETYPE): baseline flags and BASE
  const groups = new Map<string, number[]>();
  data.rows.forEach((r, i) => {
    if (r.USUBJID === null || r.PARAMCD === null) return;
    const key = [levelText(r.USUBJID), levelText(r.PARAMCD), has('BASETYPE') ? levelText(r.BASETYPE) : ''].join('\u0000');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  });
  const label = (i: number) => `${levelText(data.rows[i].USUBJID)} ${levelText(data.rows[i].PARAMCD)}${has('BASETYPE') && data.rows[i].BASETYPE !== null ? ` ${levelText(data.rows[i].BASETYPE)}` : ''}`;
  if (has('ABLFL')) {
    const bad: string[] = [];
    for (const g of groups.values()) {
      const flagged = g.filter((i) => data.rows[i].ABLFL === 'Y');
      if (flagged.length > 1) bad.push(`${label(flagged[0])} has ${flagged.length} (${flagged.map(where).join(', ')})`);
    }
    if (bad.length) {
      ctx.report(
        'warning',
        `several baseline records (ABLFL = "Y") for a subject and parameter in ${ctx.dataName}: ${bad.slice(0, SHOWN).join('; ')}${bad.length > SHOWN ? `; ${bad.length - SHOWN} more` : ''}`,
        node,
        { property: 'path' },
        Codes.adamBaselineFlag,
      );
    }
  }
  if (has('BASE')) {
    const bad: string[] = [];
    for (const g of groups.values()) {
      const values = new Map<number, number>();
      for (const i of g) {
        const b = num(data.rows[i].BASE);
        if (b !== undefined && ![...values.keys()].some((x) => Math.abs(x - b) <= 1e-9 * Math.max(1, Math.abs(b)))) values.set(b, i);
      }
      if (values.size > 1) bad.push(`${label(g[0])}: ${[...values].slice(0, 4).map(([b, i]) => `${fmt(b)} (${where(i)})`).join(', ')}${values.size > 4 ? ', …' : ''}`);
    }
    if (bad.length) {
      ctx.report(
        'warning',
        `BASE varies within a subject and parameter in ${ctx.dataName}: ${bad.slice(0, SHOWN).join('; ')}${bad.length > SHOWN ? `; ${bad.length - SHOWN} more` : ''}`,
        node,
        { property: 'path' },
        Codes.adamBaseVaries,
      );
    }
  }
  if (has('AVISIT') && has('AVISITN') && modelsUse(ctx.root, 'AVISIT')) checkVisitOrder(ctx, data, node);
  checkParameters(ctx, data);
}

/** Whether a model or sensitivity block names the column (its level order then matters). */
function modelsUse(root: StudyFile, column: string): boolean {
  return AstUtils.streamAllContents(root).some((n) => isColumnRef(n) && n.column === column && AstUtils.getContainerOfType(n, (x) => isModelBlock(x) || isSensitivityBlock(x)) !== undefined);
}

function checkVisitOrder(ctx: AdamContext, data: Dataset, node: AstNode): void {
  const order = orderByCode(data.rows, 'AVISIT', 'AVISITN');
  if (!order.ok) {
    ctx.report(
      'warning',
      `AVISIT '${order.level}' has ${order.codes.length ? `AVISITN ${order.codes.join(' and ')}` : 'no AVISITN'} in ${ctx.dataName}: the visits are ordered as SAS sorts AVISIT, not by AVISITN`,
      node,
      { property: 'path' },
      Codes.adamVisitOrder,
    );
    return;
  }
  const sorted = sortLevels(order.levels);
  if (sorted.join('\u0000') === order.levels.join('\u0000')) return;
  const list = (l: string[]) => (l.length <= 8 ? l.join(', ') : `${l.slice(0, 7).join(', ')}, …`);
  ctx.report(
    'info',
    `AVISIT's levels are ordered by AVISITN (${list(order.levels)}), not as SAS sorts them (${list(sorted)}); in SAS, CLASS AVISITN (or ORDER=DATA on data sorted by AVISITN) gives the same order`,
    node,
    { property: 'path' },
    Codes.adamVisitOrder,
  );
}

/** A model of an analysis value over rows of several parameters mixes them. */
function checkParameters(ctx: AdamContext, data: Dataset): void {
  const param = data.columns.find((c) => c.name === 'PARAMCD');
  if (!param || param.distinct.length < 2) return;
  const seen = new Set<AstNode>();
  for (const em of allModels(ctx.root)) {
    const outcome = em.outcome?.outcome;
    if (!outcome || seen.has(outcome) || !ANALYSIS_VALUES.has(outcome.column) || ctx.info.lets.some((l) => l.name === outcome.column)) continue;
    seen.add(outcome);
    const params = new Set<string>();
    for (const r of ctx.modelRows(em)) if (r.PARAMCD !== null && r.PARAMCD !== undefined && r[outcome.column] !== null) params.add(levelText(r.PARAMCD));
    if (params.size < 2) continue;
    const list = [...params].slice(0, 6).join(', ') + (params.size > 6 ? ', …' : '');
    ctx.report(
      'warning',
      `the rows of model ${em.name} hold ${params.size} parameters (PARAMCD ${list}): ${outcome.column} mixes them; filter one, e.g. \`where PARAMCD == "${[...params][0]}"\``,
      outcome,
      { property: 'column' },
      Codes.adamParameters,
    );
  }
}
