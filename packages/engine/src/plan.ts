/**
 * A whole analysis spec as data: where the data are, what is derived from them, which rows are used,
 * the models and the per-subject analyses. The language package builds a `StudyPlan` from a validated
 * `.study` document; the interpreter (`runPlan`) executes it with the engine.
 */
import type { ModelSpec, Value } from './model-spec.js';

export type ComparisonOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A row filter (`where` keeps rows where it holds, `exclude` drops them). */
export type RowExpr =
  | { kind: 'compare'; column: string; op: ComparisonOp; value: number | string }
  | { kind: 'in'; column: string; values: (number | string)[] }
  | { kind: 'missing'; column: string }
  | { kind: 'and' | 'or'; left: RowExpr; right: RowExpr }
  | { kind: 'not'; expr: RowExpr };

export interface RowFilter {
  mode: 'where' | 'exclude';
  expr: RowExpr;
}

/**
 * A derived column, computed before any filter.
 * `percent-change`: 100 * (y - y at baseline) / y at baseline; `change`: y - y at baseline, both per
 * subject: the baseline is the subject's row where `by` equals `baseline`; missing if absent, empty or
 * zero (percent change from 0 is undefined, and is reported, not silently dropped).
 * `centred`: y - centre on every row (a covariate centred at a stated value, e.g. age at 50).
 */
export type DerivedSpec =
  | { kind: 'percent-change' | 'change'; name: string; variable: string; by: string; baseline: number | string }
  | { kind: 'centred'; name: string; variable: string; centre: number };

/** One value per subject: `variable` on the subject's row where `at.column == at.level`. */
export interface SubjectValue {
  variable: string;
  at?: { column: string; level: number | string };
}

/** A per-subject quantity: a value, or the difference of two values. */
export type SubjectExpr =
  | { kind: 'value'; value: SubjectValue }
  | { kind: 'difference'; left: SubjectValue; right: SubjectValue };

export type AnalysisSpec =
  | { kind: 'paired-t'; label: string; left: SubjectValue; right: SubjectValue }
  | { kind: 'correlation'; label: string; x: SubjectExpr; y: SubjectExpr };

/** A model as planned: the engine's ModelSpec plus the rows it uses. */
export interface PlannedModel {
  spec: ModelSpec;
  /** filters applied, in order, to the (derived) data before fitting this model */
  filters: RowFilter[];
  /** the levels of the repeated effect that the model uses (`repeated visit 2..6`), if restricted */
  repeatedLevels?: (number | string)[];
  /**
   * `repeated visit 2..6` planned without the data (they are in a database): the levels are the values of
   * the data in the range, as the plan builder takes them from a file (a data backend filters and reads them)
   */
  repeatedRange?: { from: number; to: number };
  /** a `sensitivity` variant: the model it varies and what it changes (the block's statements) */
  sensitivity?: { of: string; description: string };
}

export interface PlannedAnalysis {
  name: string;
  filters: RowFilter[];
  tests: AnalysisSpec[];
}

/**
 * One variable of a `describe` block: `age` (its one value per subject), or `bdi at visit 1` (the
 * subject's value on its row at that level).
 */
export interface DescribeSpec {
  variable: string;
  at?: { column: string; level: number | string };
  /** n and % per level: numeric codes declared `factor` (text columns are categorical anyway) */
  categorical?: boolean;
}

/** A `describe` block: the descriptive statistics of the cohort (the paper's Table 1), engine describe.ts. */
export interface PlannedDescribe {
  name: string;
  /** the block's own filters, after the study's */
  filters: RowFilter[];
  variables: DescribeSpec[];
  /** group columns: one column of the table per combination of their levels, after the overall column */
  by: string[];
}

/**
 * Data in a database (`data duckdb "study.duckdb" table adlb`, `data duckdb "visits.parquet"`,
 * `data postgres env STUDY_PG table adlb`): the models are fitted from the sufficient statistics the
 * engine computes there (backends/sql-statistics.ts). A connection string is never in the plan: `env`
 * names the environment variable that holds it.
 */
export interface DataSource {
  engine: 'duckdb' | 'postgres';
  /** DuckDB: the database, Parquet or CSV file, as written (relative to the spec's folder) */
  file?: string;
  /** PostgreSQL: the environment variable holding the connection string */
  env?: string;
  /** the table (`schema.table` allowed); absent for a Parquet or CSV file read in place */
  table?: string;
}

export interface StudyPlan {
  title?: string;
  /** data file path, as written in the spec (resolved against the spec's folder by the caller); for a database, its file or '' */
  dataPath: string;
  /** the data are in a database (then dataPath is the DuckDB file, or '') */
  dataSource?: DataSource;
  subject?: string;
  derived: DerivedSpec[];
  /** study-level filters, applied before each model's own */
  filters: RowFilter[];
  models: PlannedModel[];
  analyses: PlannedAnalysis[];
  /** the `describe` blocks, in file order (absent when there are none) */
  describes?: PlannedDescribe[];
}

export type { Value };
