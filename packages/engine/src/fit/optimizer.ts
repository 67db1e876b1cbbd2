/**
 * Newton-Raphson on the covariance parameters, as PROC MIXED runs it: the observed Hessian of -2l,
 * Fisher scoring when that Hessian is not positive definite, step halving until -2l decreases,
 * variances kept at or above 0 (a variance that reaches 0 stays there while the gradient pushes it
 * down), and convergence when SAS's relative Hessian criterion g'H^-1 g / |f| falls below 1e-8.
 * In that criterion f is -2l without its 2pi constant: that is what reproduces the Criterion column
 * SAS prints (heights example: 0.01441208, 0.00412226, ... = ours with |f| net of (n-p) log 2pi).
 *
 * One difference from SAS: an iterate that just meets 1e-8 can still be ~1e-4 (relative) away from the
 * optimum in a flat parameter such as an AR(1) correlation or a CS covariance, and where it lands
 * depends on the path (SAS's own listings stop short of the optimum this way). So after convergence
 * the optimizer keeps taking Newton steps (at most `polishSteps`, reported apart from SAS's iteration
 * history as `refinement`) until the criterion is below `polishTolerance` or -2l stops decreasing; the
 * reported estimates are then the optimum itself.
 */
import type { IterationRow } from '../results.js';
import { cholesky, solveCholesky } from './dense.js';
import type { LikelihoodEvaluation } from './likelihood.js';
import type { Objective, ObjectiveValue } from './objective.js';

export interface OptimizerOptions {
  maxIterations?: number;
  /** relative Hessian convergence criterion (SAS CONVH default 1e-8) */
  convergence?: number;
  maxHalvings?: number;
  /** criterion the post-convergence Newton steps aim for (default 1e-20: the floor of the gradient's rounding) */
  polishTolerance?: number;
  /** at most this many extra Newton steps after convergence (default 10; 0 stops where SAS stops) */
  polishSteps?: number;
  /**
   * SAS's iteration 0: -2l of the model with V = sigma^2 I (printed before the MIVQUE0 start). When
   * given, it is row 0 and the evaluation of the starting values counts in iteration 1.
   */
  nullModelMinus2ll?: number;
  /**
   * Added to -2l for SAS's relative criterion g'H^-1 g / |-2l|: the optimizer may work on a rescaled
   * response whose -2l differs from the user's by a constant, and SAS divides by the user's.
   */
  criterionShift?: number;
}

export interface OptimizerResult {
  /** the likelihood at the final covariance parameters */
  evaluation: LikelihoodEvaluation;
  /** the objective there (its Hessians in the optimizer's coordinates) */
  value: ObjectiveValue;
  iterations: IterationRow[];
  /** the Newton steps taken after convergence (see polishSteps) */
  refinement: IterationRow[];
  converged: boolean;
  /** optimizer parameters held at their lower bound 0 */
  atBound: boolean[];
  /** why it stopped, when it did not converge */
  failure?: string;
}

function subMatrix(a: Float64Array, q: number, idx: number[]): Float64Array {
  const r = idx.length;
  const out = new Float64Array(r * r);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) out[i * r + j] = a[idx[i] * q + idx[j]];
  return out;
}

/** Cholesky of the first matrix that is positive definite: observed Hessian, then expected information. */
function curvature(ev: ObjectiveValue, q: number, free: number[]): { L: Float64Array; observed: boolean } | null {
  const r = free.length;
  const Ho = subMatrix(ev.hessian, q, free);
  const Lo = cholesky(Ho, r);
  if (Lo) return { L: Lo, observed: true };
  const He = subMatrix(ev.expected, q, free);
  const Le = cholesky(He, r);
  if (Le) return { L: Le, observed: false };
  return null;
}

export function newtonRaphson(objective: Objective, start: number[], options: OptimizerOptions = {}): OptimizerResult {
  const kinds = objective.kinds;
  const maxIterations = options.maxIterations ?? 50;
  const tolerance = options.convergence ?? 1e-8;
  const maxHalvings = options.maxHalvings ?? 30;
  const polishTolerance = options.polishTolerance ?? 1e-20;
  let polishLeft = options.polishSteps ?? 10;
  const q = start.length;
  if (q === 0) {
    const only = objective.evaluate(start);
    if (!only) throw new Error('V is not positive definite');
    return { evaluation: only.evaluation, value: only, iterations: [{ iteration: 0, evaluations: 1, minus2ll: only.value, criterion: null }], refinement: [], converged: true, atBound: [] };
  }
  let ev = objective.evaluate(start);
  if (!ev) throw new Error('the starting covariance parameters do not give a positive definite V');
  let evaluations = 1;
  const iterations: IterationRow[] = [];
  const refinement: IterationRow[] = [];
  if (options.nullModelMinus2ll !== undefined) {
    iterations.push({ iteration: 0, evaluations: 1, minus2ll: options.nullModelMinus2ll, criterion: null });
  } else {
    iterations.push({ iteration: 0, evaluations, minus2ll: ev.value, criterion: null });
    evaluations = 0;
  }
  let x = start.slice();
  const atBound = start.map((t, k) => kinds[k] === 'variance' && t <= 0);
  let converged = false;
  let failure: string | undefined;

  // The active set (SAS's boundary handling): a variance at 0 stays there unless the gradient says
  // that increasing it lowers -2l AND the Newton step with it free moves it up. Releasing it on the
  // gradient alone makes a variance whose step points below 0 bounce: freed, stepped back to 0 by a
  // zero-length step, freed again (nlme's BodyWeight with a random intercept and AR(1) errors did that
  // for 46 iterations while the other parameters never moved).
  const activeFree = (e: ObjectiveValue): number[] => {
    const g = e.gradient;
    let free = Array.from({ length: q }, (_, k) => k).filter((k) => !atBound[k] || g[k] < 0);
    for (let pass = 0; pass < q; pass++) {
      if (!free.some((k) => atBound[k])) break;
      const curv = curvature(e, q, free);
      if (!curv) break;
      const step = solveCholesky(curv.L, free.length, Float64Array.from(free, (k) => g[k]));
      // the Newton step is -step: a bound parameter stays when -step_k <= 0
      const stay = new Set(free.filter((k, i) => atBound[k] && !(-step[i] > 0)));
      if (stay.size === 0) break;
      free = free.filter((k) => !stay.has(k));
    }
    return free;
  };
  const freeSet = (e: ObjectiveValue): number[] => {
    const free = activeFree(e);
    for (const k of free) atBound[k] = false;
    return free;
  };

  let retries = 0;
  for (let it = 1; it <= maxIterations; it++) {
    const free = freeSet(ev);
    if (free.length === 0) {
      converged = true;
      break;
    }
    const g = ev.gradient;
    const gFree = Float64Array.from(free, (k) => g[k]);
    const curv = curvature(ev, q, free);
    let step: Float64Array;
    if (curv) {
      step = solveCholesky(curv.L, free.length, gFree).map((v) => -v);
    } else {
      // Neither Hessian is usable: a short steepest-descent step, scaled to the parameters.
      const scale = Math.max(1e-8, ...free.map((k) => Math.abs(x[k])));
      const gnorm = Math.sqrt(gFree.reduce((s, v) => s + v * v, 0)) || 1;
      step = gFree.map((v) => (-v / gnorm) * 0.1 * scale);
    }
    // Longest step that keeps variances >= 0: the variance that would cross first lands on 0.
    let lambdaMax = 1;
    let hitting = -1;
    free.forEach((k, i) => {
      if (kinds[k] === 'variance' && step[i] < 0 && x[k] + step[i] < 0) {
        const lam = -x[k] / step[i];
        if (lam < lambdaMax) {
          lambdaMax = lam;
          hitting = k;
        }
      }
    });
    if (lambdaMax === 0 && hitting >= 0 && retries < q) {
      // a free variance already at 0 that the step would push below it: hold it and recompute the step
      atBound[hitting] = true;
      retries++;
      it--;
      continue;
    }
    retries = 0;
    let lambda = lambdaMax;
    let accepted: ObjectiveValue | null = null;
    let acceptedX = x;
    let acceptedHit = -1;
    for (let h = 0; h <= maxHalvings; h++) {
      const trialX = x.slice();
      free.forEach((k, i) => (trialX[k] += lambda * step[i]));
      const hit = lambda === lambdaMax ? hitting : -1;
      if (hit >= 0) trialX[hit] = 0;
      const trial = objective.evaluate(trialX);
      evaluations++;
      if (trial && trial.value <= ev.value + 1e-12 * Math.abs(ev.value)) {
        accepted = trial;
        acceptedX = trialX;
        acceptedHit = hit;
        break;
      }
      lambda /= 2;
    }
    if (!accepted) {
      failure = 'step halving failed to reduce the objective function';
      break;
    }
    if (acceptedHit >= 0) atBound[acceptedHit] = true;
    ev = accepted;
    x = acceptedX;

    const { criterion, observed } = relativeCriterion(ev);
    iterations.push({ iteration: it, evaluations, minus2ll: ev.value, criterion });
    evaluations = 0;
    if (criterion !== null && criterion < tolerance && observed) {
      converged = true;
      break;
    }
  }
  if (!converged && !failure) failure = `did not converge in ${maxIterations} iterations`;

  // Refinement past SAS's criterion: full Newton steps while they at least halve the criterion without
  // raising -2l beyond its rounding. (Near the optimum -2l changes by less than its last digits, so
  // the criterion, not -2l, says whether a step got closer.)
  if (converged) {
    let { criterion } = relativeCriterion(ev);
    for (let it = iterations.length; polishLeft > 0 && criterion !== null && criterion > polishTolerance; it++, polishLeft--) {
      const free = freeSet(ev);
      const curv = free.length > 0 ? curvature(ev, q, free) : null;
      if (!curv || !curv.observed) break;
      const g = ev.gradient;
      const gFree = Float64Array.from(free, (k) => g[k]);
      const step = solveCholesky(curv.L, free.length, gFree);
      const trialX = x.slice();
      let leavesBound = false;
      free.forEach((k, i) => {
        trialX[k] -= step[i];
        if (kinds[k] === 'variance' && trialX[k] < 0) leavesBound = true;
      });
      if (leavesBound) break;
      const trial = objective.evaluate(trialX);
      if (!trial || trial.value > ev.value + 1e-13 * Math.abs(ev.value)) break;
      const next = relativeCriterion(trial);
      if (next.criterion === null || !(next.criterion < 0.5 * criterion)) break;
      ev = trial;
      x = trialX;
      criterion = next.criterion;
      refinement.push({ iteration: it, evaluations: 1, minus2ll: ev.value, criterion });
    }
  }
  return { evaluation: ev.evaluation, value: ev, iterations, refinement, converged, atBound, failure };

  /** SAS's relative Hessian criterion g'H^-1 g / |f| over the free parameters, and whether H was the observed Hessian */
  function relativeCriterion(e: ObjectiveValue): { criterion: number | null; observed: boolean } {
    const free = activeFree(e);
    if (free.length === 0) return { criterion: 0, observed: true };
    const c = curvature(e, q, free);
    if (!c) return { criterion: null, observed: false };
    const gf = Float64Array.from(free, (k) => e.gradient[k]);
    const sol = solveCholesky(c.L, free.length, gf);
    let gHg = 0;
    for (let i = 0; i < gf.length; i++) gHg += gf[i] * sol[i];
    return { criterion: Math.abs(gHg) / Math.max(Math.abs(e.value + (options.criterionShift ?? 0) - objective.constant), 1e-12), observed: c.observed };
  }
}
