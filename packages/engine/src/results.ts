/**
 * What the engine reports. Field names follow the `expected` block of the conformance SCHEMA.md, so
 * `study run --json` can be compared mechanically with any reference case (docs/report-json.md).
 * Numbers that could not be computed are `null` with a note, never NaN.
 */
import type { CovarianceType, DfMethod, EstimationMethod } from './model-spec.js';
import type { Figure } from './figure-types.js';

export interface CovParmRow {
  /** SAS row name: "UN(2,1)", "CS", "AR(1)", "Residual", "Intercept" (G-side, with subject) ... */
  name: string;
  subject?: string;
  /** SAS's Group column with GROUP=: "ARMCD PBO" */
  group?: string;
  estimate: number;
  se: number | null;
  z?: number | null;
  p?: number | null;
  /**
   * SAS's CL option: Satterthwaite chi-square limits (nu = 2 Z^2) for parameters bounded below by 0
   * (variances, spatial ranges), Wald limits for the others; null when the SE is not available
   */
  lower?: number | null;
  upper?: number | null;
}

export interface FixedRow {
  /** SAS label: "Intercept", "time 2", "age*time 2" */
  term: string;
  estimate: number;
  /** null for aliased (GLM last-level) columns, printed by SAS as 0 with missing SE */
  se: number | null;
  df: number | null;
  t: number | null;
  p: number | null;
  lower?: number | null;
  upper?: number | null;
  aliased?: boolean;
}

/** One row of SAS's "Solution for Random Effects" (RANDOM … / SOLUTION): an EBLUP and its prediction SE. */
export interface RandomSolutionRow {
  /** the random effect as SAS names it: "Intercept", "Month", "A*Block" */
  effect: string;
  /** SUBJECT= variable and level: "Batch 1" (absent without SUBJECT=) */
  subject?: string;
  /** class levels of the random effect (A*Block: { A: "1", Block: "2" }) */
  levels?: Record<string, string>;
  estimate: number;
  /** SAS's "Std Err Pred": sqrt of the prediction error variance */
  se: number;
  df: number;
  /** null when the prediction SE is 0 (a variance estimated as 0) */
  t: number | null;
  p: number | null;
}

export interface Type3Row {
  effect: string;
  /** 0 when the effect is fully aliased (confounded with other effects): SAS prints 0 and no test */
  numdf: number;
  dendf: number | null;
  F: number | null;
  p: number | null;
  /** SAS's CHISQ option: the Wald chi-square numdf x F (before any Kenward-Roger scaling) and its p */
  chisq?: number;
  p_chisq?: number;
}

export interface LsMeanRow {
  effect: string;
  level: string;
  estimate: number;
  se: number;
  df: number;
  t: number;
  p: number;
  lower?: number;
  upper?: number;
  /** covariate values the LS-mean is computed at (SAS: their means over the rows used) */
  at?: Record<string, number>;
}

export interface DiffRow {
  effect: string;
  level: string;
  vs: string;
  estimate: number;
  se: number;
  df: number;
  t: number;
  p: number;
  adjust?: string;
  p_adj?: number;
  /** 95% confidence limits of the difference (unadjusted, as SAS's CL option) */
  lower?: number;
  upper?: number;
  /** covariate values the LS-means are compared at */
  at?: Record<string, number>;
  /** with a slice (`compare sex at each visit`): the level of the slice variable both LS-means share */
  by?: Record<string, string>;
}

/** SAS's Tests of Effect Slices (LSMEANS a*b / SLICE=b): equal LS-means of `effect` within one level of the slice */
export interface SliceTestRow {
  effect: string;
  /** the slice variable and its level */
  by: Record<string, string>;
  /** the slice level, as SAS prints it */
  level: string;
  numdf: number;
  dendf: number;
  F: number;
  p: number;
}

export interface EstimateRow {
  label: string;
  /** the contrast, as SAS's ESTIMATE statement would write it */
  L: string;
  estimate: number;
  se: number;
  df: number;
  t: number;
  p: number;
  lower: number;
  upper: number;
}

export interface CandidateRow {
  structure: string;
  q: number;
  minus2ll: number;
  aic: number;
  aicc: number;
  bic: number;
  converged: boolean;
  chosen: boolean;
}

/** One structure of a fallback chain (`cov UN else TOEPH else CS`), in the order tried. */
export interface FallbackRow {
  structure: string;
  converged: boolean;
  /** the structure the model is reported with */
  used: boolean;
  /** why it was abandoned */
  reason?: string;
}

export interface IterationRow {
  iteration: number;
  evaluations: number;
  minus2ll: number;
  criterion: number | null;
}

export interface Dimensions {
  covparms: number;
  columnsX: number;
  rank_x: number;
  columnsZ: number;
  subjects: number;
  maxObsPerSubject: number;
  observations_read: number;
  observations_used: number;
}

export interface ModelInfo {
  response: string;
  covarianceStructure: string;
  subjectEffect?: string;
  estimationMethod: EstimationMethod;
  dfMethod: DfMethod;
  /** the confidence limits' alpha (SAS ALPHA=), when not 0.05 */
  alpha?: number;
  classLevels: { name: string; levels: string[] }[];
}

/** A fit note: what SAS prints as NOTE/WARNING (non-convergence, boundary, non-PD Hessian). */
export interface FitNote {
  severity: 'info' | 'warning' | 'error';
  message: string;
}

export interface ModelReport {
  name: string;
  info: ModelInfo;
  dimensions: Dimensions;
  iterations: IterationRow[];
  /** Newton steps after SAS's convergence criterion was met, to the optimum (SAS stops before them) */
  refinement?: IterationRow[];
  converged: boolean;
  minus2ll: number;
  aic: number;
  aicc: number;
  bic: number;
  /** with SAS's IC option: Hannan-Quinn and consistent AIC (same d and n as BIC) */
  hqic: number;
  caic: number;
  covparms: CovParmRow[];
  fixed: FixedRow[];
  type3: Type3Row[];
  /** with `predict random effects`: the EBLUPs (SAS RANDOM … / SOLUTION) */
  randomSolution?: RandomSolutionRow[];
  lsmeans: LsMeanRow[];
  diffs: DiffRow[];
  /** with `compare a at each b`: SAS's Tests of Effect Slices */
  slices?: SliceTestRow[];
  estimates: EstimateRow[];
  candidates: CandidateRow[];
  chosen_structure?: CovarianceType;
  /** with a fallback chain: each structure tried, and why it was abandoned */
  fallbacks?: FallbackRow[];
  notes: FitNote[];
}

export interface AnalysisRow {
  analysis: string;
  test: string;
  statistic: number;
  df: number;
  p: number;
  estimate?: number;
  t?: number;
  n: number;
  lower?: number;
  upper?: number;
}

export interface StudyReport {
  title?: string;
  dataPath: string;
  models: ModelReport[];
  other: AnalysisRow[];
  /** the numbers behind the figures (docs/report-json.md); absent when none apply */
  figures?: Figure[];
}
