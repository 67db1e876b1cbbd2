/**
 * What to fit: the engine's input, independent of the Study language.
 *
 * The language package turns a `.study` file into these plain objects (see `StudyPlan`), and
 * conformance tests build them directly from a reference case's `model` block. Everything here is
 * data, so a plan can be serialised, cached and sent to a worker.
 */

/**
 * R-side (REPEATED) or G-side covariance structures, named after SAS's TYPE= values (SAS's spelling
 * in tables: `structureLabel`): AR1 = AR(1), ARH1 = ARH(1), ANTE1 = ANTE(1), SPPOW / SPEXP / SPGAU =
 * SP(POW) / SP(EXP) / SP(GAU), the spatial structures over `RepeatedSpec.coordinates`.
 */
export type CovarianceType =
  | 'VC'
  | 'CS'
  | 'AR1'
  | 'UN'
  | 'CSH'
  | 'ARH1'
  | 'TOEP'
  | 'TOEPH'
  | 'ANTE1'
  | 'SPPOW'
  | 'SPEXP'
  | 'SPGAU';

/** The spatial structures: correlation a function of the distance between two observations' coordinates. */
export const SPATIAL_TYPES: readonly CovarianceType[] = ['SPPOW', 'SPEXP', 'SPGAU'];

/** One candidate R-side structure with its options (a `select cov` candidate, a fallback). */
export interface CovarianceChoice {
  type: CovarianceType;
  /** TYPE=TOEP(q) */
  toeplitzBands?: number;
  /** spatial structures: the numeric coordinate columns (SAS TYPE=SP(EXP)(c1 c2)) */
  coordinates?: string[];
}

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
  /**
   * Spatial structures (SPPOW, SPEXP, SPGAU): numeric columns giving each observation's coordinates;
   * the correlation of two observations of a subject depends on their Euclidean distance
   * (SAS TYPE=SP(EXP)(VISITN) or SP(EXP)(VISITN VISITN2)). Required for those types, unused otherwise.
   */
  coordinates?: string[];
  /**
   * SAS GROUP=: one set of R-side covariance parameters per level of this class variable, which must
   * be constant within subject (one covariance matrix per arm). Applies to every candidate.
   */
  group?: string;
  /** `select cov CS, AR1, UN by BIC`: fit each, keep the smallest criterion. */
  candidates?: (CovarianceType | CovarianceChoice)[];
  /**
   * `cov UN else TOEPH else CS`: an analysis plan's fallback chain: `type` first, then these in order;
   * the first that converges is used, and the report says why each earlier one was abandoned.
   */
  fallback?: (CovarianceType | CovarianceChoice)[];
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
  /**
   * SAS CLASS var(REF='level'): the level that the GLM coding aliases (placed last in the class's
   * level order; the other levels keep SAS's sort order). Default: the last level in sort order.
   * The order also places the levels of the repeated effect in R, as in SAS.
   */
  classReference?: Record<string, string>;
  /**
   * A class variable's level order from the data instead of SAS's sort (ADaM: AVISIT by AVISITN,
   * level-order.ts); the reference level (`classReference`) still goes last. Also the R matrix's order.
   */
  classOrder?: Record<string, string[]>;
  /** Fixed-effects terms in order (excluding the intercept). */
  fixed: Term[];
  intercept: boolean;
  repeated?: RepeatedSpec;
  random: RandomSpec[];
  method: EstimationMethod;
  ddfm: DfMethod;
  /**
   * Kenward-Roger variant (with ddfm 'kenward-roger'): the information that estimates Cov(θ̂) —
   * 'expected' as pbkrtest/lmerTest (default) or 'observed' as SAS — and whether the second-derivative
   * term is dropped (SAS KR(FIRSTORDER) and KR(LINEAR): `firstOrder`). `variant` is how the spec names it
   * (`df kenward-roger firstorder | linear`), kept for the SAS export (DDFM=KR(FIRSTORDER) or KR(LINEAR));
   * the engine computes both the same way.
   */
  kenwardRoger?: { information?: 'expected' | 'observed'; firstOrder?: boolean; variant?: 'firstorder' | 'linear' };
  /** confidence level 1 - alpha of every confidence limit (SAS ALPHA=, default 0.05) */
  alpha?: number;
  /**
   * Where the iterations stop: 'optimum' (default) takes Newton steps past SAS's criterion until the
   * optimum; 'sas' stops at SAS's criterion (relative Hessian 1e-8), SAS's last iterate, whose digits
   * SAS prints (they can differ from the optimum's in the 4th significant digit for flat likelihoods).
   */
  convergence?: 'optimum' | 'sas';
  /** Effects whose Type 3 tests are reported; undefined = all fixed terms. */
  tests?: Term[];
  estimates: EstimateSpec[];
  lsmeans: LsMeansSpec[];
  /** `predict random effects`: report the EBLUPs of the G-side effects (SAS RANDOM … / SOLUTION) */
  randomSolution?: boolean;
}
