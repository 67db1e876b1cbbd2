/**
 * The meaning of a parsed spec, shared by the validator, hover and `buildPlan`: the study-level
 * statements, each model as it is fitted (sensitivity variants applied), fixed-effect expansion.
 */
import { AstUtils, type AstNode, type LangiumDocument } from 'langium';
import type { CovarianceChoice, CovarianceType, Dataset, Term } from '@study/engine';
import {
  isAddStmt,
  isAlphaStmt,
  isConvergeStmt,
  isAnalysisBlock,
  isCompareStmt,
  isCovariateStmt,
  isCovStmt,
  isDataDecl,
  isDescribeBlock,
  isDfStmt,
  isDropStmt,
  isEstimateStmt,
  isFactorStmt,
  isFilterStmt,
  isFixedStmt,
  isLetDecl,
  isMethodStmt,
  isModelBlock,
  isOutcomeStmt,
  isPredictStmt,
  isRandomStmt,
  isRepeatedStmt,
  isSelectCovStmt,
  isSensitivityBlock,
  isStudyTitle,
  isSubjectDecl,
  isTestStmt,
  type AlphaStmt,
  type ConvergeStmt,
  type AnalysisBlock,
  type ColumnRef,
  type CompareStmt,
  type CovariateStmt,
  type CovStmt,
  type CovType,
  type DataDecl,
  type DescribeBlock,
  type DfStmt,
  type Effect,
  type EstimateStmt,
  type FactorStmt,
  type FilterStmt,
  type FixedStmt,
  type FormulaTerm,
  type LetDecl,
  type Literal,
  type MethodStmt,
  type ModelBlock,
  type ModelStatement,
  type OutcomeStmt,
  type PredictStmt,
  type RandomStmt,
  type RepeatedStmt,
  type SelectCovStmt,
  type SensitivityBlock,
  type SensitivityStatement,
  type StudyFile,
  type StudyTitle,
  type SubjectDecl,
  type TestStmt,
} from './generated/ast.js';

export interface StudyInfo {
  root: StudyFile;
  title?: StudyTitle;
  data?: DataDecl;
  /** `data duckdb …` / `data postgres …`: the data in a database (the same statement as `data`, which has no `path` then) */
  database?: DataDecl;
  subject?: SubjectDecl;
  lets: LetDecl[];
  filters: FilterStmt[];
  models: ModelBlock[];
  sensitivities: SensitivityBlock[];
  analyses: AnalysisBlock[];
  /** the `describe` blocks: descriptive statistics of the cohort */
  describes: DescribeBlock[];
}

export function studyInfo(root: StudyFile): StudyInfo {
  const info: StudyInfo = { root, lets: [], filters: [], models: [], sensitivities: [], analyses: [], describes: [] };
  for (const el of root.elements) {
    if (isStudyTitle(el)) info.title ??= el;
    else if (isDataDecl(el)) {
      info.data ??= el;
      if (info.data === el && el.engine) info.database = el;
    }
    else if (isSubjectDecl(el)) info.subject ??= el;
    else if (isLetDecl(el)) info.lets.push(el);
    else if (isFilterStmt(el)) info.filters.push(el);
    else if (isModelBlock(el)) info.models.push(el);
    else if (isSensitivityBlock(el)) info.sensitivities.push(el);
    else if (isAnalysisBlock(el)) info.analyses.push(el);
    else if (isDescribeBlock(el)) info.describes.push(el);
  }
  return info;
}

/** A model as it is fitted: the statements of a `model` block, with a sensitivity variant applied. */
export interface EffectiveModel {
  name: string;
  model: ModelBlock;
  sensitivity?: SensitivityBlock;
  outcome?: OutcomeStmt;
  repeated?: RepeatedStmt;
  covariates: ColumnRef[];
  factors: ColumnRef[];
  fixed?: FixedStmt;
  randoms: RandomStmt[];
  cov?: CovStmt;
  select?: SelectCovStmt;
  method?: MethodStmt;
  df?: DfStmt;
  alpha?: AlphaStmt;
  /** `converge sas` / `converge optimum` */
  converge?: ConvergeStmt;
  tests: TestStmt[];
  estimates: EstimateStmt[];
  compares: CompareStmt[];
  /** `predict random effects` */
  predict?: PredictStmt;
  filters: FilterStmt[];
}

function emptyModel(model: ModelBlock): EffectiveModel {
  return { name: model.name, model, covariates: [], factors: [], randoms: [], tests: [], estimates: [], compares: [], filters: [] };
}

function applyStatement(m: EffectiveModel, s: ModelStatement, replace: boolean, replaced: Set<string>): void {
  // In a sensitivity block, a statement replaces the base model's statements of its kind (once).
  const fresh = (kind: string): boolean => {
    if (!replace || replaced.has(kind)) return false;
    replaced.add(kind);
    return true;
  };
  if (isOutcomeStmt(s)) m.outcome = s;
  else if (isRepeatedStmt(s)) m.repeated = s;
  else if (isCovariateStmt(s)) {
    if (fresh('covariate')) m.covariates = [];
    m.covariates.push(...s.columns);
  } else if (isFactorStmt(s)) {
    if (fresh('factor')) m.factors = [];
    m.factors.push(...s.columns);
  } else if (isFixedStmt(s)) m.fixed = s;
  else if (isRandomStmt(s)) {
    if (fresh('random')) m.randoms = [];
    m.randoms.push(s);
  } else if (isCovStmt(s)) {
    m.cov = s;
    m.select = undefined;
  } else if (isSelectCovStmt(s)) {
    m.select = s;
    m.cov = undefined;
  } else if (isMethodStmt(s)) m.method = s;
  else if (isDfStmt(s)) m.df = s;
  else if (isAlphaStmt(s)) m.alpha = s;
  else if (isConvergeStmt(s)) m.converge = s;
  else if (isTestStmt(s)) {
    if (fresh('test')) m.tests = [];
    m.tests.push(s);
  } else if (isEstimateStmt(s)) {
    if (fresh('estimate')) m.estimates = [];
    m.estimates.push(s);
  } else if (isCompareStmt(s)) {
    if (fresh('compare')) m.compares = [];
    m.compares.push(s);
  } else if (isPredictStmt(s)) m.predict = s;
  else if (isFilterStmt(s)) m.filters.push(s);
}

export function effectiveModel(model: ModelBlock): EffectiveModel {
  const m = emptyModel(model);
  const none = new Set<string>();
  for (const s of model.statements) applyStatement(m, s, false, none);
  return m;
}

/** The sensitivity blocks of a file, with the name each fitted variant gets. */
export function sensitivityName(s: SensitivityBlock, root: StudyFile): string {
  if (s.name) return s.name;
  const baseName = s.base?.$refText ?? '?';
  const siblings = root.elements.filter((e): e is SensitivityBlock => isSensitivityBlock(e) && !e.name && (e.base?.$refText ?? '?') === baseName);
  return `${baseName} (sensitivity ${siblings.indexOf(s) + 1})`;
}

export function effectiveSensitivity(s: SensitivityBlock, root: StudyFile): EffectiveModel | undefined {
  const base = s.base?.ref;
  if (!base) return undefined;
  const m = effectiveModel(base);
  m.name = sensitivityName(s, root);
  m.sensitivity = s;
  m.filters = [...m.filters];
  m.covariates = [...m.covariates];
  m.factors = [...m.factors];
  m.randoms = [...m.randoms];
  m.estimates = [...m.estimates];
  m.compares = [...m.compares];
  const replaced = new Set<string>();
  for (const st of s.statements as SensitivityStatement[]) {
    if (isAddStmt(st)) applyStatement(m, st.statement, false, replaced);
    else if (isDropStmt(st)) {
      const names = new Set(st.columns.map((c) => c.column));
      if (st.kind === 'covariate') m.covariates = m.covariates.filter((c) => !names.has(c.column));
      else m.factors = m.factors.filter((c) => !names.has(c.column));
    } else applyStatement(m, st, true, replaced);
  }
  return m;
}

/** Every model fitted by the file, in order: models, then sensitivity variants where they are written. */
export function allModels(root: StudyFile): EffectiveModel[] {
  const out: EffectiveModel[] = [];
  for (const el of root.elements) {
    if (isModelBlock(el)) out.push(effectiveModel(el));
    else if (isSensitivityBlock(el)) {
      const m = effectiveSensitivity(el, root);
      if (m) out.push(m);
    }
  }
  return out;
}

export function effectTerm(e: Effect | undefined): Term {
  return (e?.variables ?? []).map((v) => v?.column).filter((c): c is string => typeof c === 'string');
}

/** The LS-means effect of a `compare`: its effect, crossed with the slice of `at each` (sex at each visit: sex*visit). */
export function compareTerm(c: CompareStmt): Term {
  const term = effectTerm(c.effect);
  const slice = c.slice?.column;
  return slice && !term.includes(slice) ? [...term, slice] : term;
}

export function termKey(t: Term): string {
  return [...t].sort().join('*');
}

export function termText(t: Term): string {
  return t.length === 0 ? 'intercept' : t.join('*');
}

/**
 * R-like expansion of one formula term: `*` crosses (all sub-products), `:` joins into one interaction
 * and binds tighter, so `a*b:c` is a + b:c + a:b:c.
 */
export function expandFormulaTerm(t: FormulaTerm): Term[] {
  const groups: string[][] = [[]];
  t.factors.forEach((f, i) => {
    if (i > 0 && t.ops[i - 1] === '*') groups.push([]);
    if (typeof f?.column === 'string') groups[groups.length - 1].push(f.column);
  });
  if (groups.some((g) => g.length === 0)) return groups.filter((g) => g.length > 0);
  const out: Term[] = [];
  const n = groups.length;
  // subsets in the order: by size, then lexicographic by position (a, b, a*b for a*b)
  const subsets: number[][] = [];
  for (let mask = 1; mask < 1 << n; mask++) {
    const idx: number[] = [];
    for (let i = 0; i < n; i++) if (mask & (1 << i)) idx.push(i);
    subsets.push(idx);
  }
  // (compared index by index, not by localeCompare: its first call builds ICU's collator, ~10 ms of every run)
  subsets.sort((a, b) => a.length - b.length || lexicographic(a, b));
  for (const s of subsets) out.push(s.flatMap((i) => groups[i]));
  return out;
}

function lexicographic(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

export function dedupeTerms(terms: Term[]): Term[] {
  const seen = new Set<string>();
  return terms.filter((t) => {
    const k = termKey(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The fixed-effects terms of a model: its `fixed` formula (none for `fixed intercept`), or the repeated
 * factor crossed with each covariate/factor.
 */
export function fixedTerms(m: EffectiveModel): Term[] {
  if (m.fixed) return m.fixed.interceptOnly ? [] : dedupeTerms(m.fixed.terms.flatMap(expandFormulaTerm));
  const rep = m.repeated?.effect?.column;
  const others = [...m.covariates, ...m.factors].map((c) => c?.column).filter((c): c is string => typeof c === 'string' && c !== rep);
  const terms: Term[] = [];
  if (rep) terms.push([rep]);
  for (const o of others) terms.push([o]);
  if (rep) for (const o of others) terms.push([rep, o]);
  return dedupeTerms(terms);
}

/** Does the model have an R-side structure (`cov` or `select cov`)? */
export function hasRSide(m: EffectiveModel): boolean {
  return !!(m.cov || m.select);
}

/** Does the model have G-side random effects? (`random subject` is one only without an R-side structure.) */
export function hasGSide(m: EffectiveModel): boolean {
  return m.randoms.some((r) => (r.subjectOnly ? !hasRSide(m) : r.effects.length > 0));
}

/** Every covariance structure of the engine, in the order they are offered and listed in messages. */
export const COVARIANCE_TYPES: readonly CovarianceType[] = ['VC', 'CS', 'AR1', 'UN', 'CSH', 'ARH1', 'TOEP', 'TOEPH', 'ANTE1', 'SPPOW', 'SPEXP', 'SPGAU'];

/** How each structure is written in a spec (as SAS writes TYPE=; AR1, ARH1 and ANTE1 are also written AR(1), ARH(1), ANTE(1)). */
export const COVARIANCE_LABELS: Readonly<Record<CovarianceType, string>> = {
  VC: 'VC',
  CS: 'CS',
  AR1: 'AR1',
  UN: 'UN',
  CSH: 'CSH',
  ARH1: 'ARH1',
  TOEP: 'TOEP',
  TOEPH: 'TOEPH',
  ANTE1: 'ANTE1',
  SPPOW: 'SP(POW)',
  SPEXP: 'SP(EXP)',
  SPGAU: 'SP(GAU)',
};

/** `SP(kind)`: the spatial structures by the kind written in parentheses. */
export const SPATIAL_KINDS: Readonly<Record<string, CovarianceType>> = { POW: 'SPPOW', EXP: 'SPEXP', GAU: 'SPGAU' };

/** Written with an order in parentheses, SAS style: AR(1), ARH(1), ANTE(1). */
const FIRST_ORDER: Readonly<Record<string, CovarianceType>> = { AR: 'AR1', ARH: 'ARH1', ANTE: 'ANTE1' };

const PLAIN: readonly string[] = ['VC', 'CS', 'AR1', 'UN', 'CSH', 'ARH1', 'TOEP', 'TOEPH', 'ANTE1'];

export function isSpatial(t: CovarianceType | undefined): boolean {
  return t === 'SPPOW' || t === 'SPEXP' || t === 'SPGAU';
}

/**
 * The engine structure a written structure names, or undefined when it names none. Options that do not
 * belong to it (coordinates on UN, bands on AR1) are ignored here and reported by the validator.
 */
export function covarianceTypeOf(t: CovType | undefined): CovarianceType | undefined {
  if (!t || typeof t.name !== 'string') return undefined;
  if (t.name === 'SP') return t.option !== undefined ? SPATIAL_KINDS[t.option] : undefined;
  if (t.bands !== undefined && FIRST_ORDER[t.name]) return t.bands === 1 ? FIRST_ORDER[t.name] : undefined;
  return PLAIN.includes(t.name) ? (t.name as CovarianceType) : undefined;
}

/** The structure with its options (TOEP(q) bands, spatial coordinates), as the engine takes it. */
export function covarianceChoice(t: CovType): CovarianceChoice | undefined {
  const type = covarianceTypeOf(t);
  if (!type) return undefined;
  const choice: CovarianceChoice = { type };
  if (type === 'TOEP' && t.bands !== undefined) choice.toeplitzBands = t.bands;
  const coordinates = t.coordinates.map((c) => c?.column).filter((c): c is string => typeof c === 'string');
  if (isSpatial(type) && coordinates.length > 0) choice.coordinates = coordinates;
  return choice;
}

/** A structure as SAS writes it: `UN`, `TOEP(3)`, `AR(1)` as AR1, `SP(EXP)(VISITN VISITN2)`. */
export function covTypeText(t: CovType | undefined): string {
  if (!t) return '?';
  const type = covarianceTypeOf(t);
  if (!type) return nodeText(t) || String(t.name);
  const bands = type === 'TOEP' && t.bands !== undefined ? `(${t.bands})` : '';
  const coords = isSpatial(type) && t.coordinates.length ? `(${t.coordinates.map((c) => c.column).join(' ')})` : '';
  return COVARIANCE_LABELS[type] + bands + coords;
}

/** The structures that place observations by their order in R (the levels of the repeated effect): lags and neighbours. */
export const ORDER_DEPENDENT_TYPES: readonly CovarianceType[] = ['AR1', 'ARH1', 'TOEP', 'TOEPH', 'ANTE1'];

/** SAS CLASS … REF=: the reference level of each factor that sets one, as the engine's level text (numbers as String(n)). */
export function classReferences(m: EffectiveModel, data?: Dataset): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const f of m.factors) {
    if (!f?.column || !f.reference) continue;
    out[f.column] = referenceText(f, data);
  }
  return Object.keys(out).length ? out : undefined;
}

/** The level a `ref` names, as level text: a number as String(n); a quoted number on a numeric column the same way. */
export function referenceText(f: ColumnRef, data?: Dataset): string {
  const v = f.reference ? literalValue(f.reference) : '';
  if (typeof v === 'number') return String(v);
  const col = data?.columns.find((c) => c.name === f.column);
  if (col?.kind === 'numeric' && v.trim() !== '' && Number.isFinite(Number(v))) return String(Number(v));
  return v;
}

export function literalValue(l: Literal): number | string {
  if (l.text !== undefined) return unquote(l.text);
  return (l.negative ? -1 : 1) * (l.number ?? 0);
}

/** STRING values arrive unquoted and unescaped (Langium's value converter); kept as the one place to change that. */
export function unquote(s: string): string {
  return s;
}

export function literalText(l: Literal): string {
  const v = literalValue(l);
  return typeof v === 'number' ? String(v) : v;
}

/** The levels a `repeated` statement keeps, given the data (numeric ranges select the data's levels in range). */
export function repeatedLevels(r: RepeatedStmt, data?: Dataset): (number | string)[] | undefined {
  if (!r.from) return undefined;
  const from = literalValue(r.from);
  if (r.range && r.to) {
    const to = literalValue(r.to);
    if (typeof from !== 'number' || typeof to !== 'number') return [from, to];
    const col = data?.columns.find((c) => c.name === r.effect.column);
    if (col && col.kind === 'numeric') {
      return col.distinct
        .map(Number)
        .filter((v) => v >= Math.min(from, to) && v <= Math.max(from, to))
        .sort((a, b) => a - b);
    }
    const out: number[] = [];
    if (Number.isInteger(from) && Number.isInteger(to)) for (let v = from; v <= to; v++) out.push(v);
    return out;
  }
  return [from, ...r.levels.map(literalValue)];
}

export function containingDocument(node: AstNode): LangiumDocument | undefined {
  try {
    return AstUtils.getDocument(node);
  } catch {
    return undefined;
  }
}

export function variablesOf(covs: CovariateStmt[] | FactorStmt[]): string[] {
  return covs.flatMap((c) => c.columns.map((x) => x.column));
}

/** Source text of a node, whitespace collapsed. */
export function nodeText(node: AstNode | undefined): string {
  return (node?.$cstNode?.text ?? '').replace(/\s+/g, ' ').trim();
}

/** One-line description of the fitted model (used by hover). */
export function describeModel(m: EffectiveModel, subject?: string): string {
  const terms = fixedTerms(m);
  const rhs = terms.length ? terms.map(termText).join(' + ') : '1';
  const lines = [`**${m.name}**: \`${m.outcome?.outcome.column ?? '?'} = ${rhs}\``];
  if (m.fixed?.noIntercept) lines.push('no intercept');
  if (m.repeated) {
    const lv = m.repeated.from ? ` (levels ${nodeText(m.repeated).replace(/^repeated\s+\S+\s*/, '').replace(/;$/, '')})` : '';
    lines.push(`repeated: \`${m.repeated.effect.column}\`${lv}`);
  }
  const sub = hasRSide(m) || m.randoms.some((r) => r.subjectOnly) ? subject : undefined;
  const group = (m.select ?? m.cov)?.group?.column;
  const per = `${sub ? ` (subject ${sub}` : ''}${group ? `${sub ? ', ' : ' ('}group ${group}` : ''}${sub || group ? ')' : ''}`;
  if (m.select) {
    lines.push(`R-side covariance: best of ${m.select.candidates.map(covTypeText).join(', ')} by ${m.select.criterion ?? 'AIC'}${per}`);
  } else if (m.cov) lines.push(`R-side covariance: ${covTypeText(m.cov.type)}${per}`);
  const refs = m.factors.filter((f) => f.reference);
  if (refs.length) lines.push(`reference levels: ${refs.map((f) => `${f.column} ${literalText(f.reference!)}`).join(', ')}`);
  for (const r of m.randoms) {
    if (r.subjectOnly) {
      if (!hasRSide(m)) lines.push(`random: intercept by ${subject ?? '?'} (VC)`);
    } else {
      const effs = r.effects.map((e) => (e.intercept ? 'intercept' : termText(effectTerm(e.effect!)))).join(', ');
      lines.push(`random: ${effs}${r.subject ? ` by ${r.subject.column}` : ''} (${r.type?.name ?? 'VC'})`);
    }
  }
  const gSide = hasGSide(m);
  const ddfm = m.df?.method ?? (gSide ? 'containment' : hasRSide(m) && sub ? 'between-within' : 'residual');
  const variant = m.df?.variant ? ` ${m.df.variant}` : '';
  const alpha = m.alpha?.value?.number !== undefined ? `, alpha ${literalText(m.alpha.value)}` : '';
  lines.push(`method ${m.method?.method ?? 'REML'}${m.method ? '' : ' (default)'}, df ${ddfm}${variant}${m.df ? '' : ' (default)'}${alpha}`);
  return lines.join('  \n');
}
