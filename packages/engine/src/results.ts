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
  /** a `sensitivity` variant: the model it varies and what the block changes */
  sensitivity?: { of: string; description: string };
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

/** One column of a descriptive table: the overall column, or one combination of the `by` columns' levels. */
export interface DescriptiveGroup {
  /** "Overall", or the levels as SAS labels them: "sex F", "sex F, arm A" */
  label: string;
  /** the `by` columns' levels of this column (absent for the overall column) */
  by?: Record<string, string>;
  /** how many units (subjects, subject-visits or rows: the table's `per`) the column describes */
  N: number;
}

/** One level of a categorical variable: its count and its share of the non-missing values (prop.table). */
export interface DescriptiveLevel {
  level: string;
  n: number;
  /** 100 · n / (non-missing values); null when the column has none */
  percent: number | null;
}

/**
 * One variable in one column of a descriptive table. Numeric: SAS PROC MEANS N NMISS MEAN STD STDERR
 * MEDIAN Q1 Q3 MIN MAX (quartiles by SAS's default definition, QNTLDEF=5 = R quantile type 2); categorical:
 * PROC FREQ counts and percentages of the non-missing values, missing counted apart.
 */
export interface DescriptiveRow {
  variable: string;
  /** `bdi at visit 1`: the level the value is taken at */
  at?: { column: string; level: string };
  /** as written: "age", "bdi at visit 1" */
  label: string;
  kind: 'numeric' | 'categorical';
  /** the column's label ("Overall", "sex F") and its levels */
  group: string;
  by?: Record<string, string>;
  /** units with a value, units without one */
  n: number;
  missing: number;
  mean?: number | null;
  /** sample standard deviation (n − 1), null for n < 2 */
  sd?: number | null;
  /** sd / √n */
  sem?: number | null;
  median?: number | null;
  q1?: number | null;
  q3?: number | null;
  min?: number | null;
  max?: number | null;
  /** categorical: every level of the variable (over all columns), in SAS's order */
  levels?: DescriptiveLevel[];
}

/** A `describe` block: the paper's Table 1 (or the means per visit of its Fig. 1A). */
export interface DescriptiveTable {
  name: string;
  /**
   * what one value is per: the subject (one value per subject), the subject and the `by` columns that
   * vary within subject (`by visit`: one value per subject and visit); empty without a subject (per row)
   */
  per: string[];
  by: string[];
  /** the overall column first, then one per combination of the `by` levels */
  groups: DescriptiveGroup[];
  /** variable by variable, each in every column */
  rows: DescriptiveRow[];
  notes: FitNote[];
}

/**
 * Where a report's numbers came from: the spec and data files (their SHA-256), the Study build and the
 * machine, and when. `study verify report.json` re-runs the spec and checks every number against it.
 */
export interface Provenance {
  spec: { file: string; sha256: string };
  /** each data file the spec read: as written in the spec, its absolute path, SHA-256 and the rows read */
  data: { file: string; path: string; sha256: string; rows: number }[];
  study: { version: string; commit: string };
  node: string;
  platform: string;
  /** ISO 8601, UTC */
  time: string;
}

/** One headline result of a model and of each of its sensitivity variants, side by side. */
export interface SensitivityCell {
  /** the model or variant */
  model: string;
  estimate: number | null;
  se: number | null;
  df: number | null;
  p: number | null;
  /** Type 3 rows: the F statistic and its numerator df (estimate is F) */
  numdf?: number;
  /** confidence limits of an estimate or a difference (1 - alpha; differences unadjusted) */
  lower?: number | null;
  upper?: number | null;
  /** the p-value is adjusted for multiplicity (a `compare … adjust` difference) */
  adjusted?: boolean;
  /** p < alpha differs from the base model's */
  changed?: boolean;
}

export interface SensitivityRow {
  /** 'type3' (the F test of an effect), 'estimate' (an `estimate` row), 'diff' (a `compare` difference) */
  kind: 'type3' | 'estimate' | 'diff';
  /** what the row is: "visit*age", "age slope at visit 2", "visit 2 - 3" */
  label: string;
  cells: SensitivityCell[];
  /** some variant's significance at alpha differs from the base model's */
  changed: boolean;
}

/** A model and its `sensitivity` variants: the headline results side by side (the first table of the report). */
export interface SensitivitySummary {
  base: string;
  /** the base model, then each variant in file order */
  models: { name: string; description?: string; alpha: number }[];
  rows: SensitivityRow[];
}

export interface StudyReport {
  title?: string;
  dataPath: string;
  /** where the numbers came from (spec and data SHA-256, Study version and commit, Node, platform, time) */
  provenance?: Provenance;
  /** each model with `sensitivity` variants: the headline results side by side */
  sensitivity?: SensitivitySummary[];
  /** the `describe` blocks (absent when there are none) */
  descriptives?: DescriptiveTable[];
  models: ModelReport[];
  other: AnalysisRow[];
  /** the numbers behind the figures (docs/report-json.md); absent when none apply */
  figures?: Figure[];
}
