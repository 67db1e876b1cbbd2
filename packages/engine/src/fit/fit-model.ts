/**
 * Fitting a linear mixed model: starting values, Newton-Raphson, then everything PROC MIXED reports
 * about the fit itself (covariance parameters with standard errors, fixed-effect solution and its
 * covariance, fit statistics, notes). Tests, LS-means and df are computed from a FitResult elsewhere.
 */
import { Matrix } from 'ml-matrix';
import type { Design } from '../design-types.js';
import { SPATIAL_TYPES, type CovarianceChoice, type CovarianceType, type EstimationMethod, type InformationCriterion, type ModelSpec } from '../model-spec.js';
import type { CandidateRow, CovParmRow, FitNote, IterationRow } from '../results.js';
import { CovarianceModel, type BlockLayout, type ResidualChoice } from '../covariance/covariance-model.js';
import { scalesWithVariance } from '../covariance/structure.js';
import { DesignError } from '../design.js';
import { cholesky, inverseFromCholesky, multiply, solveCholesky } from './dense.js';
import { invertInformation } from './information.js';
import { ProfiledLikelihood, type LikelihoodEvaluation } from './likelihood.js';
import { commonScaleIndex, directObjective, profiledCoordinates, profiledObjective, type ObjectiveValue } from './objective.js';
import { newtonRaphson, type OptimizerOptions } from './optimizer.js';
import { blockLayouts, buildPatterns, fullRankRows, PatternData, SparseRows } from './patterns.js';
import { spanningVInverseZ } from './spanning.js';

export interface FitResult {
  structure: CovarianceType;
  /** the structure with its options (bands, coordinates) */
  choice: CovarianceChoice;
  method: EstimationMethod;
  /** covariance parameters, SAS order (G-side, then R-side) */
  theta: number[];
  covParms: CovParmRow[];
  /** asymptotic covariance of theta: 2 H^-1 (H = observed Hessian of -2l); null when H is singular */
  thetaCov: Matrix | null;
  /** full length (one per Design column), 0 at aliased columns */
  beta: Float64Array;
  /** (X'V^-1X)^- in the full GLM layout, zero rows/columns at aliased columns */
  covBeta: Matrix;
  minus2ll: number;
  /** number of covariance parameters */
  q: number;
  /** number of covariance parameters counted in the information criteria (not on a boundary) */
  qEffective: number;
  aic: number;
  aicc: number;
  bic: number;
  /** SAS's IC option (Information Criteria table): Hannan-Quinn and Bozdogan's consistent AIC */
  hqic: number;
  caic: number;
  iterations: IterationRow[];
  /**
   * Newton steps taken after SAS's criterion was met, until the relative criterion is below 1e-12:
   * SAS reports its last iterate, which can stop short of the optimum; these steps reach it.
   */
  refinement: IterationRow[];
  converged: boolean;
  /** why the iterations stopped without converging */
  failure?: string;
  notes: FitNote[];
  /** subjects as SAS counts them in Dimensions (1 without SUBJECT=) */
  subjects: number;
  /** Hessian of -2l in theta at the estimate (observed) and the expected information */
  hessian: Matrix;
  expectedInformation: Matrix;
  /** parameters held on the boundary 0 */
  atBound: boolean[];
  /** the pieces, for Satterthwaite / Kenward-Roger and residual work */
  covarianceModel: CovarianceModel;
  likelihood: ProfiledLikelihood;
  /** what V of subject block i depends on (its R positions and rows of Z), for covarianceModel's methods */
  layouts: BlockLayout[];
  /** V of subject block i (Design.subjects[i]) at the estimate */
  blockCovariance(i: number): Matrix;
  /**
   * V⁻¹Z of subject block i at the estimate (m x g over the block's random-effect columns, row-major):
   * what the random-effect solution needs. A block spanning several R-subjects takes it from the
   * Woodbury form (fit/spanning.ts) instead of inverting its V.
   */
  blockVInverseZ(i: number): Float64Array;
}

export interface FitOptions extends OptimizerOptions {
  /** starting covariance parameters (SAS PARMS); default MIVQUE0 */
  start?: number[];
  /** no iterations: every result at `start` (SAS PARMS … / NOITER) */
  holdParameters?: boolean;
  /** iterate on all parameters instead of profiling the residual variance (SAS NOPROFILE) */
  noProfile?: boolean;
}

const LABELS: Partial<Record<CovarianceType, string>> = {
  AR1: 'AR(1)',
  ARH1: 'ARH(1)',
  ANTE1: 'ANTE(1)',
  SPPOW: 'SP(POW)',
  SPEXP: 'SP(EXP)',
  SPGAU: 'SP(GAU)',
};

/** SAS's spelling of a structure in tables: AR(1), ARH(1), ANTE(1), SP(EXP), UN, ... */
export function structureLabel(type: CovarianceType): string {
  return LABELS[type] ?? type;
}

/** A structure with its options, as SAS writes it: TOEP(2), SP(EXP)(VISITN VISITN2). */
export function choiceLabel(choice: CovarianceChoice): string {
  const bands = choice.type === 'TOEP' && choice.toeplitzBands ? `(${choice.toeplitzBands})` : '';
  const coordinates = choice.coordinates?.length ? `(${choice.coordinates.join(' ')})` : '';
  return structureLabel(choice.type) + bands + coordinates;
}

/** The model's own structure, or a candidate, with the model's options where the candidate has none. */
export function resolveChoice(spec: ModelSpec, structure?: CovarianceType | CovarianceChoice): CovarianceChoice {
  const c: CovarianceChoice = typeof structure === 'object' ? structure : { type: structure ?? spec.repeated?.type ?? 'VC' };
  const own = spec.repeated && c.type === spec.repeated.type;
  return {
    type: c.type,
    ...((c.toeplitzBands ?? (own ? spec.repeated?.toeplitzBands : undefined)) !== undefined ? { toeplitzBands: c.toeplitzBands ?? spec.repeated?.toeplitzBands } : {}),
    ...((c.coordinates ?? (own ? spec.repeated?.coordinates : undefined)) ? { coordinates: c.coordinates ?? spec.repeated?.coordinates } : {}),
  };
}

/**
 * A spatial structure's positions: each distinct coordinate vector of the used rows is a position
 * (sorted), and each row's position is its vector's.
 */
export function spatialPositions(design: Design, columns: string[]): { coordinates: number[][]; positionOfRow: Int32Array } {
  const values = columns.map((c) => {
    const v = design.coordinateValues?.[c];
    if (!v) throw new DesignError(`coordinate column '${c}' was not read into the design`);
    return v;
  });
  const keys = new Map<string, number[]>();
  const rowKey: string[] = new Array(design.n);
  for (let i = 0; i < design.n; i++) {
    const vec = values.map((v) => v[i]);
    const key = vec.join(',');
    rowKey[i] = key;
    if (!keys.has(key)) keys.set(key, vec);
  }
  const sorted = [...keys.entries()].sort((a, b) => {
    for (let c = 0; c < columns.length; c++) if (a[1][c] !== b[1][c]) return a[1][c] - b[1][c];
    return 0;
  });
  const index = new Map(sorted.map(([k], i) => [k, i]));
  const positionOfRow = Int32Array.from(rowKey, (k) => index.get(k) as number);
  for (const s of design.subjects) {
    const seen = new Set<number>();
    for (const r of s.rows) {
      if (seen.has(positionOfRow[r])) {
        throw new DesignError(
          `subject ${s.id} has two observations at the same coordinates (${columns.join(', ')} = ${sorted[positionOfRow[r]][1].join(', ')}): a spatial structure without a nugget makes their covariance matrix singular`,
        );
      }
      seen.add(positionOfRow[r]);
    }
  }
  return { coordinates: sorted.map(([, v]) => v), positionOfRow };
}

/**
 * A design's standardised response and pattern sums, for the fits of R-side structures to it (selectCovariance
 * fits several). The likelihood writes only per-evaluation scratch into a pattern (PatternData.prepare, read
 * in the same evaluation), so fits may share them; they are never used by two fits at once.
 */
const designPatterns = new WeakMap<Design, { standard: StandardisedResponse; patterns: PatternData[] }>();

export function fitModel(design: Design, spec: ModelSpec, structure?: CovarianceType | CovarianceChoice, options: FitOptions = {}): FitResult {
  const choice = resolveChoice(spec, structure);
  const type = choice.type;
  let residualChoice: ResidualChoice = { type, ...(choice.toeplitzBands !== undefined ? { toeplitzBands: choice.toeplitzBands } : {}) };
  let positionOfRow: Int32Array | undefined;
  if (SPATIAL_TYPES.includes(type)) {
    if (!choice.coordinates?.length) throw new DesignError(`${structureLabel(type)} needs coordinates: the numeric columns whose distances give the correlations`);
    const spatial = spatialPositions(design, choice.coordinates);
    residualChoice = { type, coordinates: spatial.coordinates };
    positionOfRow = spatial.positionOfRow;
  }
  const model = new CovarianceModel(design, spec, residualChoice);
  const sums = design.statistics;
  const { rows: X, columns: keptColumns } = sums
    ? { rows: SparseRows.NONE, columns: design.columns.flatMap((c, j) => (c.aliased ? [] : [j])) }
    : fullRankRows(design);
  const p = keptColumns.length;
  checkIdentifiable(design, spec, model, p);
  // a backend's statistics come per pattern: the layouts are the patterns' (no subject is in this process)
  const layouts = sums ? sums.patterns.map((pt) => pt.layout) : blockLayouts(design, positionOfRow);
  // With R = sigma^2 I and no random effects every row is its own block: a data set without SUBJECT=
  // is then n 1 x 1 blocks, not one n x n block.
  const independentRows = !model.random && type === 'VC' && model.groupLevels.length === 0;
  const singleRow: BlockLayout = { positions: [0], zLocal: new Float64Array(0), localColumns: [] };
  const gParameterOf = model.random ? (a: number, b: number) => model.random!.parameterOf(a, b) : null;
  // The likelihood is computed for the standardised response (y - X b_OLS) / s: REML and ML are
  // equivariant under it, and r'V^-1 r no longer comes from cross-products of y in the user's units
  // (y + 1e8 would lose every digit there). Results are mapped back below.
  const fromSums = sums ? standardiseSums(sums.patterns, p, design.n, spec.response) : undefined;
  if (fromSums && sums?.responseShift) {
    // the backend's sums are of y - c: the constant's columns take c back (the likelihood does not change)
    for (const j of sums.responseShift.columns) fromSums.standard.beta[keptColumns.indexOf(j)] += sums.responseShift.value;
  }
  // the standardised response and its pattern sums depend on the design alone when the subjects are the blocks and
  // no G side enters the patterns: made once for the structures a `select cov` fits to one design
  const shared = !fromSums && !independentRows && !positionOfRow && !gParameterOf;
  let prepared = shared ? designPatterns.get(design) : undefined;
  if (!prepared) {
    const standard = fromSums?.standard ?? standardiseResponse(design.y, X, p, design.n, spec.response);
    const patterns = fromSums
      ? fromSums.patterns
      : independentRows
      ? buildPatterns(standard.y, new Array<BlockLayout>(design.n).fill(singleRow), (r) => [r], null, X, p)
      : buildPatterns(standard.y, layouts, (b) => design.subjects[b].rows, gParameterOf, X, p);
    prepared = { standard, patterns };
    if (shared) designPatterns.set(design, prepared);
  }
  const { standard, patterns } = prepared;
  const likelihood = new ProfiledLikelihood(model, patterns, design.n, p, spec.method);
  const s2 = standard.scale * standard.scale;
  // d theta_user / d theta_standard: s^2 for variances and covariances, 1 for correlations and ranges
  const unit = model.parameters.map((prm) => (scalesWithVariance(prm.kind) ? s2 : 1));
  // -2l in the user's units = -2l of the standardised response + (n - p) log s^2 (REML), n log s^2 (ML)
  const shift = (spec.method === 'REML' ? design.n - p : design.n) * Math.log(s2);
  const start = options.start ? options.start.map((t, k) => t / unit[k]) : startingValues(likelihood, model, unit);
  // held parameters are evaluated as given: the residual variance is not profiled out of them
  const scaleIndex = options.noProfile || options.holdParameters ? -1 : commonScaleIndex(model);
  const objective = scaleIndex >= 0 ? profiledObjective(likelihood, model, scaleIndex) : directObjective(likelihood, model);
  const nullModel = nullModelMinus2ll(likelihood, model);
  const run = newtonRaphson(objective, objective.fromTheta(start), {
    ...(nullModel !== undefined ? { nullModelMinus2ll: nullModel } : {}),
    ...(spec.convergence === 'sas' ? { polishSteps: 0 } : {}),
    ...options,
    // SAS's criterion divides by |-2l| in the user's units
    criterionShift: shift,
    ...(options.holdParameters ? { maxIterations: 0 } : {}),
  });
  if (options.holdParameters) {
    run.converged = true;
    delete run.failure;
  }
  const q = model.size;
  const ev = toUserUnits(run.evaluation, unit, standard, shift, p);
  const toUserRows = (rows: IterationRow[]) => rows.map((r) => ({ ...r, minus2ll: r.minus2ll + shift }));
  run.iterations = toUserRows(run.iterations);
  run.refinement = toUserRows(run.refinement);
  if (design.rankX > 0 && p === 0) throw new DesignError('every fixed-effect column is aliased');
  const atBound = new Array<boolean>(q).fill(false);
  objective.thetaIndex.forEach((k, i) => (atBound[k] = run.atBound[i]));
  const opt = { ...run, atBound };
  const notes: FitNote[] = [];
  if (!opt.converged) {
    notes.push({
      severity: 'warning',
      message: `WARNING: Did not converge (${opt.failure ?? 'iteration limit'}); the estimates are those of the last iteration.`,
    });
  }

  // Asymptotic covariance of the free parameters (SAS's ASYCOV): 2 H^-1 in theta, or, when the residual
  // variance was profiled, 2 J H_u^-1 J' from the Hessian in the optimizer's (psi, sigma^2) coordinates,
  // which is what SAS prints at its last iterate (the two agree at the optimum).
  // Held parameters (no profiling while held) take the same profiled form when the structure has a common scale.
  const heldScale = options.holdParameters ? commonScaleIndex(model) : -1;
  const standardEv = run.evaluation;
  const covarianceValue: ObjectiveValue =
    heldScale >= 0 ? { ...run.value, profiled: profiledCoordinates(model, heldScale, standardEv.theta, standardEv) } : run.value;
  const covarianceIndex = heldScale >= 0 ? model.parameters.map((_, k) => k).filter((k) => k !== heldScale) : objective.thetaIndex;
  const standardCov = asymptoticCovariance(covarianceValue, covarianceIndex, q, atBound, standardEv.hessian as Float64Array);
  const pd = standardCov.positiveDefinite;
  const thetaCov = standardCov.thetaCov ? scaleSymmetric(standardCov.thetaCov, unit, 1) : null;
  if (!pd && opt.converged) {
    notes.push({ severity: 'warning', message: 'NOTE: Convergence criteria met but final Hessian is not positive definite.' });
  } else if (!pd) {
    notes.push({ severity: 'warning', message: 'NOTE: The final Hessian is not positive definite.' });
  }
  const covParms: CovParmRow[] = model.parameters.map((prm, k) => {
    const variance = thetaCov && !opt.atBound[k] ? thetaCov.get(k, k) : NaN;
    const row: CovParmRow = {
      name: prm.name,
      estimate: ev.theta[k],
      se: variance > 0 ? Math.sqrt(variance) : null,
    };
    if (prm.subject) row.subject = prm.subject;
    if (prm.group) row.group = prm.group;
    return row;
  });
  const bounded = model.parameters.filter((_, k) => opt.atBound[k]);
  if (bounded.length > 0) {
    const gSide = bounded.some((b) => b.side === 'G');
    notes.push({
      severity: 'info',
      message:
        (gSide ? 'NOTE: Estimated G matrix is not positive definite. ' : '') +
        `The estimate of ${bounded.map((b) => b.name).join(', ')} is on the boundary (0) and is held there; it is not counted in the information criteria.`,
    });
  }

  // Fixed effects in the full GLM layout.
  const P = design.columns.length;
  const beta = new Float64Array(P);
  const covBeta = new Matrix(P, P);
  keptColumns.forEach((c, i) => {
    beta[c] = ev.beta[i];
    keptColumns.forEach((d, j) => covBeta.set(c, d, ev.C[i * p + j]));
  });

  // SAS processes the data by subjects only when every RANDOM statement has SUBJECT= (or there is none)
  const bySubjects = Boolean(spec.subject || spec.random.some((r) => r.subject)) && spec.random.every((r) => r.subject);
  const spanning = design.subjects.some((b) => b.rGroups);
  // SAS counts every subject read, also those with no usable observation (an outcome missing at every visit)
  const subjects = bySubjects ? (spanning ? design.subjects.length : Math.max(design.subjectsRead ?? 0, design.subjects.length)) : 1;
  if (design.subjects.some((b) => b.rGroups)) {
    const rSubject = spec.subject ?? 'the REPEATED subject';
    const spanning = spec.random.filter((r) => r.subject !== spec.subject).map((r) => (r.subject ? `by ${r.subject}` : r.terms.map((t) => t.join('*') || 'intercept').join(', ')));
    notes.push({
      severity: 'info',
      message:
        `random effects (${spanning.join('; ')}) span several ${rSubject} subjects: V is block-diagonal by ${bySubjects ? 'their subject' : 'the groups they connect'} ` +
        `(${design.subjects.length} blocks), with R = 0 between different ${rSubject} subjects. Dimensions count ${bySubjects ? 'those blocks' : '1 subject'} and BIC uses ${bySubjects ? 'that count' : 'the levels of the first random effect'}, as SAS documents; these counts are not checked against SAS output.`,
    });
  }
  const qEffective = q - bounded.length;
  const ic = informationCriteria(ev.minus2ll, spec.method, qEffective, p, design, subjects);

  const layoutOf = (i: number): BlockLayout => layouts[i];
  const m = (i: number) => layouts[i].positions.length;
  const toMatrix = (a: Float64Array, r: number) => new Matrix(Array.from({ length: r }, (_, i) => Array.from(a.subarray(i * r, (i + 1) * r))));

  return {
    structure: type,
    choice,
    method: spec.method,
    theta: ev.theta,
    covParms,
    thetaCov,
    beta,
    covBeta,
    minus2ll: ev.minus2ll,
    q,
    qEffective,
    ...ic,
    iterations: opt.iterations,
    refinement: opt.refinement,
    converged: opt.converged,
    ...(opt.failure && !opt.converged ? { failure: opt.failure } : {}),
    notes,
    subjects,
    hessian: toMatrix(ev.hessian as Float64Array, q),
    expectedInformation: toMatrix(ev.expected as Float64Array, q),
    atBound: opt.atBound,
    covarianceModel: model,
    likelihood,
    layouts,
    blockCovariance: (i) => toMatrix(model.blockCovariance(ev.theta, layoutOf(i)), m(i)),
    blockVInverseZ: (i) => {
      const layout = layoutOf(i);
      if (layout.rGroups && layout.localColumns.length > 0) {
        const w = spanningVInverseZ(model, layout, ev.theta);
        if (!w) throw new Error('V block is not positive definite');
        return w;
      }
      const mi = m(i);
      const g = layout.localColumns.length;
      const L = cholesky(model.blockCovariance(ev.theta, layout), mi);
      if (!L) throw new Error('V block is not positive definite');
      return multiply(inverseFromCholesky(L, mi), layout.zLocal, mi, mi, g);
    },
  };
}

/**
 * Refuses models the data cannot identify, before fitting them (a fit would "converge" to a singular
 * covariance matrix and report tests on it):
 *  - more covariance parameters than residual degrees of freedom;
 *  - an unstructured R matrix over t positions with t or fewer subjects (in a GROUP=, per group): its
 *    REML estimate is then singular whatever the data.
 */
export function checkIdentifiable(design: Design, spec: ModelSpec, model: CovarianceModel, p: number): void {
  const residualDf = spec.method === 'REML' ? design.n - p : design.n;
  if (model.size > residualDf) {
    throw new DesignError(
      `the model has ${model.size} covariance parameters but only ${residualDf} ${spec.method === 'REML' ? 'residual degrees of freedom (observations minus fixed-effect parameters)' : 'observations'}: they cannot all be estimated`,
    );
  }
  if (model.structure === 'UN' && spec.repeated) {
    const t = model.residual.dimension;
    const groups = model.groupLevels.length > 0 ? model.groupLevels : [''];
    const counts = groups.map(() => 0);
    if (design.statistics) (design.statistics.subjectsPerGroup ?? [design.statistics.subjects]).forEach((c, g) => (counts[g] = c));
    // R-side subjects (a block spanned by a random site holds several), each in its group
    for (const block of design.subjects) {
      const seen = new Set<string>();
      block.rows.forEach((_, a) => {
        const key = `${block.rGroups?.[a] ?? 0}`;
        if (seen.has(key)) return;
        seen.add(key);
        const g = block.groups?.[a] ?? 0;
        counts[g] = (counts[g] ?? 0) + 1;
      });
    }
    counts.forEach((count, g) => {
      if (count <= t) {
        const where = model.groupLevels.length > 0 ? ` in ${design.group} ${groups[g]}` : '';
        throw new DesignError(
          `UN over ${t} positions has ${(t * (t + 1)) / 2} covariance parameters, and ${count} subject${count === 1 ? '' : 's'}${where} cannot identify them (its estimate would be singular whatever the data): it needs more than ${t} subjects with data; use a structure with fewer parameters (TOEP, AR1, CS)`,
        );
      }
    });
  }
}

interface StandardisedResponse {
  /** (y - X b) / scale */
  y: Float64Array;
  /** the OLS coefficients b over the kept columns */
  beta: Float64Array;
  scale: number;
}

/**
 * y - X b_OLS over its root mean square (SSE/(n - p)), with b_OLS solved from the equilibrated
 * normal equations and refined once (so that an offset of 1e8 leaves residuals exact to ~1e-8).
 * Throws when nothing is left to model: a constant outcome, or as many fixed effects as observations.
 */
export function standardiseResponse(y: Float64Array, X: SparseRows, p: number, n: number, response: string): StandardisedResponse {
  // y over its largest magnitude first, so that squares of y ~1e200 do not overflow on the way
  let ymax = 0;
  for (let i = 0; i < n; i++) ymax = Math.max(ymax, Math.abs(y[i]));
  if (!Number.isFinite(ymax)) throw new DesignError(`${response} has a value that is not a finite number`);
  const beta = new Float64Array(p);
  // (explicit loops: Float64Array.from with a map function is a slow generic path)
  const e = new Float64Array(n);
  if (ymax > 0) for (let i = 0; i < n; i++) e[i] = y[i] / ymax;
  if (p > 0) {
    // X'X (the design's, computed once), X'e, then twice: solve, e -= X delta, X'e; each product term by
    // term over whole columns (a row's products summed in column order, as row by row)
    const XtX = X.crossProduct();
    let Xte = X.transposeMultiply(e);
    const d = Float64Array.from({ length: p }, (_, a) => 1 / Math.sqrt(XtX[a * p + a] || 1));
    const A = Float64Array.from(XtX, (v, t) => v * d[Math.floor(t / p)] * d[t % p]);
    const L = cholesky(A, p);
    if (L) {
      const fitted = new Float64Array(n);
      for (let pass = 0; pass < 2; pass++) {
        for (let a = 0; a < p; a++) Xte[a] *= d[a];
        const delta = solveCholesky(L, p, Xte);
        for (let a = 0; a < p; a++) {
          delta[a] *= d[a];
          beta[a] += delta[a];
        }
        X.multiplyInto(delta, fitted);
        for (let i = 0; i < n; i++) e[i] -= fitted[i];
        if (pass === 0) Xte = X.transposeMultiply(e);
      }
    }
  }
  let sse = 0;
  for (let i = 0; i < n; i++) sse += e[i] * e[i];
  const df = n > p ? n - p : n;
  const relative = Math.sqrt(sse / df); // residual RMS over max |y|
  // a residual at the rounding level of y is no residual: the fixed effects fit y exactly
  if (!(relative > 1e-12)) {
    throw new DesignError(
      n <= p
        ? `${n} observations and ${p} fixed-effect parameters: nothing is left to estimate the covariance from`
        : `the fixed effects fit ${response} exactly (${response} is constant${p > 1 ? ' within the cells of the fixed effects' : ''}): there is no variation left to estimate the covariance parameters from`,
    );
  }
  const scale = ymax * relative;
  // variances are in y's units squared: they must be representable (about 1e-300 .. 1e300)
  if (!(scale < 1e150 && scale > 1e-150)) {
    throw new DesignError(
      `${response} varies on a scale of ${scale.toExponential(1)}: its variance (${(scale * scale).toExponential(1)}) is not representable in double precision; rescale ${response} (e.g. divide it by 1e${Math.round(Math.log10(scale))})`,
    );
  }
  for (let a = 0; a < p; a++) beta[a] *= ymax;
  for (let i = 0; i < n; i++) e[i] /= relative;
  return { y: e, beta, scale };
}

/**
 * standardiseResponse from a backend's pattern sums: b_OLS from X'X and X'y (summed over the patterns'
 * diagonal blocks), the residual scale from y'y - 2 b'X'y + b'X'X b, and each pattern's sums of the
 * standardised response (y - X b) / scale. REML and ML do not depend on b; the scale only sets units.
 */
export function standardiseSums(
  patterns: PatternData[],
  p: number,
  n: number,
  response: string,
): { standard: StandardisedResponse; patterns: PatternData[] } {
  const XtX = new Float64Array(p * p);
  const Xty = new Float64Array(p);
  let yty = 0;
  for (const pt of patterns) {
    const t = pt.tensorSums!;
    const m = pt.m;
    for (let a = 0; a < m; a++) {
      const ac = a * m + a;
      yty += t.Syy[ac]!;
      for (let j = 0; j < p; j++) {
        Xty[j] += t.Sxy[ac * p + j]!;
        for (let k = 0; k < p; k++) XtX[j * p + k] += t.Sxx[(ac * p + j) * p + k]!;
      }
    }
  }
  const beta = new Float64Array(p);
  if (p > 0) {
    const d = Float64Array.from({ length: p }, (_, a) => 1 / Math.sqrt(XtX[a * p + a] || 1));
    const A = Float64Array.from(XtX, (v, t) => v * d[Math.floor(t / p)]! * d[t % p]!);
    const L = cholesky(A, p);
    if (L) {
      const b = solveCholesky(L, p, Float64Array.from(Xty, (v, a) => v * d[a]!));
      for (let a = 0; a < p; a++) beta[a] = b[a]! * d[a]!;
    }
  }
  let bXy = 0;
  let bXXb = 0;
  for (let j = 0; j < p; j++) {
    bXy += beta[j]! * Xty[j]!;
    for (let k = 0; k < p; k++) bXXb += beta[j]! * XtX[j * p + k]! * beta[k]!;
  }
  const sse = yty - 2 * bXy + bXXb;
  const df = n > p ? n - p : n;
  if (!(sse > 1e-24 * Math.max(yty, Number.MIN_VALUE)) || !Number.isFinite(sse)) {
    throw new DesignError(
      n <= p
        ? `${n} observations and ${p} fixed-effect parameters: nothing is left to estimate the covariance from`
        : `the fixed effects fit ${response} exactly: there is no variation left to estimate the covariance parameters from`,
    );
  }
  const scale = Math.sqrt(sse / df);
  const out = patterns.map((pt) => {
    const t = pt.tensorSums!;
    const m = pt.m;
    const Sxx = t.Sxx;
    const Sxy = new Float64Array(m * m * p);
    const Syy = new Float64Array(m * m);
    for (let ac = 0; ac < m * m; ac++) {
      const a = Math.floor(ac / m);
      const c = ac % m;
      let bSb = 0;
      let bxy = 0;
      let byx = 0;
      for (let j = 0; j < p; j++) {
        let sb = 0;
        for (let k = 0; k < p; k++) sb += Sxx[(ac * p + j) * p + k]! * beta[k]!;
        Sxy[ac * p + j] = (t.Sxy[ac * p + j]! - sb) / scale;
        bSb += beta[j]! * sb;
        bxy += beta[j]! * t.Sxy[ac * p + j]!;
        byx += beta[j]! * t.Sxy[(c * m + a) * p + j]!;
      }
      Syy[ac] = (t.Syy[ac]! - bxy - byx + bSb) / (scale * scale);
    }
    return PatternData.fromSums(pt.layout, pt.count, p, Sxx, Sxy, Syy);
  });
  return { standard: { y: new Float64Array(0), beta, scale }, patterns: out };
}

/** M[k][l] * (u_k u_l)^power for a symmetric matrix: the change of units of a covariance (power 1) or Hessian (-1). */
function scaleSymmetric(M: Matrix, u: number[], power: 1 | -1): Matrix {
  const out = new Matrix(M.rows, M.columns);
  for (let k = 0; k < M.rows; k++) for (let l = 0; l < M.columns; l++) out.set(k, l, M.get(k, l) * (power === 1 ? u[k] * u[l] : 1 / (u[k] * u[l])));
  return out;
}

/** The likelihood evaluation of the standardised response, in the user's units. */
function toUserUnits(ev: LikelihoodEvaluation, unit: number[], standard: StandardisedResponse, shift: number, p: number): LikelihoodEvaluation {
  const q = unit.length;
  const s = standard.scale;
  const perPair = (M: Float64Array | undefined) => M && Float64Array.from(M, (v, t) => v / (unit[Math.floor(t / q)] * unit[t % q]));
  const out: LikelihoodEvaluation = {
    theta: ev.theta.map((t, k) => t * unit[k]),
    minus2ll: ev.minus2ll + shift,
    beta: Float64Array.from({ length: p }, (_, j) => standard.beta[j] + s * ev.beta[j]),
    C: Float64Array.from(ev.C, (v) => v * s * s),
    rWr: ev.rWr,
  };
  if (ev.gradient) out.gradient = Float64Array.from(ev.gradient, (v, k) => v / unit[k]);
  if (ev.hessian) out.hessian = perPair(ev.hessian);
  if (ev.expected) out.expected = perPair(ev.expected);
  return out;
}

/**
 * The asymptotic covariance of theta over the parameters not on a boundary (zero rows and columns at
 * the others); null when the Hessian is not positive definite there.
 */
export function asymptoticCovariance(
  value: ObjectiveValue,
  thetaIndex: number[],
  q: number,
  atBound: boolean[],
  thetaHessian: Float64Array,
): { thetaCov: Matrix | null; positiveDefinite: boolean } {
  const out = new Matrix(q, q);
  if (value.profiled) {
    const { hessian, jacobian, n } = value.profiled;
    // the optimizer's coordinates: psi (one per thetaIndex entry) then sigma^2 (always free)
    const free = Array.from({ length: n }, (_, i) => i).filter((i) => i === n - 1 || !atBound[thetaIndex[i]]);
    const f = free.length;
    const Hf = new Float64Array(f * f);
    free.forEach((a, i) => free.forEach((b, j) => (Hf[i * f + j] = hessian[a * n + b])));
    const inv = invertInformation(Hf, f);
    if (!inv.positiveDefinite) return { thetaCov: null, positiveDefinite: false };
    for (let k = 0; k < q; k++) {
      if (atBound[k]) continue;
      for (let l = 0; l < q; l++) {
        if (atBound[l]) continue;
        let v = 0;
        for (let i = 0; i < f; i++) {
          const jk = jacobian[k * n + free[i]];
          if (jk === 0) continue;
          for (let j = 0; j < f; j++) v += jk * inv.inverse[i * f + j] * jacobian[l * n + free[j]];
        }
        out.set(k, l, 2 * v);
      }
    }
    return { thetaCov: out, positiveDefinite: true };
  }
  const free = Array.from({ length: q }, (_, k) => k).filter((k) => !atBound[k]);
  const f = free.length;
  const Hf = new Float64Array(f * f);
  free.forEach((a, i) => free.forEach((b, j) => (Hf[i * f + j] = thetaHessian[a * q + b])));
  const inv = invertInformation(Hf, f);
  if (!inv.positiveDefinite) return { thetaCov: null, positiveDefinite: false };
  free.forEach((a, i) => free.forEach((b, j) => out.set(a, b, 2 * inv.inverse[i * f + j])));
  return { thetaCov: out, positiveDefinite: true };
}

/**
 * -2l of the model with V = sigma^2 I and sigma^2 at its (RE)ML estimate: SAS's iteration 0.
 * The V = I parameter point scaled by sigma^2 is that model for every structure.
 */
export function nullModelMinus2ll(likelihood: ProfiledLikelihood, model: CovarianceModel): number | undefined {
  const identity = model.identity();
  const unit = likelihood.evaluate(identity, 0);
  if (!unit) return undefined;
  const s = unit.rWr / (likelihood.method === 'REML' ? likelihood.n - likelihood.p : likelihood.n);
  const theta = identity.map((t, k) => (scalesWithVariance(model.parameters[k].kind) ? t * s : t));
  return likelihood.evaluate(theta, 0)?.minus2ll;
}

/**
 * SAS fit statistics. d = covariance parameters (REML) or covariance parameters + rank X (ML).
 * AICC uses n* = n (ML) or n - p (REML), at least d + 2. BIC uses the number of subjects; with a
 * single subject, the levels of the first RANDOM effect, or else n (ML) / n - p (REML).
 * HQIC = -2l + 2d log log n and CAIC = -2l + d (log n + 1) use the same n as BIC (SAS's IC option).
 */
export function informationCriteria(
  minus2ll: number,
  method: EstimationMethod,
  qEffective: number,
  p: number,
  design: Design,
  subjects: number,
): { aic: number; aicc: number; bic: number; hqic: number; caic: number } {
  const d = method === 'ML' ? qEffective + p : qEffective;
  let nStar = method === 'ML' ? design.n : design.n - p;
  if (nStar < d + 2) nStar = d + 2;
  let nBic: number;
  if (subjects > 1) nBic = subjects;
  else if (design.randomTerms.length > 0) nBic = new Set(design.randomTerms[0].columns.map((c) => levelKeyOf(design, c))).size;
  else nBic = method === 'ML' ? design.n : design.n - p;
  return {
    aic: minus2ll + 2 * d,
    aicc: minus2ll + (2 * d * nStar) / (nStar - d - 1),
    bic: nBic > 0 ? minus2ll + d * Math.log(nBic) : minus2ll,
    // log log n is negative below n = e, and -Infinity at n = 1: SAS's formula, kept finite
    hqic: nBic > 1 ? minus2ll + 2 * d * Math.log(Math.log(nBic)) : minus2ll,
    caic: nBic > 0 ? minus2ll + d * (Math.log(nBic) + 1) : minus2ll,
  };
}

function levelKeyOf(design: Design, column: number): string {
  const c = design.zColumns?.[column];
  return c ? c.group + '|' + JSON.stringify(c.levels) : String(column);
}

/**
 * MIVQUE0 starting values, as SAS uses: one Fisher-scoring step from the point where V = I (for
 * structures linear in their parameters this is exactly MIVQUE0). Then made admissible: negative
 * variances to 0 (G side) or a small positive value (R side), correlations into (-0.9, 0.9); and if V
 * is still not positive definite, covariances and correlations set to 0.
 */
export function startingValues(likelihood: ProfiledLikelihood, model: CovarianceModel, userUnit: number[] = []): number[] {
  // SAS expands at V = I in the user's units: for a structure non-linear in its parameters (AR(1)) the
  // one-step MIVQUE0 depends on that point, and SAS's iteration path with it
  const theta0 = model.identity().map((t, k) => t / (userUnit[k] ?? 1));
  const q = theta0.length;
  const ev = likelihood.evaluate(theta0, 2) as LikelihoodEvaluation;
  const F = ev.expected as Float64Array;
  const L = cholesky(F, q);
  const olsVariance = ev.rWr / Math.max(1, likelihood.method === 'REML' ? likelihood.n - likelihood.p : likelihood.n);
  // without MIVQUE0 (singular expected information), V = s^2 I with the OLS residual variance
  const theta = L ? theta0.slice() : theta0.map((t, k) => (scalesWithVariance(model.parameters[k].kind) ? t * olsVariance : t));
  if (L) {
    const inv = inverseFromCholesky(L, q);
    const g = ev.gradient as Float64Array;
    for (let k = 0; k < q; k++) {
      let s = 0;
      for (let l = 0; l < q; l++) s += inv[k * q + l] * g[l];
      theta[k] -= s;
    }
  }
  // a scale for "small": the residual-side variances of the MIVQUE0 solution
  const scale = Math.max(
    1e-8,
    ...model.parameters.map((prm, k) => (prm.side === 'R' && prm.kind === 'variance' ? Math.abs(theta[k]) : 0)),
  );
  model.parameters.forEach((prm, k) => {
    if (!Number.isFinite(theta[k])) theta[k] = scalesWithVariance(prm.kind) ? theta0[k] * scale : theta0[k];
    if (prm.kind === 'variance' && theta[k] <= 0) theta[k] = prm.side === 'G' ? 0 : 1e-2 * scale;
    if (prm.kind === 'correlation') theta[k] = Math.max(-0.9, Math.min(0.9, theta[k]));
  });
  // parameters that enter V non-linearly from a point where the MIVQUE0 step says nothing about them
  // (a spatial range at R = I): the best of a few values
  for (const g of model.startGrid()) {
    let best: { value: number; m2ll: number } | null = null;
    for (const value of g.values) {
      const trial = theta.slice();
      for (const i of g.indices) trial[i] = value;
      const ev = likelihood.evaluate(trial, 0);
      if (ev && (!best || ev.minus2ll < best.m2ll)) best = { value, m2ll: ev.minus2ll };
    }
    if (best) for (const i of g.indices) theta[i] = best.value;
  }
  if (likelihood.evaluate(theta, 0)) return theta;
  model.parameters.forEach((prm, k) => {
    if (prm.kind === 'covariance' || prm.kind === 'correlation') theta[k] = 0;
  });
  if (likelihood.evaluate(theta, 0)) return theta;
  return theta0.map((t, k) => (scalesWithVariance(model.parameters[k].kind) ? t * scale : t));
}

export interface SelectionResult {
  fits: FitResult[];
  chosen: FitResult;
  table: CandidateRow[];
}

/**
 * `select cov CS, AR1, UN by BIC`: fit each candidate and keep the smallest criterion among the fits
 * that converged (all candidates if none did).
 */
export function selectCovariance(
  design: Design,
  spec: ModelSpec,
  candidates: (CovarianceType | CovarianceChoice)[],
  criterion: InformationCriterion = 'BIC',
  options: FitOptions = {},
): SelectionResult {
  const choices = candidates.map((c) => resolveChoice(spec, c));
  const fits = choices.map((c) => fitModel(design, spec, c, { ...options, start: undefined }));
  const value = (f: FitResult) => (criterion === 'AIC' ? f.aic : criterion === 'AICC' ? f.aicc : f.bic);
  const pool = fits.some((f) => f.converged) ? fits.filter((f) => f.converged) : fits;
  const chosen = pool.reduce((best, f) => (value(f) < value(best) ? f : best));
  const table: CandidateRow[] = fits.map((f, i) => ({
    structure: choiceLabel(choices[i]),
    q: f.q,
    minus2ll: f.minus2ll,
    aic: f.aic,
    aicc: f.aicc,
    bic: f.bic,
    converged: f.converged,
    chosen: f === chosen,
  }));
  return { fits, chosen, table };
}
