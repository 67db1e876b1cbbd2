/**
 * From a parsed `.study` document to the engine's `StudyPlan`.
 */
import { adamClassOrder } from './adam.js';
import type { LangiumDocument } from 'langium';
import type {
  AnalysisSpec,
  CovarianceChoice,
  CovarianceType,
  Dataset,
  DerivedSpec,
  DescribeSpec,
  DfMethod,
  InformationCriterion,
  LsMeansSpec,
  ModelSpec,
  PlannedAnalysis,
  PlannedDescribe,
  PlannedModel,
  RandomSpec,
  RowExpr,
  RowFilter,
  StudyPlan,
  SubjectExpr,
  SubjectValue,
  Term,
} from '@study/engine';
import {
  isBinaryExpr,
  isCondition,
  isCorrelateStmt,
  isDescribeBy,
  isDescribeFactor,
  isDescribeList,
  isFilterStmt,
  isNotExpr,
  isPairedStmt,
  isStudyFile,
  type AnalysisBlock,
  type DescribeBlock,
  type FilterStmt,
  type RandomStmt,
  type RowExpr as RowExprNode,
  type SensitivityBlock,
  type StudyFile,
  type SubjectExpr as SubjectExprNode,
  type SubjectValue as SubjectValueNode,
  type LevelRef,
  type LetDecl,
} from './generated/ast.js';
import {
  allModels,
  classReferences,
  compareTerm,
  COVARIANCE_TYPES,
  covarianceChoice,
  effectTerm,
  fixedTerms,
  hasGSide,
  hasRSide,
  literalValue,
  nodeText,
  repeatedLevels,
  studyInfo,
  unquote,
  type EffectiveModel,
} from './semantics.js';
import { loadSpecData } from './data-cache.js';

/** Thrown by `buildPlan` for a document with errors. */
export class StudyPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StudyPlanError';
  }
}

export { COVARIANCE_TYPES };

export interface BuildPlanOptions {
  /** the data, if already read; otherwise read (cached) from the spec's `data` file when it can be */
  data?: Dataset;
}

export function rowExpr(e: RowExprNode): RowExpr {
  if (isBinaryExpr(e)) return { kind: e.op, left: rowExpr(e.left), right: rowExpr(e.right) };
  if (isNotExpr(e)) return { kind: 'not', expr: rowExpr(e.expr) };
  if (isCondition(e)) {
    const column = e.column.column;
    if (e.isMissing) {
      const m: RowExpr = { kind: 'missing', column };
      return e.negated ? { kind: 'not', expr: m } : m;
    }
    if (e.op && e.value) return { kind: 'compare', column, op: e.op, value: literalValue(e.value) };
    return { kind: 'in', column, values: e.values.map(literalValue) };
  }
  throw new Error(`unexpected expression ${(e as { $type: string }).$type}`);
}

export function rowFilter(f: FilterStmt): RowFilter {
  return { mode: f.mode, expr: rowExpr(f.expr) };
}

/** A `select cov` candidate: the type alone when it has no options, as the engine also takes it. */
function candidate(c: CovarianceChoice): CovarianceType | CovarianceChoice {
  return c.toeplitzBands === undefined && c.coordinates === undefined ? c.type : c;
}

/**
 * A RANDOM statement's SUBJECT= as the engine names it: `patient`, or nested as SAS writes it,
 * `Rat(Diet)` (the subject is a rat within its diet; the engine keys it by both).
 */
export function randomSubjectName(r: RandomStmt): string | undefined {
  const subject = r.subject?.column;
  if (!subject) return undefined;
  const within = r.within.map((w) => w?.column).filter((w): w is string => typeof w === 'string');
  return within.length > 0 ? `${subject}(${within.join(' ')})` : subject;
}

/** What a sensitivity block changes, as written: its statements, one per clause ("exclude dose_adjusted == 1; add factor sex"). */
export function sensitivityDescription(s: SensitivityBlock): string {
  return s.statements
    .map((st) => nodeText(st).replace(/\s*;\s*$/, '').replace(/\s+/g, ' ').trim())
    .filter((t) => t.length > 0)
    .join('; ');
}

/** The engine's ModelSpec and rows of one fitted model. */
export function plannedModel(m: EffectiveModel, studySubject: string | undefined, data?: Dataset): PlannedModel {
  const fixed = fixedTerms(m);
  const rep = m.repeated?.effect.column;
  const factorNames = m.factors.map((f) => f.column);
  const covariateNames = new Set(m.covariates.map((c) => c.column));
  const classes: string[] = [];
  const addClass = (c: string) => {
    if (!classes.includes(c)) classes.push(c);
  };
  if (rep) addClass(rep);
  factorNames.forEach(addClass);
  // variables used in fixed or random terms without a declaration: text columns are classes
  const used: string[] = [...fixed.flat()];
  for (const r of m.randoms) for (const e of r.effects) if (e.effect) used.push(...effectTerm(e.effect));
  for (const v of used) {
    if (covariateNames.has(v) || classes.includes(v)) continue;
    const col = data?.columns.find((c) => c.name === v);
    if (col && col.kind === 'text') addClass(v);
  }

  const rSide = hasRSide(m);
  const randomSubject = m.randoms.some((r) => r.subjectOnly);
  const subject = rSide || randomSubject ? studySubject : undefined;
  const random: RandomSpec[] = [];
  for (const r of m.randoms) {
    if (r.subjectOnly) {
      if (!rSide) random.push({ terms: [[]], subject: studySubject, type: 'VC' });
      continue;
    }
    const terms: Term[] = r.effects.map((e) => (e.intercept ? [] : effectTerm(e.effect!)));
    const type = r.type?.name === 'UN' ? 'UN' : 'VC';
    random.push({ terms, subject: randomSubjectName(r), type });
  }

  let repeated: ModelSpec['repeated'];
  if (m.select) {
    const choices = m.select.candidates.map(covarianceChoice).filter((c): c is CovarianceChoice => c !== undefined);
    // the spec's own type (and its options) are the first candidate's
    const first = choices[0] ?? { type: 'VC' };
    repeated = {
      effect: rep,
      ...first,
      candidates: choices.map(candidate),
      criterion: (m.select.criterion ?? 'AIC') as InformationCriterion,
    };
  } else if (m.cov) {
    repeated = { effect: rep, ...(covarianceChoice(m.cov.type) ?? { type: 'VC' }) };
    // `cov UN else TOEPH else CS`: the analysis plan's fallback chain
    const fallback = m.cov.fallbacks.map(covarianceChoice).filter((c): c is CovarianceChoice => c !== undefined);
    if (fallback.length > 0) repeated.fallback = fallback.map(candidate);
  } else if (rep) {
    repeated = { effect: rep, type: 'VC' };
  }
  const group = (m.select ?? m.cov)?.group?.column;
  if (repeated && group) repeated.group = group;
  const classReference = classReferences(m, data);
  // ADaM: AVISIT's levels in AVISITN's order (adam.ts)
  const classOrder = adamClassOrder(classes, data);
  const alpha = m.alpha?.value ? literalValue(m.alpha.value) : undefined;

  const gSide = hasGSide(m);
  const ddfm: DfMethod = m.df
    ? m.df.method
    : gSide
      ? 'containment'
      : rSide && subject
        ? 'between-within'
        : 'residual';

  const lsmeans: LsMeansSpec[] = m.compares.map((c) => {
    const at = c.at.filter((a) => a.value?.number !== undefined);
    return {
      effect: compareTerm(c).join('*'),
      pairwise: c.pairwise,
      adjust: c.adjust ?? 'none',
      ...(c.slice?.column ? { slice: c.slice.column } : {}),
      ...(at.length > 0 ? { at: Object.fromEntries(at.map((a) => [a.column.column, (a.value.negative ? -1 : 1) * a.value.number!])) } : {}),
    };
  });

  const spec: ModelSpec = {
    name: m.name,
    response: m.outcome?.outcome.column ?? '',
    subject,
    classes,
    ...(classReference ? { classReference } : {}),
    ...(classOrder ? { classOrder } : {}),
    fixed,
    intercept: !m.fixed?.noIntercept,
    repeated,
    random,
    method: m.method?.method ?? 'REML',
    ddfm,
    ...(m.df?.variant === 'observed' ? { kenwardRoger: { information: 'observed' as const } } : {}),
    // SAS KR(FIRSTORDER) and KR(LINEAR): SAS's observed information, without the second-derivative term
    ...(m.df?.variant === 'firstorder' || m.df?.variant === 'linear' ? { kenwardRoger: { information: 'observed' as const, firstOrder: true, variant: m.df.variant } } : {}),
    ...(typeof alpha === 'number' ? { alpha } : {}),
    ...(m.converge ? { convergence: m.converge.to } : {}),
    tests: m.tests.length ? m.tests.flatMap((t) => t.effects.map(effectTerm)) : undefined,
    estimates: m.estimates.map((e) => ({
      kind: 'slope-at-levels' as const,
      covariate: e.covariate.column,
      factor: e.factor.column,
      ...(e.label ? { label: unquote(e.label) } : {}),
    })),
    lsmeans,
    ...(m.predict ? { randomSolution: true } : {}),
  };
  if (spec.subject === undefined) delete spec.subject;
  if (spec.repeated === undefined) delete spec.repeated;
  if (spec.tests === undefined) delete spec.tests;

  const filters = m.filters.map(rowFilter);
  const planned: PlannedModel = { spec, filters };
  if (m.sensitivity) planned.sensitivity = { of: m.model.name, description: sensitivityDescription(m.sensitivity) };
  const from = m.repeated?.from ? literalValue(m.repeated.from) : undefined;
  const to = m.repeated?.to ? literalValue(m.repeated.to) : undefined;
  if (m.repeated && rep && !data && m.repeated.range && typeof from === 'number' && typeof to === 'number') {
    // no data to read the levels from (a database): the engine takes the levels of the data in the range
    planned.repeatedRange = { from: Math.min(from, to), to: Math.max(from, to) };
  } else if (m.repeated && rep) {
    const levels = repeatedLevels(m.repeated, data);
    if (levels) {
      planned.repeatedLevels = levels;
      filters.push({ mode: 'where', expr: { kind: 'in', column: rep, values: levels } });
    }
  }
  return planned;
}

function subjectValue(v: SubjectValueNode): SubjectValue {
  return v.at ? { variable: v.variable.column, at: levelRef(v.at) } : { variable: v.variable.column };
}

function levelRef(l: LevelRef): { column: string; level: number | string } {
  return { column: l.column.column, level: literalValue(l.level) };
}

function subjectExpr(e: SubjectExprNode): SubjectExpr {
  return e.right ? { kind: 'difference', left: subjectValue(e.left), right: subjectValue(e.right) } : { kind: 'value', value: subjectValue(e.left) };
}

function plannedAnalysis(a: AnalysisBlock): PlannedAnalysis {
  const filters: RowFilter[] = [];
  const tests: AnalysisSpec[] = [];
  for (const s of a.statements) {
    if (isFilterStmt(s)) filters.push(rowFilter(s));
    else if (isPairedStmt(s)) {
      const left = subjectValue(s.left);
      const right = s.right ? subjectValue(s.right) : { variable: left.variable, at: levelRef(s.rightLevel!) };
      const label = s.label ? unquote(s.label) : nodeText(s).replace(/^paired\s+/, '').replace(/\s*;$/, '');
      tests.push({ kind: 'paired-t', label, left, right });
    } else if (isCorrelateStmt(s)) {
      const label = s.label ? unquote(s.label) : nodeText(s).replace(/^correlate\s+/, '').replace(/\s*;$/, '');
      tests.push({ kind: 'correlation', label, x: subjectExpr(s.x), y: subjectExpr(s.y) });
    }
  }
  return { name: a.name, filters, tests };
}

/**
 * A `describe` block as the engine computes it (engine describe.ts): its variables in the order listed,
 * categorical when declared `factor` or a text column of the data.
 */
export function plannedDescribe(d: DescribeBlock, data?: Dataset): PlannedDescribe {
  const filters: RowFilter[] = [];
  const variables: DescribeSpec[] = [];
  const by: string[] = [];
  const factors = new Set(d.statements.filter(isDescribeFactor).flatMap((s) => s.columns.map((c) => c.column)));
  const lets = new Set(d.$container ? studyInfo(d.$container).lets.map((l) => l.name) : []);
  for (const s of d.statements) {
    if (isFilterStmt(s)) filters.push(rowFilter(s));
    else if (isDescribeBy(s)) by.push(...s.columns.map((c) => c.column).filter((c) => !by.includes(c)));
    else if (isDescribeList(s)) {
      for (const v of s.values) {
        const variable = v.variable.column;
        const text = !lets.has(variable) && data?.columns.find((c) => c.name === variable)?.kind === 'text';
        variables.push({ variable, ...(v.at ? { at: levelRef(v.at) } : {}), ...(factors.has(variable) || text ? { categorical: true } : {}) });
      }
    }
  }
  return { name: d.name, filters, variables, by };
}

/** A `let` as the engine derives it. */
export function derivedSpec(l: LetDecl): DerivedSpec {
  return l.centred
    ? { kind: 'centred', name: l.name, variable: l.variable.column, centre: l.centre?.number !== undefined ? (l.centre.negative ? -1 : 1) * l.centre.number : 0 }
    : { kind: l.percent ? 'percent-change' : 'change', name: l.name, variable: l.variable.column, by: l.by!.column, baseline: literalValue(l.baseline!) };
}

/**
 * The plan of a spec. `source` is a parsed document (its URI locates the data file, read to resolve
 * level ranges like `2..6`) or its root node. Call it on a document without errors: unresolved parts
 * are left out rather than reported.
 */
export function buildPlan(source: LangiumDocument | StudyFile, options: BuildPlanOptions = {}): StudyPlan {
  if (!isStudyFile(source)) {
    const doc = source as LangiumDocument;
    const syntax = doc.parseResult.lexerErrors.length + doc.parseResult.parserErrors.length;
    const errors = (doc.diagnostics ?? []).filter((d) => d.severity === 1);
    if (syntax > 0 || errors.length > 0) {
      const first = errors[0];
      const where = first ? ` (first: line ${first.range.start.line + 1}: ${first.message})` : '';
      throw new StudyPlanError(`cannot build a plan: the spec has ${Math.max(errors.length, syntax)} error${Math.max(errors.length, syntax) > 1 ? 's' : ''}${where}`);
    }
  }
  const root = (isStudyFile(source) ? source : (source as LangiumDocument).parseResult.value) as StudyFile;
  const uri = isStudyFile(source) ? root.$document?.uri : (source as LangiumDocument).uri;
  const info = studyInfo(root);
  const dataPath = info.data?.path ? unquote(info.data.path) : '';
  let data = options.data;
  if (!data && dataPath) {
    const load = loadSpecData(uri, dataPath);
    if (load.ok) data = load.data;
  }
  const studySubject = info.subject?.column.column;
  const derived: DerivedSpec[] = info.lets.map(derivedSpec);
  const plan: StudyPlan = {
    dataPath,
    derived,
    filters: info.filters.map(rowFilter),
    models: allModels(root).map((m) => plannedModel(m, studySubject, data)),
    analyses: info.analyses.map(plannedAnalysis),
  };
  if (info.describes.length > 0) plan.describes = info.describes.map((d) => plannedDescribe(d, data));
  if (info.database) {
    const db = info.database;
    plan.dataSource = {
      engine: db.engine as 'duckdb' | 'postgres',
      ...(db.file !== undefined ? { file: unquote(db.file) } : {}),
      ...(db.env !== undefined ? { env: db.env } : {}),
      ...(db.table !== undefined ? { table: /^["']/.test(db.table) ? unquote(db.table) : db.table } : {}),
    };
    if (db.file !== undefined) plan.dataPath = unquote(db.file);
  }
  if (info.title) plan.title = unquote(info.title.title);
  if (studySubject) plan.subject = studySubject;
  return { ...(plan.title !== undefined ? { title: plan.title } : {}), ...plan };
}

export function derivedNames(root: StudyFile): string[] {
  return studyInfo(root).lets.map((l) => l.name);
}

/** Build the plan of one model (or sensitivity variant) by name. */
export function buildModelPlan(source: LangiumDocument | StudyFile, name: string, options: BuildPlanOptions = {}): PlannedModel | undefined {
  return buildPlan(source, options).models.find((m) => m.spec.name === name);
}
