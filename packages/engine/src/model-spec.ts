/**
 * What to fit: the engine's input, independent of the Study language.
 *
 * The language package turns a `.study` file into these plain objects (see `StudyPlan`), and
 * conformance tests build them directly from a reference case's `model` block. Everything here is
 * data, so a plan can be serialised, cached and sent to a worker.
 */

/** R-side (REPEATED) or G-side covariance structures, spelled as SAS's TYPE= values. */
export type CovarianceType = 'VC' | 'CS' | 'AR1' | 'UN' | 'CSH' | 'ARH1' | 'TOEP';

export type EstimationMethod = 'REML' | 'ML';

/** Denominator degrees of freedom methods (SAS DDFM=). */
export type DfMethod = 'residual' | 'between-within' | 'containment' | 'satterthwaite' | 'kenward-roger';

export type InformationCriterion = 'AIC' | 'AICC' | 'BIC';

export type Adjustment = 'none' | 'tukey' | 'bonferroni';

/**
 * A model term: the variables whose product (interaction) it is, in the order written.
 * `[]` is the intercept; `['visit']` a main effect; `['visit', 'age']` is visit*age.
 */
export type Term = string[];

/** One value in a data table: numbers for numeric columns, strings for text, null for missing. */
export type Value = number | string | null;

/** REPEATED: how the rows of one subject are placed in its R matrix, and its structure. */
export interface RepeatedSpec {
  /**
   * The class variable whose level places an observation in the R matrix (SAS REPEATED effect).
   * Missing visits leave holes, not shifts. Undefined: rows are placed in data order.
   */
  effect?: string;
  /** Structure used when no selection is asked for. */
  type: CovarianceType;
  /** TYPE=TOEP(q): a banded Toeplitz with q bands (lags 0..q-1; larger lags 0). Default: all lags. */
  toeplitzBands?: number;
  /** `select cov CS, AR1, UN by BIC`: fit each, keep the smallest criterion. */
  candidates?: CovarianceType[];
  criterion?: InformationCriterion;
}

/** RANDOM: G-side effects. `terms` are effects (`[]` = intercept), `subject` blocks them. */
export interface RandomSpec {
  terms: Term[];
  /** SAS SUBJECT=; undefined means one block for the whole data set. */
  subject?: string;
  /** G structure for this RANDOM statement: VC (independent variances) or UN. */
  type: 'VC' | 'UN';
}

/** ESTIMATE-like requests the language can express. */
export type EstimateSpec =
  /** the slope of a covariate at each level of a class factor (paper's Table 2) */
  | { kind: 'slope-at-levels'; covariate: string; factor: string; label?: string }
  /** an explicit linear combination: coefficients by fixed-effect column label (e.g. "age*time 2") */
  | { kind: 'contrast'; label: string; coefficients: Record<string, number> };

export interface LsMeansSpec {
  effect: string;
  /** all pairwise differences */
  pairwise: boolean;
  adjust: Adjustment;
  /** covariates held at these values instead of their means (SAS LSMEANS / AT x=value) */
  at?: Record<string, number>;
  /**
   * a class variable of `effect`: differences only between levels that share its level, adjusted
   * within each of its levels (SAS SLICE effect / SLICEBY=slice DIFF; emmeans pairs(~ a | slice))
   */
  slice?: string;
}

export interface ModelSpec {
  name: string;
  response: string;
  /** SAS SUBJECT= for the REPEATED statement (the unit whose observations correlate). */
  subject?: string;
  /** Variables treated as classification (CLASS statement). */
  classes: string[];
  /** Fixed-effects terms in order (excluding the intercept). */
  fixed: Term[];
  intercept: boolean;
  repeated?: RepeatedSpec;
  random: RandomSpec[];
  method: EstimationMethod;
  ddfm: DfMethod;
  /**
   * Kenward-Roger variant (with ddfm 'kenward-roger'): the information that estimates Cov(θ̂) —
   * 'expected' as pbkrtest/lmerTest (default) or 'observed' as SAS — and SAS's FIRSTORDER option.
   */
  kenwardRoger?: { information?: 'expected' | 'observed'; firstOrder?: boolean };
  /** Effects whose Type 3 tests are reported; undefined = all fixed terms. */
  tests?: Term[];
  estimates: EstimateSpec[];
  lsmeans: LsMeansSpec[];
  /** `predict random effects`: report the EBLUPs of the G-side effects (SAS RANDOM … / SOLUTION) */
  randomSolution?: boolean;
}
