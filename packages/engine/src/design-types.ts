/**
 * The contract between the design stage (data -> X, Z, subjects) and the stages after it
 * (likelihood/optimizer in `fit/`, tests and means in `inference/`).
 */
import type { Matrix } from 'ml-matrix';
import type { DesignMatrix } from './design-matrix.js';
import type { Term } from './model-spec.js';
import type { PatternData } from './fit/patterns.js';

/** One column of the full (GLM, over-parameterised) fixed-effects design matrix. */
export interface DesignColumn {
  /** index into Design.terms (-1 for the intercept when it is not listed as a term) */
  termIndex: number;
  /** the class levels that define this column: variable -> level (empty for intercept / pure covariates) */
  levels: Record<string, string>;
  /** SAS label: "Intercept", "time 2", "age*time 2" (effect name, then levels) */
  label: string;
  /** linearly dependent on earlier columns (SAS GLM coding sets it to zero and prints no SE) */
  aliased: boolean;
}

export interface SubjectBlock {
  /** subject identifier as in the data */
  id: string;
  /** indices into the used rows (Design.y / Design.X rows), in data order */
  rows: number[];
  /**
   * for each of `rows`, its position in the R matrix: the index of its repeated-effect level among
   * Design.repeatedLevels, or its order within the subject when there is no repeated effect. Read-only:
   * subjects with the same positions share one array.
   */
  positions: number[];
  /**
   * for each of `rows`, its R-side subject (REPEATED SUBJECT=) within the block, when the block holds
   * several: a RANDOM effect spans them (sites over patients; RANDOM without SUBJECT= and REPEATED
   * SUBJECT=). R entries between different R-subjects are 0. Undefined: the block is one R-subject.
   */
  rGroups?: number[];
  /** GROUP=: for each of `rows`, its group (index into Design.groupLevels) */
  groups?: number[];
}

/** One G-side random effect term of a RANDOM statement, and its columns in Design.Z. */
export interface RandomTermColumns {
  /** the effect (`[]` = intercept), as written in the RANDOM statement */
  term: Term;
  /** SAS name: "Intercept", "Block", "A*Block" */
  name: string;
  /** index of the RandomSpec (RANDOM statement) it came from */
  statement: number;
  subject?: string;
  /** columns of Design.Z that belong to this term, over all subjects */
  columns: number[];
}

/** One column of Design.Z: which term and subject level (group) it belongs to. */
export interface RandomColumn {
  /** index into Design.randomTerms */
  term: number;
  /** index of the RANDOM statement */
  statement: number;
  /** subject level the column belongs to ('' when the statement has no SUBJECT=) */
  group: string;
  /** class levels of the random effect for this column */
  levels: Record<string, string>;
  /**
   * position among the statement's columns of the same group (terms in order, then levels):
   * the row/column of this random effect in an unstructured G block
   */
  indexInGroup: number;
}

export interface Design {
  /** used observations (complete cases of response, fixed, random, subject and repeated variables) */
  n: number;
  y: Float64Array;
  /** full GLM design, one column per DesignColumn (aliased columns included) */
  X: DesignMatrix;
  columns: DesignColumn[];
  /** fixed-effects terms in model order, the intercept as [] first when present */
  terms: Term[];
  /** effect names as SAS prints them, aligned with terms ("Intercept", "time", "age*time") */
  termNames: string[];
  rankX: number;
  /** class variable -> its sorted levels (SAS default order: numeric order for numbers, else text) */
  classLevels: Map<string, string[]>;
  /** mean of each numeric covariate over the used rows (LS-means are computed there, as SAS does) */
  covariateMeans: Map<string, number>;
  /** the subjects, blocks of the R matrix; one block holding every row when there is no SUBJECT= */
  subjects: SubjectBlock[];
  /** levels of the repeated effect in R-matrix order; undefined when rows are placed by order */
  repeatedLevels?: string[];
  /**
   * G-side design over all RANDOM statements, one column per (term, level, subject), grouped by term;
   * undefined when the model has no RANDOM statement.
   */
  Z?: Matrix;
  randomTerms: RandomTermColumns[];
  /**
   * Sparse form of Z (what the fit uses: a dense Z has one column per subject and random term):
   * for used row i and random term t (index into randomTerms), its column is
   * zEntries.columns[i * randomTerms.length + t] and its value zEntries.values[same index].
   */
  zEntries?: { columns: Int32Array; values: Float64Array };
  /** one entry per column of Z */
  zColumns?: RandomColumn[];
  /** indices of the original data rows that were used, for residuals and reporting */
  sourceRows: Int32Array;
  observationsRead: number;
  /**
   * Subjects as SAS's Dimensions table counts them: every level of the subject variable among the
   * rows read, also subjects none of whose rows is used (an outcome missing at every visit). BIC
   * uses this count. Undefined without a subject.
   */
  subjectsRead?: number;
  /** GROUP= variable of the R-side structure, and its levels in SAS's order */
  group?: string;
  groupLevels?: string[];
  /** coordinate columns of spatial structures: the value on each used row */
  coordinateValues?: Record<string, Float64Array>;
  /**
   * Set by a data backend (backends/sql-statistics.ts: DuckDB, PostgreSQL) that computed the
   * per-pattern sufficient statistics where the data live: then `y`, `X` and `subjects` are empty
   * (no observation is in this process) and the fit and the inference take these sums instead.
   */
  statistics?: SufficientStatistics;
}

/** What a data backend hands the fit in place of the observations. */
export interface SufficientStatistics {
  /** where they were computed ("DuckDB", "PostgreSQL") */
  engine: string;
  /** one per missingness pattern, in tensor form over the non-aliased columns, in the user's units */
  patterns: PatternData[];
  /** X'X over every GLM column (P x P, row-major) */
  XtX: Float64Array;
  /** subjects with at least one used observation */
  subjects: number;
  /** with GROUP=: the subjects of each group (Design.groupLevels order) */
  subjectsPerGroup?: number[];
  maxObsPerSubject: number;
  /** per fixed effect (Design.terms): whether it varies within some subject; computed for DDFM=BETWITHIN */
  withinEffect?: boolean[];
  /**
   * the sums are of y - value (its mean, for the digits of sums of squares); `columns` (GLM columns, not
   * aliased) sum to 1 on every row, so the fit adds `value` to their coefficients
   */
  responseShift?: { value: number; columns: number[] };
}
