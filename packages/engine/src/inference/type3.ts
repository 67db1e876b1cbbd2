/**
 * SAS Type III hypotheses ("The Four Types of Estimable Functions", Goodnight 1978) over the full
 * GLM-coded design.
 *
 * For an effect F the Type III estimable functions are the L such that
 *   1. L is estimable: L lies in the row space of X (the "general form of estimable functions":
 *      the coefficient of an aliased column is fixed by the coefficients of the columns it depends
 *      on, e.g. L(Intercept) = Σ L(time j));
 *   2. every effect that does not contain F (other than F itself) has zero coefficients, so the
 *      hypothesis is adjusted for them;
 *   3. L is orthogonal (as a coefficient vector) to the Type III hypotheses of every effect that
 *      contains F, which spreads F's coefficients with equal weights over the containing
 *      interaction columns.
 * Effects are processed from the highest order down so that the hypotheses of containing effects
 * are known. The basis is reported in reduced row echelon form with pivots in column order, which
 * is how SAS prints the E3 coefficients (e.g. A: rows A1 − A3 + ½(A*B 1 ·) − ½(A*B 3 ·), ...).
 *
 * With a covariate x class interaction this gives SAS's well-known hypotheses: `age` tests the
 * equally weighted average slope, and the class main effect tests differences at covariate = 0.
 */
import { Matrix, QrDecomposition } from 'ml-matrix';
import type { Design } from '../design-types.js';
import type { DesignMatrix } from '../design-matrix.js';
import type { Term } from '../model-spec.js';
import type { Type3Row } from '../results.js';
import { fTest, type FixedEffectsFit } from './contrasts.js';
import { dot, nullSpaceRows, reducedRowEchelon } from './linear-algebra.js';

/** The parts of the design that the hypotheses depend on. */
export type HypothesisDesign = Pick<Design, 'X' | 'columns' | 'terms' | 'termNames'>;

export interface EffectHypothesis {
  termIndex: number;
  effect: string;
  /** rows over all GLM columns (aliased ones included), reduced row echelon form */
  L: Matrix;
}

/**
 * True when effect `outer` contains effect `inner`: every variable of `inner` occurs in `outer`
 * (as a multiset, so x*x contains x) and `outer` has more. The intercept is contained in every
 * other effect.
 */
export function termContains(outer: Term, inner: Term): boolean {
  if (outer.length <= inner.length) return false;
  const pool = [...outer];
  for (const v of inner) {
    const k = pool.indexOf(v);
    if (k < 0) return false;
    pool.splice(k, 1);
  }
  return true;
}

/** X'X as a Matrix: the aliasing relations need only this p × p summary of X. */
function crossProduct(X: DesignMatrix): Matrix {
  const p = X.columns;
  const out = X.crossProduct();
  return new Matrix(Array.from({ length: p }, (_, a) => Array.from(out.subarray(a * p, (a + 1) * p))));
}

// Type 3 hypotheses, estimates and LS-means all ask for the relations of the same design.
const relationsCache = new WeakMap<DesignMatrix, Matrix>();
/** per relations matrix: sqrt of each column's X'X diagonal (the columns' scales), for scale-free tests */
const columnScales = new WeakMap<Matrix, Float64Array>();

/**
 * Basis of the null space of X, one row per aliased column j: e_j − Σ c_jk e_k where X_j = Σ c_jk X_k
 * over the non-aliased columns. L is estimable exactly when L is orthogonal to every row.
 * The coefficients solve (X_f'X_f) c = X_f'X_j — the same null space as X's, from the p × p cross
 * product, so the cost does not grow with the number of observations beyond one pass. The system is
 * equilibrated first (columns of unit length), so a covariate recorded in other units (age in days)
 * gives the same relations.
 */
export function aliasingRelations(design: Pick<Design, 'X' | 'columns' | 'statistics'>): Matrix {
  const cached = relationsCache.get(design.X);
  if (cached && cached.columns === design.columns.length) return cached;
  const p = design.columns.length;
  const free = design.columns.flatMap((c, j) => (c.aliased ? [] : [j]));
  const aliased = design.columns.flatMap((c, j) => (c.aliased ? [j] : []));
  const out = new Matrix(aliased.length, p);
  // a data backend sends X'X with its statistics (design.X then has no rows)
  const XtX = design.statistics ? new Matrix(Array.from({ length: p }, (_, a) => Array.from(design.statistics!.XtX.subarray(a * p, (a + 1) * p)))) : crossProduct(design.X);
  const d = Float64Array.from({ length: p }, (_, j) => Math.sqrt(XtX.get(j, j)) || 1);
  if (aliased.length > 0) {
    const scaled = new Matrix(p, p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) scaled.set(a, b, XtX.get(a, b) / (d[a]! * d[b]!));
    const qr = new QrDecomposition(scaled.selection(free, free));
    aliased.forEach((j, r) => {
      const coef = qr.solve(scaled.selection(free, [j]));
      out.set(r, j, 1);
      free.forEach((k, i) => {
        // back to the original columns: X_j = sum_k (c~_jk d_j / d_k) X_k
        const c = coef.get(i, 0);
        out.set(r, k, Math.abs(c) < 1e-10 ? 0 : (-c * d[j]!) / d[k]!);
      });
    });
  }
  relationsCache.set(design.X, out);
  columnScales.set(out, d);
  return out;
}

/**
 * Whether l'β is estimable: l is orthogonal to the aliasing relations, relative to the sizes of l and of
 * the relation measured in equilibrated columns (l_j d_j^-1 and n_j d_j), so that the answer does not
 * depend on a covariate's units.
 */
export function isEstimable(l: ArrayLike<number>, relations: Matrix, tolerance = 1e-8): boolean {
  const d = columnScales.get(relations);
  const scaledNorm = (v: ArrayLike<number>, power: 1 | -1) => {
    let s = 0;
    for (let j = 0; j < v.length; j++) {
      const x = d ? (power === 1 ? v[j]! * d[j]! : v[j]! / d[j]!) : v[j]!;
      s += x * x;
    }
    return Math.sqrt(s);
  };
  const scale = scaledNorm(l, -1);
  if (scale === 0) return true;
  for (let r = 0; r < relations.rows; r++) {
    const n = relations.getRow(r);
    if (Math.abs(dot(l, n)) > tolerance * scale * scaledNorm(n, 1)) return false;
  }
  return true;
}

/**
 * Type III coefficients are ratios of small integers (1/number of levels, ...); the eigen-based null
 * space leaves them off by ~1e-15. Snap entries within 1e-9 of a fraction with denominator <= 64
 * to it, so the rows print (and compare) like SAS's.
 */
function snapToSimpleFractions(m: Matrix): Matrix {
  for (let r = 0; r < m.rows; r++) {
    for (let j = 0; j < m.columns; j++) {
      const v = m.get(r, j);
      for (let d = 1; d <= 64; d++) {
        const k = Math.round(v * d);
        if (Math.abs(v - k / d) < 1e-9) {
          m.set(r, j, k / d);
          break;
        }
      }
    }
  }
  return m;
}

/**
 * Type III hypotheses for every effect (the intercept only when `includeIntercept`), in model
 * order.
 */
export function typeIIIHypotheses(design: HypothesisDesign, options: { includeIntercept?: boolean } = {}): EffectHypothesis[] {
  const p = design.columns.length;
  const relations = aliasingRelations(design);
  const termColumns = design.terms.map((_, t) => design.columns.flatMap((c, j) => (c.termIndex === t ? [j] : [])));
  // a column whose termIndex is -1 is an intercept not listed among the terms
  const interceptColumns = design.columns.flatMap((c, j) => (c.termIndex < 0 ? [j] : []));

  const order = design.terms.map((_, t) => t).sort((a, b) => design.terms[b]!.length - design.terms[a]!.length);
  const hypotheses = new Map<number, Matrix>();
  for (const t of order) {
    const term = design.terms[t]!;
    const constraints: number[][] = [];
    for (let r = 0; r < relations.rows; r++) constraints.push(relations.getRow(r));
    const unit = (j: number) => {
      const e = new Array<number>(p).fill(0);
      e[j] = 1;
      return e;
    };
    design.terms.forEach((other, u) => {
      if (u === t || termContains(other, term)) return;
      for (const j of termColumns[u]!) constraints.push(unit(j));
    });
    if (term.length > 0) for (const j of interceptColumns) constraints.push(unit(j));
    design.terms.forEach((other, u) => {
      if (u === t || !termContains(other, term)) return;
      const H = hypotheses.get(u)!;
      for (let r = 0; r < H.rows; r++) constraints.push(H.getRow(r));
    });
    const basis = nullSpaceRows(new Matrix(constraints.length ? constraints : [new Array<number>(p).fill(0)]), p);
    hypotheses.set(t, basis.rows > 0 ? snapToSimpleFractions(reducedRowEchelon(basis)) : new Matrix(0, p));
  }
  return design.terms.flatMap((term, t) =>
    term.length === 0 && !options.includeIntercept ? [] : [{ termIndex: t, effect: design.termNames[t]!, L: hypotheses.get(t)! }],
  );
}

/** Type 3 tests of fixed effects: one F test per effect with its L and denominator df. */
export function typeIIITests(
  design: HypothesisDesign,
  fit: FixedEffectsFit,
  denominatorDf: (termIndex: number, L: Matrix) => number,
  hypotheses: EffectHypothesis[] = typeIIIHypotheses(design),
): Type3Row[] {
  return hypotheses.map((h) => {
    // a fully aliased effect has no estimable Type 3 function: 0 numerator df and no test, as SAS prints it
    if (h.L.rows === 0) return { effect: h.effect, numdf: 0, dendf: null, F: null, p: null };
    const dendf = denominatorDf(h.termIndex, h.L);
    const test = fTest(h.L, fit, dendf);
    if (test.numdf === 0) return { effect: h.effect, numdf: 0, dendf: null, F: null, p: null };
    return { effect: h.effect, numdf: test.numdf, dendf, F: test.F, p: test.p };
  });
}
