/**
 * Validation of a spec against its data file. Every check is guarded: a bad spec or bad data gives
 * diagnostics, never an exception out of the language server.
 */
import { AstUtils, type AstNode, type ValidationAcceptor, type ValidationChecks, type ValidationSeverity } from 'langium';
import { applyFilters, rowCount, rowPasses, tableOf, valueAt, type ColumnInfo, type Dataset, type RowFilter, type Value } from '@study/engine';
import {
  isColumnRef,
  isCondition,
  isCorrelateStmt,
  isDataDecl,
  isFilterStmt,
  isLetDecl,
  isLevelRef,
  isPairedStmt,
  isStudyTitle,
  isSubjectDecl,
  isSubjectValue,
  isRepeatedStmt,
  isFactorStmt,
  isRandomStmt,
  isDropStmt,
  isCovStmt,
  isSelectCovStmt,
  type ColumnRef,
  type Condition,
  type Literal,
  type ModelBlock,
  type SensitivityBlock,
  type StudyAstType,
  type StudyFile,
} from './generated/ast.js';
import type { StudyCoreServices } from './study-core-module.js';
import { loadSpecData } from './data-cache.js';
import {
  allModels,
  effectiveModel,
  effectTerm,
  compareTerm,
  fixedTerms,
  hasGSide,
  hasRSide,
  literalText,
  literalValue,
  repeatedLevels,
  studyInfo,
  termKey,
  termText,
  unquote,
  type EffectiveModel,
  type StudyInfo,
} from './semantics.js';
import { closest } from './suggest.js';
import { rowFilter } from './plan-builder.js';
import { Codes } from './validation/codes.js';
import { listLevels } from './validation/levels.js';
import { checkCovarianceData, checkCovarianceStructures, checkReferenceLevels, type CheckContext } from './validation/covariance-checks.js';
import { checkAlpha } from './validation/model-options.js';
import { checkAnalysisData, checkBaselines, checkDataFile, checkModelRows } from './validation/data-checks.js';
import { checkDescribe } from './validation/describe-checks.js';
import { checkAdam } from './validation/adam-checks.js';
import { checkDuplicateNames, checkNothingToRun, checkNumericRandomEffects, checkReversedRanges, modelValues } from './validation/spec-checks.js';
import type { Diagnostic, Range } from 'vscode-languageserver';
import type { DataOffload } from './validation/data-offload.js';

export { Codes };

export interface SuggestionData {
  code: string;
  /** the replacement text offered by the quick fix */
  suggestion?: string;
}

export function registerValidationChecks(services: StudyCoreServices): void {
  const registry = services.validation.ValidationRegistry;
  const validator = services.validation.StudyValidator;
  const checks: ValidationChecks<StudyAstType> = {
    StudyFile: validator.checkStudy.bind(validator),
  };
  registry.register(checks, validator);
}

type Severity = ValidationSeverity;

const SEVERITY_NAME: Record<number, Severity> = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };

/** Reports diagnostics computed elsewhere (the worker, validation/data-job.ts) as they were: same ranges, codes and data. */
function replayDiagnostics(root: StudyFile, diagnostics: Diagnostic[], accept: ValidationAcceptor): void {
  for (const d of diagnostics) {
    accept(SEVERITY_NAME[d.severity ?? 1] ?? 'error', d.message, {
      node: root,
      range: d.range,
      ...(d.code !== undefined ? { code: d.code } : {}),
      ...(d.codeDescription ? { codeDescription: d.codeDescription } : {}),
      ...(d.tags ? { tags: d.tags } : {}),
      ...(d.relatedInformation ? { relatedInformation: d.relatedInformation } : {}),
      ...(d.data !== undefined ? { data: d.data } : {}),
    } as Parameters<ValidationAcceptor>[2]);
  }
}

const KEYWORD_OF: Record<string, string> = {
  StudyTitle: 'study',
  DataDecl: 'data',
  SubjectDecl: 'subject',
  LetDecl: 'let',
  FilterStmt: 'where',
  ModelBlock: 'model',
  SensitivityBlock: 'sensitivity',
  AnalysisBlock: 'analysis',
  DescribeBlock: 'describe',
  OutcomeStmt: 'outcome',
  RepeatedStmt: 'repeated',
  FixedStmt: 'fixed',
  CovStmt: 'cov',
  SelectCovStmt: 'select',
  MethodStmt: 'method',
  DfStmt: 'df',
  AlphaStmt: 'alpha',
  ConvergeStmt: 'converge',
};

function fmtNumber(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(2);
}

function hasLevel(col: ColumnInfo, l: Literal): boolean {
  const v = literalValue(l);
  if (col.kind === 'numeric') return typeof v === 'number' && col.distinct.some((d) => Number(d) === v);
  return col.distinct.includes(String(v));
}

export class StudyValidator {
  /** `offload`: the language server's checks against large data files in its worker (validation/data-offload.ts) */
  constructor(private readonly offload?: () => DataOffload | undefined) {}

  checkStudy(root: StudyFile, accept: ValidationAcceptor): void {
    const off = this.offload?.()?.lookup(root);
    if (off?.state === 'checked') {
      // the worker ran this validator with the data on exactly this text
      replayDiagnostics(root, off.diagnostics, accept);
      return;
    }
    // pending: the worker is reading the data; failed: it could not (the checks that need no data, and why)
    this.validate(root, accept, off !== undefined && off.state !== 'local');
    const decl = off?.state === 'failed' ? studyInfo(root).data : undefined;
    if (off?.state === 'failed' && decl) {
      accept('warning', `the checks against the data could not run: ${off.error}`, { node: decl, property: 'path', code: Codes.dataError });
    }
  }

  /** Every check, with the data read here; `withoutData`: only the checks that need no data (the worker has the rest). */
  validate(root: StudyFile, accept: ValidationAcceptor, withoutData = false): void {
    const seen = new Set<string>();
    const acc: ValidationAcceptor = (severity, message, info) => {
      const n = info.node.$cstNode;
      const key = `${severity}|${message}|${n?.offset}|${String(info.property)}|${info.keyword}`;
      if (seen.has(key)) return;
      seen.add(key);
      accept(severity, message, info);
    };
    try {
      new FileCheck(root, acc, withoutData).run();
    } catch (e) {
      console.error('study validator failed', e);
      const first = root.elements[0] ?? root;
      acc('warning', `internal error while validating: ${(e as Error)?.message ?? e}`, { node: first, code: Codes.internal });
    }
  }
}

class FileCheck implements CheckContext {
  readonly info: StudyInfo;
  data?: Dataset;
  dataName = 'the data';
  readonly columns = new Map<string, ColumnInfo>();

  constructor(
    readonly root: StudyFile,
    readonly accept: ValidationAcceptor,
    /** the data are checked elsewhere (the language server's worker): do not read them */
    private readonly withoutData = false,
  ) {
    this.info = studyInfo(root);
  }

  report(severity: Severity, message: string, node: AstNode, where: { property?: string; keyword?: string; index?: number; range?: Range } = {}, code?: string, suggestion?: string): void {
    if (!node?.$cstNode) return;
    const data: SuggestionData | undefined = code ? { code, ...(suggestion ? { suggestion } : {}) } : undefined;
    this.accept(severity, message, { node, ...where, code, data } as Parameters<ValidationAcceptor>[2]);
  }

  private safe(f: () => void): void {
    try {
      f();
    } catch (e) {
      console.error('study validator check failed', e);
    }
  }

  run(): void {
    this.safe(() => this.checkTopLevel());
    this.safe(() => this.checkColumnRefs());
    this.safe(() => this.checkDerivedPositions());
    if (this.data) {
      this.safe(() => this.checkSubject());
      this.safe(() => this.checkLets());
      this.safe(() => this.checkFilters());
      this.safe(() => this.checkAnalyses());
      this.safe(() => checkReferenceLevels(this, this.root));
      // the data's cells and format, baselines, analyses' values (validation/data-checks.ts)
      this.safe(() => checkDataFile(this));
      this.safe(() => checkBaselines(this));
      this.safe(() => checkAnalysisData(this));
      // ADaM BDS data: CHG, PCHG, baseline flags, BASE, AVISIT's order (validation/adam-checks.ts)
      this.safe(() => checkAdam(this));
    }
    const models = allModels(this.root);
    for (const m of models) this.safe(() => this.checkModel(m));
    for (const b of this.info.models) this.safe(() => this.checkBlockDuplicates(b));
    for (const s of this.info.sensitivities) this.safe(() => this.checkBlockDuplicates(s));
    for (const s of this.info.sensitivities) this.safe(() => this.checkDrops(s));
    // the cohort's descriptive statistics: one value per subject (validation/describe-checks.ts)
    for (const d of this.info.describes) this.safe(() => checkDescribe(this, d));
    // names, ranges, an empty spec, numeric random effects (validation/spec-checks.ts)
    this.safe(() => checkDuplicateNames(this));
    this.safe(() => checkReversedRanges(this));
    this.safe(() => checkNothingToRun(this));
    if (this.data) for (const m of models) this.safe(() => checkNumericRandomEffects(this, m));
  }

  private checkTopLevel(): void {
    const counts = new Map<string, number>();
    for (const el of this.root.elements) {
      if (isStudyTitle(el) || isDataDecl(el) || isSubjectDecl(el)) {
        const n = (counts.get(el.$type) ?? 0) + 1;
        counts.set(el.$type, n);
        if (n > 1) this.report('error', `a spec has one '${KEYWORD_OF[el.$type]}' statement`, el, { keyword: KEYWORD_OF[el.$type] }, Codes.duplicateStatement);
      }
    }
    const dataDecl = this.info.data;
    const database = this.info.database;
    if (database) {
      // the data are in a database: checked against it when the spec runs (a database is not opened while typing)
      if (database.engine === 'postgres' && database.env && !/^[A-Z_][A-Z0-9_]*$/.test(database.env)) {
        this.report('warning', `env ${database.env}: environment variables holding a connection string are usually upper case (STUDY_PG)`, database, { property: 'env' }, Codes.dataError);
      }
      this.report('info', `the data are in ${database.engine === 'duckdb' ? 'DuckDB' : 'PostgreSQL'}: columns and levels are checked when the spec runs, against the table; models are fitted from the sufficient statistics it computes`, database, { keyword: 'data' }, Codes.dataFormat);
      return;
    }
    if (!dataDecl) {
      const first = this.root.elements[0];
      if (first) {
        const kw = first.$type === 'FilterStmt' ? (first as { mode: string }).mode : KEYWORD_OF[first.$type];
        this.report('error', 'no data file: add `data "file.csv"`', first, { keyword: kw }, Codes.noData);
      }
      return;
    }
    if (typeof dataDecl.path !== 'string') return;
    const written = unquote(dataDecl.path);
    this.dataName = written;
    if (this.withoutData) return;
    const load = loadSpecData(this.root.$document?.uri, written);
    if (!load.ok && load.untrusted) {
      this.report('info', `Restricted Mode: ${written} is not read in an untrusted workspace, so the checks against the data are off (trust the workspace to turn them on)`, dataDecl, { property: 'path' }, Codes.untrusted);
      return;
    }
    if (!load.ok) {
      const msg = load.error.startsWith('data file not found') ? `data file not found: ${written} (looked for ${load.path})` : load.error;
      this.report('error', msg, dataDecl, { property: 'path' }, load.refused === 'outside' ? Codes.dataOutsideWorkspace : Codes.dataError);
      return;
    }
    this.data = load.data;
    for (const c of load.data.columns) this.columns.set(c.name, c);
  }

  /** Columns and `let` variables: every reference must name one, lets before they are used. */
  private checkColumnRefs(): void {
    const lets = new Map<string, { offset: number; line: number }>();
    for (const l of this.info.lets) {
      const off = l.$cstNode?.offset ?? 0;
      if (lets.has(l.name)) {
        this.report('error', `'${l.name}' is defined twice`, l, { property: 'name' }, Codes.duplicateLet);
        continue;
      }
      lets.set(l.name, { offset: off, line: (l.$cstNode?.range.start.line ?? 0) + 1 });
      if (this.columns.has(l.name)) {
        this.report('warning', `'${l.name}' is also a column of ${this.dataName}: the derived variable hides it`, l, { property: 'name' }, Codes.letShadowsColumn);
      }
    }
    for (const ref of AstUtils.streamAllContents(this.root).filter(isColumnRef)) {
      const name = ref.column;
      if (!name) continue;
      const let_ = lets.get(name);
      const refOffset = ref.$cstNode?.offset ?? 0;
      if (let_) {
        if (refOffset < let_.offset || this.insideLet(ref, name)) {
          this.report('error', `'${name}' is used before its definition (line ${let_.line})`, ref, { property: 'column' }, Codes.letBeforeDefinition);
        }
        continue;
      }
      if (!this.data || this.columns.has(name)) continue;
      const candidates = [...this.columns.keys(), ...[...lets.entries()].filter(([, l]) => l.offset < refOffset).map(([n]) => n)];
      const suggestion = closest(name, candidates);
      const msg = `unknown column '${name}' in ${this.dataName}` + (suggestion ? `; did you mean '${suggestion}'?` : '');
      this.report('error', msg, ref, { property: 'column' }, Codes.unknownColumn, suggestion);
    }
  }

  private insideLet(ref: ColumnRef, name: string): boolean {
    const l = AstUtils.getContainerOfType(ref, isLetDecl);
    return !!l && l.name === name;
  }

  /** The column of a reference, when it is a data column (not a let). */
  col(ref: ColumnRef | undefined): ColumnInfo | undefined {
    if (!ref) return undefined;
    if (this.info.lets.some((l) => l.name === ref.column)) return undefined;
    return this.columns.get(ref.column);
  }

  private isLet(name: string): boolean {
    return this.info.lets.some((l) => l.name === name);
  }

  requireNumeric(ref: ColumnRef | undefined, what: string): void {
    const c = this.col(ref);
    if (!ref) return;
    if (c && c.kind !== 'numeric') {
      this.report('error', `${what} '${ref.column}' is not numeric (values ${listLevels(c)})`, ref, { property: 'column' }, Codes.notNumeric);
    }
  }

  private checkLevel(colRef: ColumnRef | undefined, lit: Literal | undefined): void {
    const c = this.col(colRef);
    if (!colRef || !lit) return;
    if (c && !hasLevel(c, lit)) {
      this.report('error', `${colRef.column} has no level ${literalText(lit)} in ${this.dataName} (levels: ${listLevels(c)})`, lit, {}, Codes.unknownLevel);
    }
  }

  private checkSubject(): void {
    const s = this.info.subject;
    const c = this.col(s?.column);
    if (!s || !c || !this.data) return;
    const n = rowCount(this.data);
    if (c.distinct.length <= 1) {
      this.report('error', `subject column '${c.name}' has ${c.distinct.length === 0 ? 'no values' : `a single value (${c.distinct[0]})`}: it does not identify subjects`, s.column, { property: 'column' }, Codes.subjectConstant);
      return;
    }
    if (c.missing > 0) {
      this.report('warning', `${c.missing} row${c.missing > 1 ? 's have' : ' has'} no ${c.name}: ${c.missing > 1 ? 'they are' : 'it is'} left out of every model`, s.column, { property: 'column' }, Codes.subjectMissing);
    }
    if (c.distinct.length === n - c.missing && n > 1 && c.distinct.length < 1000) {
      this.report('warning', `every row has its own ${c.name}: no subject has repeated observations`, s.column, { property: 'column' }, Codes.subjectUnique);
    }
  }

  private checkLets(): void {
    for (const l of this.info.lets) {
      if (!l.variable) continue;
      if (!this.isLet(l.variable.column) || this.col(l.variable)) this.requireNumeric(l.variable, 'variable');
      if (l.by) this.checkLevel(l.by, l.baseline);
    }
  }

  private checkFilters(): void {
    for (const cond of AstUtils.streamAllContents(this.root).filter(isCondition)) {
      this.checkCondition(cond);
    }
  }

  private checkCondition(cond: Condition): void {
    const c = this.col(cond.column);
    if (!c) return;
    const lits = cond.value ? [cond.value] : cond.values;
    for (const l of lits) {
      const isNum = l.number !== undefined && l.text === undefined;
      if (c.kind === 'numeric' && !isNum) {
        this.report('error', `${c.name} is numeric: compare it with a number, not "${literalText(l)}"`, l, {}, Codes.typeMismatch);
      } else if (c.kind === 'text' && isNum) {
        this.report('warning', `${c.name} is text: the number ${literalText(l)} is compared as the text "${literalText(l)}"`, l, {}, Codes.typeMismatch);
      }
    }
  }

  private checkAnalyses(): void {
    for (const a of this.info.analyses) {
      for (const s of a.statements) {
        if (isPairedStmt(s) || isCorrelateStmt(s)) {
          for (const lr of AstUtils.streamAllContents(s).filter(isLevelRef)) this.checkLevel(lr.column, lr.level);
        }
        if (isPairedStmt(s)) {
          this.requireNumeric(s.left?.variable, 'variable');
          if (s.right) this.requireNumeric(s.right.variable, 'variable');
        }
        if (isCorrelateStmt(s)) {
          for (const e of [s.x, s.y]) {
            if (!e) continue;
            this.requireNumeric(e.left?.variable, 'variable');
            if (e.right) this.requireNumeric(e.right.variable, 'variable');
          }
        }
        for (const v of AstUtils.streamAllContents(s).filter(isSubjectValue)) {
          if (!v.at) this.checkPerSubject(v.variable);
        }
      }
    }
  }

  /** A value without `at` must be constant within each subject (age, sex), or the analysis has to pick a row. */
  private checkPerSubject(ref: ColumnRef | undefined): void {
    const subject = this.info.subject?.column?.column;
    const c = this.col(ref);
    if (!ref || !c || !subject || !this.data || !this.columns.has(subject)) return;
    const first = new Map<string, Value>();
    for (const row of this.data.rows) {
      const s = row[subject];
      const v = row[c.name];
      if (s === null || v === null) continue;
      const key = String(s);
      if (!first.has(key)) first.set(key, v);
      else if (first.get(key) !== v) {
        this.report('warning', `${c.name} changes within ${subject} ${key}: say which value to use (${c.name} at <column> <level>)`, ref, { property: 'column' }, Codes.notPerSubject);
        return;
      }
    }
  }

  /** Derived (`let`) variables have no meaning as subject, repeated effect, factor or level column. */
  private checkDerivedPositions(): void {
    const refs: ColumnRef[] = [];
    if (this.info.subject?.column) refs.push(this.info.subject.column);
    for (const l of this.info.lets) if (l.by) refs.push(l.by);
    for (const n of AstUtils.streamAllContents(this.root)) {
      if (isRepeatedStmt(n) && n.effect) refs.push(n.effect);
      else if (isFactorStmt(n)) refs.push(...n.columns);
      else if (isRandomStmt(n) && n.subject) refs.push(n.subject);
      else if ((isCovStmt(n) || isSelectCovStmt(n)) && n.group) refs.push(n.group);
      else if (isLevelRef(n) && n.column) refs.push(n.column);
    }
    for (const r of refs) {
      if (r.column && this.isLet(r.column)) {
        this.report('error', `'${r.column}' is a derived variable: a data column is needed here`, r, { property: 'column' }, Codes.derivedNotAllowed);
      }
    }
  }

  private checkBlockDuplicates(block: ModelBlock | SensitivityBlock): void {
    const single = ['OutcomeStmt', 'RepeatedStmt', 'FixedStmt', 'MethodStmt', 'DfStmt', 'AlphaStmt', 'ConvergeStmt'];
    const seen = new Set<string>();
    let covSeen = false;
    for (const s of block.statements) {
      const t = s.$type === 'SelectCovStmt' ? 'CovStmt' : s.$type;
      if (t === 'CovStmt') {
        if (covSeen) {
          this.report('error', `a model has one covariance structure: \`cov\` or \`select cov\`, once`, s, { keyword: KEYWORD_OF[s.$type] }, Codes.conflictingCov);
        }
        covSeen = true;
        continue;
      }
      if (!single.includes(t)) continue;
      if (seen.has(t)) this.report('error', `a model has one '${KEYWORD_OF[t]}' statement`, s, { keyword: KEYWORD_OF[t] }, Codes.duplicateStatement);
      seen.add(t);
    }
  }

  private checkDrops(s: SensitivityBlock): void {
    const base = s.base?.ref;
    if (!base) return;
    const m = effectiveModel(base);
    for (const st of s.statements) {
      if (!isDropStmt(st)) continue;
      const have = new Set((st.kind === 'covariate' ? m.covariates : m.factors).map((c) => c.column));
      for (const c of st.columns) {
        if (c.column && !have.has(c.column)) {
          this.report('warning', `${c.column} is not a ${st.kind} of ${base.name}: nothing to drop`, c, { property: 'column' }, Codes.notInModel);
        }
      }
    }
  }

  private classesOf(m: EffectiveModel): Set<string> {
    const classes = new Set<string>();
    if (m.repeated) classes.add(m.repeated.effect.column);
    for (const f of m.factors) classes.add(f.column);
    const declaredCov = new Set(m.covariates.map((c) => c.column));
    for (const t of fixedTerms(m)) for (const v of t) if (!declaredCov.has(v) && this.columns.get(v)?.kind === 'text' && !this.isLet(v)) classes.add(v);
    return classes;
  }

  private checkModel(m: EffectiveModel): void {
    const block = m.sensitivity ?? m.model;
    const subject = this.info.subject?.column?.column;
    if (!m.outcome) {
      this.report('error', `model '${m.name}' has no outcome: add \`outcome <variable>\``, block, block.name ? { property: 'name' } : { keyword: KEYWORD_OF[block.$type] }, Codes.noOutcome);
    }
    // covariance structures (validation/covariance-checks.ts) and alpha
    this.safe(() => checkCovarianceStructures(this, m));
    this.safe(() => checkAlpha(this, m));
    if (!subject) {
      const needs = m.cov ?? m.select ?? m.randoms.find((r) => r.subjectOnly);
      if (needs) {
        const kw = needs.$type === 'RandomStmt' ? 'subject' : KEYWORD_OF[needs.$type];
        this.report('error', 'no subject: add `subject <column>` to say whose observations are correlated', needs, { keyword: kw }, Codes.noSubject);
      }
    }
    // a Kenward-Roger variant only means something for Kenward-Roger; KR itself needs REML
    if (m.df?.variant && m.df.method !== 'kenward-roger') {
      this.report('error', `'${m.df.variant}' is a Kenward-Roger variant: use \`df kenward-roger ${m.df.variant}\``, m.df, { property: 'variant' }, Codes.dfVariant);
    }
    if (m.df?.method === 'kenward-roger' && m.method?.method === 'ML') {
      this.report('error', 'Kenward-Roger df need a REML fit (as in SAS and pbkrtest): remove `method ML` or choose another df method', m.df, { property: 'method' }, Codes.dfVariant);
    }
    this.checkPredict(m);
    // between-within splits df by subject: not defined here when a random effect spans several R-side subjects
    if (m.df?.method === 'between-within' && subject && hasRSide(m)) {
      const spanning = m.randoms.find((r) => !r.subjectOnly && r.effects.length > 0 && r.subject?.column !== subject);
      if (spanning) {
        this.report('error', `df between-within is not available when a random effect spans several ${subject} subjects (${spanning.subject ? `random … by ${spanning.subject.column}` : 'a random effect without `by`'}): use containment (the default with random effects), satterthwaite or kenward-roger`, m.df, { property: 'method' }, Codes.dfNotAvailable);
      }
    }
    // random intercept with an R-side structure that already contains the between-subject variance
    this.checkRandomIntercept(m, subject);
    if (!this.data) return;
    this.checkModelData(m, subject);
    this.safe(() => checkModelRows(this, m));
  }

  /** `predict random effects` needs G-side effects, and df whose meaning for the EBLUP t tests is known (SAS: containment, residual). */
  private checkPredict(m: EffectiveModel): void {
    const p = m.predict;
    if (!p) return;
    let problem: string | undefined;
    if (!hasGSide(m)) {
      problem = '`predict random effects` needs a G-side random effect (`random intercept by patient`, `random intercept, week by patient type UN`); an R-side structure alone has no random effects to predict';
    } else {
      const method = m.df?.method ?? 'containment';
      if (method !== 'containment' && method !== 'residual') {
        problem = `\`predict random effects\` is computed with df containment (the default with random effects) or residual, as SAS documents them; its t tests under df ${method} are not implemented`;
      }
    }
    if (!problem) return;
    if (!m.sensitivity) {
      this.report('error', problem, p, { keyword: 'predict' }, Codes.predictRandom);
      return;
    }
    // a sensitivity variant inherits the statement: when the base model has the same problem it is reported there
    const base = effectiveModel(m.model);
    if (hasGSide(base) === hasGSide(m) && base.df?.method === m.df?.method) return;
    const s = m.sensitivity;
    this.report('error', `in this variant of '${m.model.name}': ${problem}`, s, s.name ? { property: 'name' } : { keyword: 'sensitivity' }, Codes.predictRandom);
  }

  private checkRandomIntercept(m: EffectiveModel, subject: string | undefined): void {
    const confounded = ['UN', 'CS'];
    let how: string | undefined;
    if (m.cov && confounded.includes(m.cov.type?.name)) {
      how =
        m.cov.type.name === 'UN'
          ? 'an unstructured R-side covariance (cov UN): UN already contains the between-subject variance'
          : 'a compound-symmetric R-side covariance (cov CS): the random-intercept variance and the CS covariance are the same parameter';
    } else if (m.select) {
      const bad = m.select.candidates.map((c) => c.name).filter((n) => confounded.includes(n));
      if (bad.length) how = `the ${bad.join(' and ')} candidate${bad.length > 1 ? 's' : ''} of \`select cov\`: ${bad.length > 1 ? 'they already contain' : 'it already contains'} the between-subject variance`;
    }
    if (!how) return;
    for (const r of m.randoms) {
      if (r.subjectOnly) continue;
      if (r.subject && subject && r.subject.column !== subject) continue;
      for (const e of r.effects) {
        if (!e.intercept) continue;
        this.report('warning', `a random intercept${r.subject ? ` by ${r.subject.column}` : ''} is not identifiable together with ${how}`, e, { property: 'intercept' }, Codes.unidentifiable);
      }
    }
  }

  private checkModelData(m: EffectiveModel, subject: string | undefined): void {
    if (!this.data) return;

    if (m.outcome) this.requireNumeric(m.outcome.outcome, 'outcome');
    for (const c of m.covariates) {
      const col = this.col(c);
      if (col && col.kind !== 'numeric') {
        this.report('error', `covariate '${c.column}' is not numeric (values ${listLevels(col)}): declare it with \`factor ${c.column}\``, c, { property: 'column' }, Codes.covariateNotNumeric);
      }
    }
    if (m.repeated) {
      const r = m.repeated;
      const col = this.col(r.effect);
      if (!r.effect) return;
      if (col) {
        if (r.range && col.kind !== 'numeric') {
          this.report('error', `a level range needs a numeric column; ${col.name} is text: list the levels (${col.name} "a", "b")`, r, { keyword: '..' }, Codes.rangeNotNumeric);
        } else {
          for (const l of [r.from, r.to, ...r.levels]) if (l) this.checkLevel(r.effect, l);
        }
      }
    }
    this.checkDuplicates(m, subject);
    this.safe(() => checkCovarianceData(this, m, subject));

    // consistency of test/estimate/compare is only meaningful once every variable of the model is known
    if (this.hasUnknownVariables(m)) return;
    const fixed = fixedTerms(m);
    const fixedKeys = new Set(fixed.map(termKey));
    const classes = this.classesOf(m);
    const fixedText = fixed.length ? fixed.map(termText).join(' + ') : 'intercept only';
    for (const t of m.tests) {
      for (const e of t.effects) {
        const term = effectTerm(e);
        if (!fixedKeys.has(termKey(term))) {
          this.report('error', `${termText(term)} is not a fixed effect of ${m.name} (fixed: ${fixedText})`, e, {}, Codes.notInModel);
          continue;
        }
        if (term.length === 1 && classes.has(term[0])) this.checkTestedAtZero(m, term[0], e, fixed, classes);
      }
    }
    for (const e of m.estimates) {
      if (!e.covariate?.column || !e.factor?.column) continue;
      const cov = e.covariate.column;
      if (classes.has(cov) || !fixed.some((t) => t.includes(cov))) {
        this.report('error', `${cov} is not a covariate of ${m.name}`, e.covariate, { property: 'column' }, Codes.notInModel);
      }
      if (!classes.has(e.factor.column)) {
        this.report('error', `${e.factor.column} is not a class factor of ${m.name}`, e.factor, { property: 'column' }, Codes.notInModel);
      }
    }
    for (const c of m.compares) {
      if (!c.effect) continue;
      const term = compareTerm(c);
      const nonClass = term.find((v) => !classes.has(v));
      const slice = c.slice?.column;
      if (nonClass) {
        const where = slice === nonClass ? { node: c.slice!, property: 'column' as const } : { node: c.effect, property: undefined };
        this.report('error', `compare needs class effects; ${nonClass} is not a class factor of ${m.name}`, where.node, where.property ? { property: where.property } : {}, Codes.notInModel);
      } else if (!fixedKeys.has(termKey(term))) {
        this.report('error', slice
          ? `compare … at each ${slice} needs ${termText(term)} in the model: its LS-means are those of ${termText(term)} (fixed: ${fixedText})`
          : `${termText(term)} is not a fixed effect of ${m.name} (fixed: ${fixedText})`, c.effect, {}, Codes.notInModel);
      }
      for (const a of c.at) {
        const cov = a.column?.column;
        if (!cov) continue;
        if (classes.has(cov) || !fixed.some((t) => t.includes(cov))) {
          this.report('error', `at: ${cov} is not a covariate of ${m.name}`, a.column, { property: 'column' }, Codes.notInModel);
        } else if (a.value?.number === undefined) {
          this.report('error', `at: ${cov} needs a number`, a, { property: 'value' }, Codes.typeMismatch);
        }
      }
    }
  }

  private hasUnknownVariables(m: EffectiveModel): boolean {
    const refs: ColumnRef[] = [...m.covariates, ...m.factors];
    if (m.outcome) refs.push(m.outcome.outcome);
    if (m.repeated) refs.push(m.repeated.effect);
    if (m.fixed) refs.push(...m.fixed.terms.flatMap((t) => t.factors));
    for (const r of m.randoms) for (const e of r.effects) if (e.effect) refs.push(...e.effect.variables);
    return refs.some((r) => !r?.column || (!this.columns.has(r.column) && !this.isLet(r.column)));
  }

  private checkTestedAtZero(m: EffectiveModel, factor: string, node: AstNode, fixed: string[][], classes: Set<string>): void {
    // a variant's inherited `test` statement: the note is the base model's, made there (its mean may differ a little)
    if (m.sensitivity && !AstUtils.getContainerOfType(node, (n): n is AstNode => n === m.sensitivity)) return;
    const partners = new Set<string>();
    for (const t of fixed) if (t.length > 1 && t.includes(factor)) for (const v of t) if (v !== factor && !classes.has(v)) partners.add(v);
    for (const cov of partners) {
      if (this.isLet(cov) || !this.data) continue;
      // the mean over the rows the model is fitted on (its filters, repeated levels, complete cases)
      const values = modelValues(this.root, this.data, m, cov) ?? [];
      if (values.length < 2) continue;
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
      if (Math.abs(mean) <= 0.1 * sd) continue;
      this.report(
        'info',
        `${factor} is tested at ${cov} = 0 (the mean ${cov} is ${fmtNumber(mean)}): with ${factor}*${cov} in the model, the ${factor} test compares ${factor} levels where ${cov} is 0. To test ${factor} at the mean ${cov}, centre it: \`let ${cov}_c = ${cov} centred at ${fmtNumber(mean)}\` and use ${cov}_c`,
        node,
        {},
        Codes.testedAtZero,
      );
    }
  }

  /** The filters of a model that can be evaluated on the raw data (not those on derived variables), as the engine evaluates them. */
  private evaluableFilters(m: EffectiveModel): RowFilter[] {
    return [...this.info.filters, ...m.filters]
      .filter((f) => AstUtils.streamAllContents(f).filter(isColumnRef).every((r) => this.columns.has(r.column) && !this.isLet(r.column)))
      .flatMap((f) => {
        try {
          return [rowFilter(f)];
        } catch {
          return [];
        }
      });
  }

  modelRows(m: EffectiveModel): Record<string, Value>[] {
    if (!this.data) return [];
    let rows = applyFilters(this.data.rows, this.evaluableFilters(m));
    const rep = m.repeated?.effect?.column;
    const levels = m.repeated && rep && this.columns.has(rep) ? repeatedLevels(m.repeated, this.data) : undefined;
    if (levels && rep) {
      const keep = new Set(levels.map(String));
      rows = rows.filter((r) => r[rep] !== null && keep.has(String(r[rep])));
    }
    return rows;
  }

  private checkDuplicates(m: EffectiveModel, subject: string | undefined): void {
    if (!m.repeated || !subject || !this.data) return;
    const rep = m.repeated.effect?.column;
    if (!rep || !this.columns.has(rep) || !this.columns.has(subject)) return;
    const filters = this.evaluableFilters(m);
    const levels = repeatedLevels(m.repeated, this.data);
    const levelSet = levels ? new Set(levels.map(String)) : undefined;
    // per subject, the levels seen: a bit each for the first 30 levels of the column, then a set
    // (one key per subject, not per row: a 200,000-subject file has 1.2 million rows)
    const levelBit = new Map<Value, number>();
    const seen = new Map<Value, number>();
    const more = new Set<string>();
    // over the data's columns (engine table.ts): no row objects
    const table = tableOf(this.data);
    const subjectColumn = table.columns.get(subject);
    const repColumn = table.columns.get(rep);
    // a text subject column: the levels seen per subject by its code
    const seenByCode = subjectColumn?.kind === 'text' ? new Int32Array(subjectColumn.levels.length) : undefined;
    for (let i = 0; i < table.length; i++) {
      const s = valueAt(subjectColumn, i);
      const l = valueAt(repColumn, i);
      if (s === null || l === null || s === undefined || l === undefined) continue;
      let bit = levelBit.get(l);
      if (bit === undefined) {
        bit = levelSet && !levelSet.has(String(l)) ? -1 : levelBit.size < 30 ? 1 << levelBit.size : 0;
        levelBit.set(l, bit);
      }
      if (bit === -1) continue;
      if (filters.length && !rowPasses(table, i, filters)) continue;
      let duplicate: boolean;
      if (bit !== 0 && seenByCode) {
        const k = (subjectColumn as { codes: Int32Array }).codes[i]!;
        const mask = seenByCode[k]!;
        duplicate = (mask & bit) !== 0;
        seenByCode[k] = mask | bit;
      } else if (bit !== 0) {
        const mask = seen.get(s) ?? 0;
        duplicate = (mask & bit) !== 0;
        seen.set(s, mask | bit);
      } else {
        const key = `${s}\u0000${l}`;
        duplicate = more.has(key);
        more.add(key);
      }
      if (duplicate) {
        this.report('error', `${subject} ${s} has more than one row at ${rep} ${l}: each ${subject} can have one observation per ${rep}`, m.repeated.effect, { property: 'column' }, Codes.duplicateObservation);
        return;
      }
    }
  }
}

