/**
 * The numbers behind the paper's figures, computed by the engine (figures.ts) and drawn by the results
 * panel and the HTML report. Plain data, so the language server can send it to the editor as JSON.
 */

export interface MeanPoint {
  level: string;
  mean: number;
  /** standard error of the mean (sd / sqrt(n)) */
  sem: number;
  n: number;
}

/**
 * Fig. 1: observed mean outcome at each level of the repeated factor, with SEM bars, over the rows a model
 * used (`model`); Fig. 1A: the same numbers of a `describe` block by a within-subject column (`describe`).
 */
export interface ObservedMeansFigure {
  kind: 'observed-means';
  /** the model whose rows are described (absent for a `describe` block's figure) */
  model?: string;
  /** the `describe` block whose table the points are (absent for a model's figure) */
  describe?: string;
  /** the variable: the model's response, or the described variable */
  outcome: string;
  factor: string;
  points: MeanPoint[];
}

export interface PredictedPoint {
  level: string;
  predicted: number;
  lower: number;
  upper: number;
  /** standard error of the prediction, sqrt(x' Cov(beta) x) */
  se?: number;
  /** degrees of freedom of the t quantile used for the 95% limits */
  df?: number;
}

/** Fig. 2B: model-predicted trajectories over the repeated factor at chosen covariate values. */
export interface TrajectoriesFigure {
  kind: 'trajectories';
  model: string;
  outcome: string;
  factor: string;
  covariate: string;
  lines: { label: string; covariateValue: number; points: PredictedPoint[] }[];
  /** other covariates held at their means over the rows used (as LS-means are) */
  at?: Record<string, number>;
}

export interface ScatterPoint {
  x: number;
  y: number;
  subject?: string;
}

export interface FitLinePoint {
  x: number;
  y: number;
  lower: number;
  upper: number;
  /** standard error of the fitted value */
  se?: number;
}

/** Fig. 2A: covariate vs outcome at each level of the repeated factor, with the model's line and 95% band. */
export interface CovariateScatterFigure {
  kind: 'covariate-scatter';
  model: string;
  outcome: string;
  factor: string;
  covariate: string;
  /** `pointsOf`: how many observations a thinned panel stands for (only the points are thinned) */
  panels: { level: string; points: ScatterPoint[]; fit: FitLinePoint[]; df?: number; pointsOf?: number }[];
  at?: Record<string, number>;
}

/** Fig. 3: a per-subject analysis (correlation) as a scatter with its least-squares line and 95% band. */
export interface AnalysisScatterFigure {
  kind: 'analysis-scatter';
  analysis: string;
  title: string;
  xLabel: string;
  yLabel: string;
  points: ScatterPoint[];
  fit: FitLinePoint[];
  /** the least-squares line y = intercept + slope x, its residual df (n - 2) and Pearson r */
  intercept?: number;
  slope?: number;
  df?: number;
  r?: number;
}

/** Residual diagnostics: conditional residuals against predicted values, and a normal Q-Q plot. */
export interface ResidualsFigure {
  kind: 'residuals';
  model: string;
  points: { predicted: number; residual: number; subject?: string }[];
  qq: { theoretical: number; sample: number }[];
  /** 'conditional': y - X beta - Z gamma, gamma the EBLUPs (for R-side-only models this is y - X beta) */
  residualType?: 'conditional';
  /** set when `points` (and `qq`) are thinned from this many residuals (figures.ts MAX_PLOTTED_POINTS) */
  pointsOf?: number;
}

/**
 * The sensitivity summary as a forest plot: each `estimate` row and `compare` difference of a model,
 * with its (1 - alpha) confidence limits, in the model and in each of its sensitivity variants.
 */
export interface ForestFigure {
  kind: 'forest';
  /** the base model */
  model: string;
  /** the base model, then its variants, in file order */
  models: string[];
  alpha: number;
  rows: {
    label: string;
    kind: 'estimate' | 'diff';
    points: { model: string; estimate: number; lower: number; upper: number; p?: number | null; changed?: boolean }[];
  }[];
}

export type Figure = ObservedMeansFigure | TrajectoriesFigure | CovariateScatterFigure | AnalysisScatterFigure | ResidualsFigure | ForestFigure;
