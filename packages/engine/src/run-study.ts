/**
 * The interpreter: runs a StudyPlan on its data, model by model and analysis by analysis, through the
 * engine's pipeline (prepare -> design -> fit or covariance selection -> inference -> report).
 * A model that cannot be fitted is reported as failed with the reason; the other models still run.
 */
import { resolve } from 'node:path';
import { readDataFile, tableOf, type Dataset } from './data.js';
import { rowsOfTable, type DataTable } from './table.js';
import { buildDesign } from './design.js';
import { choiceLabel, fitModel, resolveChoice, selectCovariance, structureLabel, type FitOptions, type FitResult } from './fit/index.js';
import { aliasingRelations, approximateInference, denominatorDf, fixedEffectsInference, randomEffectsSolution } from './inference/index.js';
import { pairedTTest, pearsonCorrelation } from './analyses.js';
import { applyFilters, deriveTable, describeSubjectExpr, describeSubjectValue, filterRowsOrTable, filterTable, subjectValues, type Row } from './prepare.js';
import type { CandidateRow, DescriptiveTable, FallbackRow, FitNote, ModelReport, AnalysisRow, StudyReport } from './results.js';
import type { PlannedAnalysis, PlannedModel, StudyPlan } from './plan.js';
import type { Design } from './design-types.js';
import type { Figure } from './figure-types.js';
import { analysisFigures, describeFigures, modelFigures } from './figures.js';
import { describeRows } from './describe.js';
import { forestFigure, sensitivitySummaries } from './sensitivity.js';
import { chiSquareQuantile, chiSquareUpper, normalCdfBoth, normalQuantile } from './distributions/central.js';
import { boundedBelowByZero } from './covariance/structure.js';

export interface ModelFailure {
  /** a model that could not be fitted, or an analysis or a `describe` block that could not be computed */
  kind: 'model' | 'analysis' | 'describe';
  name: string;
  message: string;
}

export interface StudyRun {
  report: StudyReport;
  failures: ModelFailure[];
}

/** Wald Z for covariance parameters, as COVTEST prints it: one-sided for variances, two-sided otherwise. */
function waldZ(estimate: number, se: number | null, isVariance: boolean): { z: number | null; p: number | null } {
  if (se === null || !(se > 0)) return { z: null, p: null };
  const z = estimate / se;
  const { upper } = normalCdfBoth(Math.abs(z));
  return { z, p: isVariance ? normalCdfBoth(z).upper : 2 * upper };
}

/**
 * PROC MIXED's CL option: for a parameter bounded below by 0, Satterthwaite limits
 * nu*est/chi2(1-alpha/2, nu) .. nu*est/chi2(alpha/2, nu) with nu = 2 Z^2; otherwise Wald limits
 * est -/+ z(1-alpha/2) SE.
 */
export function covarianceParameterLimits(estimate: number, se: number | null, boundedBelow: boolean, alpha: number): { lower: number | null; upper: number | null } {
  if (se === null || !(se > 0)) return { lower: null, upper: null };
  if (!boundedBelow) {
    const z = normalQuantile(1 - alpha / 2);
    return { lower: estimate - z * se, upper: estimate + z * se };
  }
  const nu = 2 * (estimate / se) ** 2;
  const lower = (nu * estimate) / chiSquareQuantile(1 - alpha / 2, nu);
  const upper = (nu * estimate) / chiSquareQuantile(alpha / 2, nu);
  return { lower: Number.isFinite(lower) ? lower : null, upper: Number.isFinite(upper) ? upper : null };
}

/** What a fit leaves for the figures: the rows given to the design, the design and the fit. */
export type FitObserver = (fitted: { rows: Row[]; design: Design; fit: FitResult }) => void;

/**
 * The structure a model is fitted with: its `select cov` candidates (the best converged one), its
 * fallback chain (`cov UN else TOEPH else CS`: the first that converges), or its one structure.
 */
function fitStructure(design: Design, spec: PlannedModel['spec'], fitOptions: FitOptions, notes: FitNote[]): { fit: FitResult; candidates: CandidateRow[]; fallbacks: FallbackRow[] } {
  const repeated = spec.repeated;
  if (repeated?.candidates && repeated.candidates.length > 0) {
    const selection = selectCovariance(design, spec, repeated.candidates, repeated.criterion ?? 'BIC', fitOptions);
    for (const f of selection.fits) {
      if (f !== selection.chosen) for (const n of f.notes) notes.push({ severity: n.severity === 'error' ? 'warning' : n.severity, message: `${structureLabel(f.structure)} candidate: ${n.message}` });
    }
    return { fit: selection.chosen, candidates: selection.table, fallbacks: [] };
  }
  if (repeated?.fallback && repeated.fallback.length > 0) {
    const chain = [resolveChoice(spec), ...repeated.fallback.map((c) => resolveChoice(spec, c))];
    const fallbacks: FallbackRow[] = [];
    let last: FitResult | undefined;
    let lastError: Error | undefined;
    for (const choice of chain) {
      const structure = choiceLabel(choice);
      try {
        const f = fitModel(design, spec, choice, fitOptions);
        last = f;
        fallbacks.push({ structure, converged: f.converged, used: false, ...(f.converged ? {} : { reason: `did not converge: ${f.failure ?? 'iteration limit'}` }) });
        if (f.converged) break;
      } catch (e) {
        lastError = e as Error;
        fallbacks.push({ structure, converged: false, used: false, reason: (e as Error).message });
      }
    }
    const fit = last?.converged ? last : undefined;
    if (fit) {
      fallbacks.find((r) => r.converged)!.used = true;
      const abandoned = fallbacks.filter((r) => !r.converged);
      if (abandoned.length > 0) {
        notes.push({
          severity: 'info',
          message: `covariance fallback: ${abandoned.map((r) => `${r.structure} abandoned (${r.reason})`).join('; ')}; ${choiceLabel(fit.choice)} used`,
        });
      }
      return { fit, candidates: [], fallbacks };
    }
    if (!last) throw new Error(`no structure of the fallback chain could be fitted (${fallbacks.map((r) => `${r.structure}: ${r.reason}`).join('; ')})${lastError ? '' : ''}`);
    return { fit: last, candidates: [], fallbacks };
  }
  return { fit: fitModel(design, spec, undefined, fitOptions), candidates: [], fallbacks: [] };
}

/** A model's report from its rows (as objects, or in columns: table.ts). */
export function runModel(rows: Row[] | DataTable, planned: PlannedModel, observationsRead = rows.length, observe?: FitObserver, fitOptions: FitOptions = {}): ModelReport {
  const spec = planned.spec;
  const used = filterRowsOrTable(rows, planned.filters);
  const design = buildDesign(used, spec, planned.repeatedLevels ? { repeatedLevels: planned.repeatedLevels.map(String) } : {});
  design.observationsRead = observationsRead;
  return reportModel(design, planned, observe ? (f) => observe({ ...f, rows: Array.isArray(used) ? used : rowsOfTable(used) }) : undefined, fitOptions);
}

/**
 * A model's report from its design: the fit, then the inference. The design comes from the rows in
 * this process (runModel) or from a data backend's sufficient statistics (backends/sql-statistics.ts).
 */
export function reportModel(design: Design, planned: PlannedModel, observe?: (fitted: { design: Design; fit: FitResult }) => void, fitOptions: FitOptions = {}): ModelReport {
  const spec = planned.spec;
  const observationsRead = design.observationsRead;
  const notes: FitNote[] = [];
  const { fit, candidates, fallbacks } = fitStructure(design, spec, fitOptions, notes);
  const repeated = spec.repeated;
  const zColumns = design.zColumns?.length ?? 0;
  const subjectEffect = spec.subject ?? spec.random.find((r) => r.subject)?.subject;
  const base = {
    name: spec.name,
    info: {
      response: spec.response,
      covarianceStructure: describeCovariance(spec, fit),
      ...(subjectEffect ? { subjectEffect } : {}),
      estimationMethod: spec.method,
      dfMethod: spec.ddfm,
      ...(spec.alpha !== undefined && spec.alpha !== 0.05 ? { alpha: spec.alpha } : {}),
      classLevels: [...design.classLevels].map(([name, levels]) => ({ name, levels })),
    },
    dimensions: {
      covparms: fit.q,
      columnsX: design.columns.length,
      rank_x: design.rankX,
      columnsZ: zColumns,
      subjects: fit.subjects,
      maxObsPerSubject: design.statistics?.maxObsPerSubject ?? design.subjects.reduce((m, s) => Math.max(m, s.rows.length), 0),
      observations_read: observationsRead,
      observations_used: design.n,
    },
    iterations: fit.iterations,
    ...(fit.refinement.length > 0 ? { refinement: fit.refinement } : {}),
    converged: fit.converged,
    minus2ll: fit.minus2ll,
    aic: fit.aic,
    aicc: fit.aicc,
    bic: fit.bic,
    hqic: fit.hqic,
    caic: fit.caic,
    candidates,
    ...(candidates.length > 0 ? { chosen_structure: fit.structure } : {}),
    ...(fallbacks.length > 0 ? { fallbacks } : {}),
  };
  if (!fit.converged) {
    // SAS: "WARNING: Did not converge." and no inference: the parameters of the last iteration only
    const covparms = fit.covParms.map((c) => ({ ...c, se: null, z: null, p: null, lower: null, upper: null }));
    const fitNotes = fit.notes.map((n) =>
      /Did not converge/.test(n.message)
        ? { severity: 'error' as const, message: `${n.message} No standard errors, tests, LS-means or estimates are reported: they would describe a point that is not the estimate.` }
        : n,
    );
    return { ...base, covparms, fixed: [], type3: [], lsmeans: [], diffs: [], estimates: [], notes: [...fitNotes, ...notes] };
  }
  // Satterthwaite / Kenward-Roger: df from the hypothesis; KR also replaces Cov(beta) by Phi_A and scales F
  const approx = approximateInference(design, fit, spec.ddfm, spec.kenwardRoger ? { kenwardRoger: spec.kenwardRoger } : {});
  const ddf = denominatorDf(
    design,
    {
      method: spec.ddfm,
      repeatedType: repeated ? fit.structure : undefined,
      hasRandom: spec.random.length > 0,
      hasSubjects: Boolean(spec.subject || spec.random.some((r) => r.subject)),
    },
    approx ? { approximate: approx.approximate } : {},
  );
  if (approx) for (const message of approx.notes) notes.push({ severity: 'info', message });
  const alpha = spec.alpha ?? 0.05;
  const inference = fixedEffectsInference(design, approx?.fit ?? fit, spec, ddf, { alpha, ...(approx?.fScale ? { fScale: approx.fScale } : {}) });
  const covparms = fit.covParms.map((c, k) => {
    const bounded = boundedBelowByZero(fit.covarianceModel.parameters[k].kind);
    return { ...c, ...waldZ(c.estimate, c.se, bounded), ...covarianceParameterLimits(c.estimate, c.se, bounded, alpha) };
  });
  const randomSolution = spec.randomSolution ? randomEffectsSolution(design, fit, spec.ddfm) : undefined;
  observe?.({ design, fit });
  return finiteOrNull({
    ...base,
    covparms,
    fixed: inference.fixed,
    type3: inference.type3,
    ...(randomSolution ? { randomSolution } : {}),
    lsmeans: inference.lsmeans,
    diffs: inference.diffs,
    ...(inference.slices.length > 0 ? { slices: inference.slices } : {}),
    estimates: inference.estimates,
    notes: [...fit.notes, ...aliasingNotes(design), ...notes, ...inference.notes],
  });
}

/**
 * SAS aliases a covariate that is a linear combination of earlier columns (Solution 0, no SE) and says
 * so only through "Columns in X" vs the rank; Study names it and what it depends on. (The last level of
 * a class effect is aliased by the GLM coding itself and is not named.)
 */
export function aliasingNotes(design: Design): FitNote[] {
  const relations = aliasingRelations(design);
  const aliased = design.columns.flatMap((c, j) => (c.aliased ? [j] : []));
  const notes: FitNote[] = [];
  aliased.forEach((j, r) => {
    const column = design.columns[j]!;
    const term = column.termIndex >= 0 ? design.terms[column.termIndex]! : [];
    if (term.length === 0 || term.some((v) => design.classLevels.has(v))) return;
    const row = relations.getRow(r);
    const parts = design.columns.flatMap((c, k) => (k !== j && Math.abs(row[k]!) > 1e-10 ? [`${fmtCoefficient(-row[k]!)} ${c.label}`] : []));
    notes.push({
      severity: 'warning',
      message:
        parts.length === 0
          ? `${column.label} is 0 on every row the model uses: its coefficient is set to 0 (aliased, no standard error)`
          : `${column.label} is aliased: on the rows the model uses ${column.label} = ${parts.join(' + ').replace(/\+ -/g, '- ')}, so its coefficient is set to 0 (no standard error), as SAS does; Columns in X ${design.columns.length}, rank ${design.rankX}`,
    });
  });
  return notes;
}

function fmtCoefficient(c: number): string {
  const r = Math.abs(c - Math.round(c)) < 1e-9 ? String(Math.round(c)) : c.toPrecision(6).replace(/\.?0+$/, '');
  return r;
}

/**
 * No NaN or infinity reaches the user: a number that could not be computed becomes null (shown as ".")
 * and the report says which.
 */
export function finiteOrNull(report: ModelReport): ModelReport {
  const bad: string[] = [];
  // the path to the value walked, as segments: written out (covparms[0].se) only for a value that is not finite
  const segments: (string | number)[] = [];
  const path = () => segments.reduce<string>((s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s ? `${s}.${seg}` : seg), '');
  const walk = (value: unknown): unknown => {
    if (typeof value === 'number') {
      if (Number.isFinite(value)) return value;
      bad.push(path());
      return null;
    }
    if (Array.isArray(value)) {
      const copy = new Array<unknown>(value.length);
      for (let i = 0; i < value.length; i++) {
        segments.push(i);
        copy[i] = walk(value[i]);
        segments.pop();
      }
      return copy;
    }
    if (value && typeof value === 'object') {
      const copy: Record<string, unknown> = {};
      for (const k of Object.keys(value)) {
        segments.push(k);
        copy[k] = walk((value as Record<string, unknown>)[k]);
        segments.pop();
      }
      return copy;
    }
    return value;
  };
  const out = walk(report) as ModelReport;
  if (bad.length > 0) {
    out.notes.push({ severity: 'warning', message: `${bad.length} value${bad.length > 1 ? 's' : ''} could not be computed and ${bad.length > 1 ? 'are' : 'is'} shown as missing: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', …' : ''}` });
  }
  return out;
}

function describeCovariance(spec: PlannedModel['spec'], fit: FitResult): string {
  const parts: string[] = [];
  if (spec.random.length > 0) parts.push(spec.random.map((r) => (r.type === 'UN' ? 'Unstructured G' : 'Variance Components')).join(', '));
  if (spec.repeated || spec.random.length === 0) parts.push(choiceLabel(fit.choice) + (spec.repeated?.group ? `, GROUP=${spec.repeated.group}` : ''));
  return parts.join(' + ');
}

export function runAnalysis(rows: Row[], subject: string | undefined, planned: PlannedAnalysis): AnalysisRow[] {
  if (!subject) throw new Error(`analysis ${planned.name}: per-subject analyses need a 'subject' column`);
  const used = applyFilters(rows, planned.filters);
  return planned.tests.map((t) => {
    if (t.kind === 'paired-t') {
      const a = subjectValues(used, subject, { kind: 'value', value: t.left });
      const b = subjectValues(used, subject, { kind: 'value', value: t.right });
      const label = `paired t: ${describeSubjectValue(t.left)} - ${describeSubjectValue(t.right)}`;
      return { ...pairedTTest(a.values, b.values, { label }), analysis: planned.name };
    }
    const x = subjectValues(used, subject, t.x);
    const y = subjectValues(used, subject, t.y);
    const label = `Pearson r: ${describeSubjectExpr(t.x)} with ${describeSubjectExpr(t.y)}`;
    return { ...pearsonCorrelation(x.values, y.values, { label }), analysis: planned.name };
  });
}

export interface RunPlanOptions {
  /**
   * compute the numbers behind the figures (default true): the results panel and the HTML report draw
   * them; a text or JSON report does not, and skipping them saves the per-observation work
   */
  figures?: boolean;
}

/** Runs a plan on already-read data. */
export function runPlanOnData(plan: StudyPlan, data: Dataset, options: RunPlanOptions = {}): StudyRun {
  const withFigures = options.figures !== false;
  // in columns from the data to the design (table.ts); as row objects only for what reads rows
  const data0 = tableOf(data);
  const derived = deriveTable(data0, plan.derived, plan.subject);
  const table = filterTable(derived.table, plan.filters);
  let materialised: Row[] | undefined;
  const rows = () => (materialised ??= rowsOfTable(table));
  const derivationNotes: FitNote[] = derived.issues.map((i) => ({
    severity: 'info',
    message: `${i.derived} is missing for subject ${i.subject}: ${i.message}`,
  }));
  const failures: ModelFailure[] = [];
  const models: ModelReport[] = [];
  const figures: Figure[] = [];
  // the cohort first, as a paper opens with its Table 1 (describe.ts)
  const descriptives: DescriptiveTable[] = [];
  for (const d of plan.describes ?? []) {
    try {
      const described = describeRows(rows(), plan.subject, d);
      descriptives.push(described);
      if (withFigures) figures.push(...describeFigures(described));
    } catch (e) {
      failures.push({ kind: 'describe', name: d.name, message: (e as Error).message });
    }
  }
  for (const planned of plan.models) {
    try {
      let fitted: Parameters<FitObserver>[0] | undefined;
      const report = runModel(table, planned, data0.length, withFigures ? (f) => (fitted = f) : undefined);
      const uses = (name: string) => planned.spec.response === name;
      report.notes.push(...derivationNotes.filter((_, k) => uses(derived.issues[k].derived)));
      if (planned.sensitivity) report.sensitivity = planned.sensitivity;
      models.push(report);
      if (fitted) {
        try {
          const subject = planned.spec.subject ?? planned.spec.random.find((r) => r.subject)?.subject;
          figures.push(...modelFigures({ ...fitted, report, factor: planned.spec.repeated?.effect, subject }));
        } catch (e) {
          report.notes.push({ severity: 'info', message: `figures not drawn: ${(e as Error).message}` });
        }
      }
    } catch (e) {
      failures.push({ kind: 'model', name: planned.spec.name, message: (e as Error).message });
    }
  }
  const other: AnalysisRow[] = [];
  for (const a of plan.analyses) {
    try {
      other.push(...runAnalysis(rows(), plan.subject, a));
    } catch (e) {
      failures.push({ kind: 'analysis', name: a.name, message: (e as Error).message });
      continue;
    }
    if (!withFigures) continue;
    try {
      figures.push(...analysisFigures(applyFilters(rows(), a.filters), plan.subject, a));
    } catch {
      // a figure that cannot be computed is left out; the analysis row above carries the result
    }
  }
  const report: StudyReport = { title: plan.title, dataPath: plan.dataPath, ...(descriptives.length > 0 ? { descriptives } : {}), models, other };
  // each model beside its sensitivity variants (sensitivity.ts), and their forest plot first among the figures
  const sensitivity = sensitivitySummaries(models);
  if (sensitivity.length > 0) {
    report.sensitivity = sensitivity;
    if (withFigures) figures.unshift(...sensitivity.flatMap((s) => forestFigure(s) ?? []));
  }
  if (figures.length > 0) report.figures = figures;
  return { report, failures };
}

/** Reads the plan's data file (relative to `baseDir`, the spec's folder) and runs the plan. */
export function runPlan(plan: StudyPlan, baseDir: string): StudyRun {
  return runPlanOnData(plan, readDataFile(resolve(baseDir, plan.dataPath)));
}
