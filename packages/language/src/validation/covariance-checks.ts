/**
 * Checks of the covariance statements of a model: which structure a written name means (`AR(1)`,
 * `SP(EXP)(VISITN)`, `TOEP(3)`), the coordinates of the spatial structures, `group` (SAS GROUP=), and
 * the reference levels of `factor … ref` (SAS CLASS … REF=), which also order the R matrix.
 * Called by the study validator (study-validator.ts) for every model as it is fitted.
 */
import { AstUtils, type AstNode, type ValidationSeverity } from 'langium';
import { sortLevels, type ColumnInfo, type CovarianceType, type Dataset, type Value } from '@study/engine';
import { isColumnRef, type ColumnRef, type CovType, type StudyFile } from '../generated/ast.js';
import {
  COVARIANCE_LABELS,
  COVARIANCE_TYPES,
  covarianceTypeOf,
  covTypeText,
  isSpatial,
  literalText,
  ORDER_DEPENDENT_TYPES,
  referenceText,
  repeatedLevels,
  SPATIAL_KINDS,
  type EffectiveModel,
} from '../semantics.js';
import { closest } from '../suggest.js';
import { Codes } from './codes.js';
import { listLevels } from './levels.js';

/** What the checks need from the validator. */
export interface CheckContext {
  readonly data?: Dataset;
  readonly dataName: string;
  report(severity: ValidationSeverity, message: string, node: AstNode, where?: { property?: string; keyword?: string; index?: number }, code?: string, suggestion?: string): void;
  /** the data column a reference names (undefined for a `let` variable or an unknown name) */
  col(ref: ColumnRef | undefined): ColumnInfo | undefined;
  requireNumeric(ref: ColumnRef | undefined, what: string): void;
  /** the rows of the data a model uses, as far as the raw data tell (filters on derived variables are not applied) */
  modelRows(m: EffectiveModel): Record<string, Value>[];
}

const KNOWN = COVARIANCE_TYPES.map((t) => COVARIANCE_LABELS[t]);
const SPATIAL_EXAMPLE = 'SP(EXP)(week)';
const FIRST_ORDER_NAMES = ['AR', 'ARH', 'ANTE'];

/** SAS's names in messages about order: AR(1) rather than AR1. */
const ORDER_LABEL: Partial<Record<CovarianceType, string>> = { AR1: 'AR(1)', ARH1: 'ARH(1)', ANTE1: 'ANTE(1)', TOEP: 'TOEP', TOEPH: 'TOEPH' };

/** The R-side structures a model names (`cov` with its fallbacks, or every `select cov` candidate). */
function rSideTypes(m: EffectiveModel): CovType[] {
  if (m.cov?.type) return [m.cov.type, ...(m.cov.fallbacks ?? [])];
  return m.select?.candidates ?? [];
}

/** Structure names, bands and coordinates of `cov`, `select cov` and `random … type` (no data needed). */
export function checkCovarianceStructures(ctx: CheckContext, m: EffectiveModel): void {
  for (const t of rSideTypes(m)) checkRSideType(ctx, t);
  for (const r of m.randoms) if (r.type) checkRandomType(ctx, r.type);
}

function checkRSideType(ctx: CheckContext, t: CovType): void {
  if (typeof t?.name !== 'string') return;
  const type = covarianceTypeOf(t);
  if (!type) {
    reportUnknown(ctx, t, KNOWN);
    return;
  }
  checkBands(ctx, t, type);
  checkCoordinates(ctx, t, type);
}

function checkRandomType(ctx: CheckContext, t: CovType): void {
  if (typeof t?.name !== 'string') return;
  const allowed = ['VC', 'UN'];
  const type = covarianceTypeOf(t);
  if (!type) {
    reportUnknown(ctx, t, allowed);
    return;
  }
  if (!allowed.includes(type)) {
    ctx.report('error', `a random-effects structure can be ${allowed.join(' or ')}, not ${covTypeText(t)}`, t, { property: 'name' }, Codes.randomType);
    return;
  }
  checkBands(ctx, t, type);
  checkCoordinates(ctx, t, type);
}

function reportUnknown(ctx: CheckContext, t: CovType, allowed: readonly string[]): void {
  // AR(2), ANTE(3): only the first order exists
  if (t.bands !== undefined && FIRST_ORDER_NAMES.includes(t.name)) {
    ctx.report('error', `${t.name}(${t.bands}) is not available: only the first order, ${t.name}(1), is`, t, { property: 'bands' }, Codes.covBands);
    return;
  }
  if (t.name === 'SP' && allowed.includes('SP(EXP)')) {
    const kinds = Object.keys(SPATIAL_KINDS);
    if (t.option === undefined) {
      ctx.report('error', `SP needs a kind and coordinates: SP(POW), SP(EXP) or SP(GAU), as in ${SPATIAL_EXAMPLE}`, t, { property: 'name' }, Codes.unknownCovType);
      return;
    }
    const suggestion = closest(t.option, kinds);
    ctx.report(
      'error',
      `unknown spatial structure 'SP(${t.option})' (known: ${kinds.map((k) => `SP(${k})`).join(', ')})` + (suggestion ? `; did you mean 'SP(${suggestion})'?` : ''),
      t,
      { property: 'option' },
      Codes.unknownCovType,
      suggestion,
    );
    return;
  }
  const squeezed = t.name.toLowerCase().replace(/[^a-z0-9]/g, '');
  const suggestion =
    closest(t.name, allowed) ??
    allowed.find((a) => a.toLowerCase().replace(/[^a-z0-9]/g, '') === squeezed);
  ctx.report(
    'error',
    `unknown covariance structure '${t.name}' (known: ${allowed.join(', ')})` + (suggestion ? `; did you mean '${suggestion}'?` : ''),
    t,
    { property: 'name' },
    Codes.unknownCovType,
    suggestion,
  );
}

/** TOEP(q): a whole number of bands; AR(1), ARH(1), ANTE(1) are resolved already; any other number is not a structure. */
function checkBands(ctx: CheckContext, t: CovType, type: CovarianceType): void {
  if (t.bands === undefined || FIRST_ORDER_NAMES.includes(t.name)) return;
  if (type !== 'TOEP') {
    ctx.report('error', `only TOEP takes a number of bands (TOEP(4)); ${t.name}(${t.bands}) is not a structure`, t, { property: 'bands' }, Codes.covBands);
  } else if (!Number.isInteger(t.bands) || t.bands < 1) {
    ctx.report('error', `TOEP(q) needs a whole number of bands q >= 1, not ${t.bands}`, t, { property: 'bands' }, Codes.covBands);
  }
}

/** A spatial structure needs its coordinates; no other structure takes any. */
function checkCoordinates(ctx: CheckContext, t: CovType, type: CovarianceType): void {
  const label = COVARIANCE_LABELS[type];
  if (isSpatial(type)) {
    if (t.coordinates.length === 0) {
      ctx.report(
        'error',
        `${label} needs coordinates: the numeric column(s) giving each observation's position, as in ${label}(week) or ${label}(x y)`,
        t,
        {},
        Codes.covCoordinates,
      );
    }
    return;
  }
  if (t.option === undefined && t.coordinates.length === 0) return;
  const where = t.option !== undefined ? { property: 'option' } : { property: 'coordinates', index: 0 };
  ctx.report(
    'error',
    `${label} takes no coordinates: only the spatial structures SP(POW), SP(EXP) and SP(GAU) do, as in ${SPATIAL_EXAMPLE}`,
    t,
    where,
    Codes.covCoordinates,
  );
}

/** Against the data: numeric coordinates, a GROUP= variable constant within subject, REF on the repeated effect. */
export function checkCovarianceData(ctx: CheckContext, m: EffectiveModel, subject: string | undefined): void {
  for (const t of rSideTypes(m)) {
    if (!isSpatial(covarianceTypeOf(t))) continue;
    for (const c of t.coordinates) ctx.requireNumeric(c, 'coordinate');
  }
  checkGroupConstant(ctx, m, subject);
  checkReferenceOrder(ctx, m);
}

/** SAS GROUP= gives each level its own covariance parameters, so each subject must be in one group. */
function checkGroupConstant(ctx: CheckContext, m: EffectiveModel, subject: string | undefined): void {
  const g = (m.select ?? m.cov)?.group;
  const col = ctx.col(g);
  if (!g || !col || !subject || !ctx.data || !ctx.data.columns.some((c) => c.name === subject)) return;
  const values = new Map<string, string[]>();
  let first: string | undefined;
  for (const row of ctx.modelRows(m)) {
    const s = row[subject];
    const v = row[col.name];
    if (s === null || s === undefined || v === null || v === undefined) continue;
    const key = String(s);
    const text = String(v);
    const seen = values.get(key);
    if (!seen) values.set(key, [text]);
    else if (!seen.includes(text)) {
      seen.push(text);
      first ??= key;
    }
  }
  if (first === undefined) return;
  ctx.report(
    'error',
    `${col.name} varies within subject ${first} (${values.get(first)!.join(', ')}): a GROUP= variable must be constant within subject`,
    g,
    { property: 'column' },
    Codes.groupNotConstant,
  );
}

/**
 * `factor visit ref 1` with `repeated visit`: as in SAS, the reference level goes last in the class's
 * order, which is also the order of R's rows; structures built on that order (lags, neighbours) change.
 */
function checkReferenceOrder(ctx: CheckContext, m: EffectiveModel): void {
  const rep = m.repeated?.effect?.column;
  if (!rep) return;
  const f = m.factors.find((x) => x?.column === rep && x.reference);
  if (!f?.reference) return;
  const ordered = [...new Set(rSideTypes(m).map(covarianceTypeOf))].filter((t): t is CovarianceType => !!t && ORDER_DEPENDENT_TYPES.includes(t));
  if (ordered.length === 0) return;
  const level = referenceText(f, ctx.data);
  const col = ctx.col(m.repeated!.effect);
  if (col && ctx.data) {
    // nothing moves when the reference is the last level already
    const restricted = repeatedLevels(m.repeated!, ctx.data)?.map(String);
    const order = restricted ?? sortLevels(col.distinct.map((d) => (col.kind === 'numeric' ? String(Number(d)) : d)));
    if (order[order.length - 1] === level) return;
  }
  const names = ordered.map((t) => ORDER_LABEL[t] ?? t).join(' and ');
  ctx.report(
    'warning',
    `REF moves level ${literalText(f.reference)} to the last position of the R matrix, as SAS does: the ${names} lags then follow that order`,
    f.reference,
    {},
    Codes.refOrder,
  );
}

/** Every `factor X ref level` names a level of X (once per statement, whichever models use it). */
export function checkReferenceLevels(ctx: CheckContext, root: StudyFile): void {
  for (const ref of AstUtils.streamAllContents(root).filter(isColumnRef)) {
    const lit = ref.reference;
    const col = ctx.col(ref);
    if (!lit || !col) continue;
    const level = referenceText(ref, ctx.data);
    const exists = col.kind === 'numeric' ? col.distinct.some((d) => Number(d) === Number(level) && level.trim() !== '') : col.distinct.includes(level);
    if (exists) continue;
    // a typo is close in spelling; numbers close in spelling are not (7 is not a typo of 1)
    const suggestion = col.kind === 'text' ? closest(level, col.distinct) : undefined;
    ctx.report(
      'error',
      `${col.name} has no level ${literalText(lit)} in ${ctx.dataName} (levels: ${listLevels(col)})` + (suggestion ? `; did you mean '${suggestion}'?` : ''),
      lit,
      {},
      Codes.unknownLevel,
      suggestion !== undefined ? levelSource(lit.$cstNode?.text ?? '', suggestion) : undefined,
    );
  }
}

/** The suggested level written as the level was: quoted as it was quoted, bare when it can be. */
function levelSource(written: string, level: string): string {
  const q = written[0];
  if (q === '"' || q === "'") return q + level.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`) + q;
  if (/^-?[0-9]/.test(written) && Number.isFinite(Number(level))) return level;
  return /^[_a-zA-Z]\w*$/.test(level) ? level : JSON.stringify(level);
}
