/**
 * Denominator degrees of freedom for t and F tests of fixed effects (SAS DDFM=).
 *
 * Classical methods give one df per fixed effect, whatever the hypothesis; the Solution table uses
 * the df of each column's effect, ESTIMATE the df of the final effect listed, LSMEANS the df of
 * the LS-means effect (SAS MIXED documentation). Approximate methods (Satterthwaite,
 * Kenward-Roger) depend on the hypothesis L and on the covariance parameters: they plug in through
 * the same `DenominatorDf` interface (`forHypothesis` receives L), see `denominatorDf`'s
 * `approximate` option.
 */
import { Matrix } from 'ml-matrix';
import type { Design } from '../design-types.js';
import type { CovarianceType, DfMethod, Term } from '../model-spec.js';
import { dot, matrixColumns, RANK_TOLERANCE, rankOfColumns } from './linear-algebra.js';
import { termContains } from './type3.js';
import { subjectVariables } from '../design.js';

export interface DenominatorDf {
  method: DfMethod;
  /** df of each fixed effect (index into Design.terms) */
  termDf: number[];
  /** df of each GLM column (its effect's df), for the Solution for Fixed Effects */
  columnDf: number[];
  /**
   * df for a hypothesis L about effect `termIndex` (Type 3 row, LS-means, ESTIMATE's final effect).
   * Classical methods ignore L; Satterthwaite / Kenward-Roger use it.
   */
  forHypothesis(termIndex: number, L: Matrix): number;
  /** notes for the report (e.g. why a method fell back to another) */
  notes: string[];
}

/** DDFM=RESIDUAL: n − rank(X) for every effect. */
export function residualDf(design: Pick<Design, 'n' | 'rankX'>): number {
  return design.n - design.rankX;
}

export interface BetweenWithinDf {
  between: number;
  within: number;
  /** per effect: true when the effect changes within some subject (gets the within df) */
  withinEffect: boolean[];
  termDf: number[];
}

/**
 * DDFM=BETWITHIN (Schluchter & Elashoff 1990, as SAS computes it): the residual df n − rank(X) split
 * into between-subject df = subjects − rank(between-subject columns) and within-subject df
 * = n − subjects − (rank(X) − rank(between-subject columns)). An effect that varies within any
 * subject gets the within df, the others the between df.
 *
 * SAS's exception: when the only covariance is R-side with TYPE=UN, every effect gets the
 * between-subject df (an unstructured R matrix estimates the within-subject covariance freely, so
 * within-subject contrasts have no more information than the between-subject ones).
 * Not implemented: SAS's partition of the within df into subject-by-effect components when there
 * are several within-subject classification effects.
 */
export function betweenWithinDf(
  design: Pick<Design, 'n' | 'X' | 'columns' | 'terms' | 'rankX' | 'subjects' | 'statistics'>,
  options: { rSideUnstructuredOnly: boolean },
): BetweenWithinDf {
  const sums = design.statistics;
  if (sums && !sums.withinEffect) throw new Error('between-within df: the data backend did not compute which effects vary within subjects');
  const S = sums ? sums.subjects : design.subjects.length;
  const withinEffect = sums
    ? sums.withinEffect!
    : design.terms.map((_, t) => design.columns.some((c, j) => c.termIndex === t && design.X.variesWithin(j, design.subjects)));
  // an intercept column outside the term list (termIndex −1) never varies
  const isBetween = (c: Design['columns'][number]) => !(c.termIndex >= 0 && withinEffect[c.termIndex]);
  const betweenColumns = design.columns.flatMap((c, j) => (isBetween(c) ? [j] : []));
  const rankBetween = sums
    ? rankOfCrossProduct(sums.XtX, design.columns.length, betweenColumns)
    : rankOfColumns(matrixColumns(design.X, betweenColumns));
  const between = S - rankBetween;
  const within = design.n - S - (design.rankX - rankBetween);
  const termDf = withinEffect.map((w) => (options.rSideUnstructuredOnly || !w ? between : within));
  return { between, within, withinEffect, termDf };
}

/**
 * rank of the columns `cols` of X from X'X (P x P): the rank of X_B'X_B, by an incremental Cholesky
 * with the relative pivot tolerance of the aliasing sweep.
 */
function rankOfCrossProduct(XtX: Float64Array, P: number, cols: number[]): number {
  const kept: number[] = [];
  const L: number[][] = [];
  for (const j of cols) {
    const w: number[] = [];
    for (let a = 0; a < kept.length; a++) {
      let s = XtX[kept[a]! * P + j]!;
      for (let k = 0; k < a; k++) s -= L[a]![k]! * w[k]!;
      w.push(s / L[a]![a]!);
    }
    let d = XtX[j * P + j]!;
    for (const wk of w) d -= wk * wk;
    if (!(XtX[j * P + j]! > 0) || d <= 1e4 * Number.EPSILON * XtX[j * P + j]!) continue;
    kept.push(j);
    L.push([...w, Math.sqrt(d)]);
  }
  return kept.length;
}

export interface ContainmentDf {
  /** n − rank[X Z] */
  residual: number;
  /** rank contribution of each random term (Design.randomTerms order) to [X Z] */
  randomRankContribution: number[];
  termDf: number[];
}

/**
 * A random term's effect as a variable list, with its SUBJECT= variables (RANDOM a / SUBJECT=s is a*s;
 * SUBJECT=Rat(Diet) is Rat*Diet, so it contains Diet).
 */
function randomEffectVariables(term: Term, subject: string | undefined): Term {
  return subject ? [...term, ...subjectVariables(subject)] : [...term];
}

/**
 * DDFM=CONTAIN: for fixed effect F, the random effects that syntactically contain F (their
 * variables, with the SUBJECT= effect, include all of F's); df = the smallest rank contribution of
 * those random effects to [X Z] (columns taken in order: X, then the random effects as listed).
 * Without a containing random effect, or when the smallest contribution is 0, the residual df
 * n − rank[X Z].
 */
export function containmentDf(design: Pick<Design, 'n' | 'X' | 'columns' | 'terms' | 'rankX' | 'subjects' | 'randomTerms' | 'zEntries'>): ContainmentDf {
  const prefixRanks = xzPrefixRanks(design);
  const randomRankContribution = design.randomTerms.map((_, k) => prefixRanks[k + 1]! - prefixRanks[k]!);
  const rankXZ = prefixRanks[prefixRanks.length - 1]!;
  const residual = design.n - rankXZ;
  const termDf = design.terms.map((term) => {
    let best = Infinity;
    design.randomTerms.forEach((rt, k) => {
      const effect = randomEffectVariables(rt.term, rt.subject);
      if (termContains(effect, term) || sameEffect(effect, term)) best = Math.min(best, randomRankContribution[k]!);
    });
    return Number.isFinite(best) && best > 0 ? best : residual;
  });
  return { residual, randomRankContribution, termDf };
}

/**
 * rank[X Z_1 … Z_k] for k = 0 … (number of random terms), without forming [X Z]: Z is block diagonal
 * over the subject blocks, so rank[X Z] = Σ_b rank(Z_b) + rank(Σ_b X_b'(I − P_b)X_b) with P_b the
 * projection onto the columns of Z_b. Every block is small; the cost grows linearly with the number of
 * subjects (a dense rank of [X Z] grew as N³: 1,000 subjects took 110 s).
 */
export function xzPrefixRanks(design: Pick<Design, 'X' | 'columns' | 'rankX' | 'subjects' | 'randomTerms' | 'zEntries'>): number[] {
  const T = design.randomTerms.length;
  const out = [design.rankX];
  if (T === 0 || !design.zEntries) return out;
  const kept = design.columns.flatMap((c, j) => (c.aliased ? [] : [j]));
  const p = kept.length;
  const { columns: zCol, values: zVal } = design.zEntries;
  // equilibration of X's columns, so that the rank of the residual cross-product is decided in units of each column
  const norm = new Float64Array(p);
  const XtX = design.X.crossProduct();
  const P = design.columns.length;
  for (let a = 0; a < p; a++) norm[a] = XtX[kept[a]! * P + kept[a]!]!;
  for (let a = 0; a < p; a++) norm[a] = norm[a]! > 0 ? 1 / Math.sqrt(norm[a]!) : 0;
  const zRank = new Array<number>(T).fill(0);
  const S = Array.from({ length: T }, () => new Float64Array(p * p));
  for (const block of design.subjects) {
    const m = block.rows.length;
    // the block's Z columns, term by term
    const basis: Float64Array[] = [];
    const Xb = block.rows.map((r) => Float64Array.from(kept, (j, a) => design.X.get(r, j) * norm[a]!));
    for (let t = 0; t < T; t++) {
      const local = new Map<number, Float64Array>();
      block.rows.forEach((r, i) => {
        const c = zCol[r * T + t]!;
        const v = zVal[r * T + t]!;
        let col = local.get(c);
        if (!col) local.set(c, (col = new Float64Array(m)));
        col[i]! += v;
      });
      for (const col of local.values()) {
        // Gram-Schmidt against the block's basis so far (twice, for accuracy)
        const r = Float64Array.from(col);
        const n0 = Math.sqrt(dot(r, r));
        if (n0 === 0) continue;
        for (let pass = 0; pass < 2; pass++) for (const q of basis) {
          const c = dot(q, r);
          for (let i = 0; i < m; i++) r[i]! -= c * q[i]!;
        }
        const n1 = Math.sqrt(dot(r, r));
        if (n1 > RANK_TOLERANCE * n0) {
          for (let i = 0; i < m; i++) r[i]! /= n1;
          basis.push(r);
          zRank[t]!++;
        }
      }
      // X_b minus its projection on the block's Z columns of terms 1..t: its cross-product
      const St = S[t]!;
      const E = Xb.map((row) => Float64Array.from(row));
      for (const q of basis) {
        for (let a = 0; a < p; a++) {
          let c = 0;
          for (let i = 0; i < m; i++) c += q[i]! * E[i]![a]!;
          for (let i = 0; i < m; i++) E[i]![a]! -= c * q[i]!;
        }
      }
      for (let i = 0; i < m; i++) {
        const e = E[i]!;
        for (let a = 0; a < p; a++) {
          const ea = e[a]!;
          if (ea === 0) continue;
          for (let b = 0; b < p; b++) St[a * p + b] += ea * e[b]!;
        }
      }
    }
  }
  let zTotal = 0;
  for (let t = 0; t < T; t++) {
    zTotal += zRank[t]!;
    out.push(zTotal + gramRank(S[t]!, p));
  }
  return out;
}

/** Rank of a p x p Gram matrix of unit-scaled columns: sequential Cholesky with a relative pivot test. */
function gramRank(G: Float64Array, p: number): number {
  const L: number[][] = [];
  const kept: number[] = [];
  for (let j = 0; j < p; j++) {
    const w: number[] = [];
    for (let a = 0; a < kept.length; a++) {
      let s = G[kept[a]! * p + j]!;
      for (let k = 0; k < a; k++) s -= L[a]![k]! * w[k]!;
      w.push(s / L[a]![a]!);
    }
    let d = G[j * p + j]!;
    for (const wk of w) d -= wk * wk;
    // the column keeps more than RANK_TOLERANCE of its (unit) length after the others: (1e-9)^2 of it squared
    if (!(d > 1e-12)) continue;
    kept.push(j);
    L.push([...w, Math.sqrt(d)]);
  }
  return kept.length;
}

function sameEffect(a: Term, b: Term): boolean {
  return a.length === b.length && [...a].sort().join('\u0000') === [...b].sort().join('\u0000');
}

/** What decides the df besides the design: the method and the covariance structure actually fitted. */
export interface DfContext {
  method: DfMethod;
  /** the R-side TYPE= of the fitted model (the chosen one after a selection), if any */
  repeatedType?: CovarianceType;
  /** whether the model has G-side (RANDOM) effects */
  hasRandom: boolean;
  /** whether the rows are processed by subjects (a SUBJECT= on REPEATED or RANDOM) */
  hasSubjects: boolean;
}

/**
 * Hypothesis-dependent df (Satterthwaite / Kenward-Roger): to be provided by the module that has
 * the covariance parameters and their asymptotic covariance.
 */
export type ApproximateDf = (L: Matrix, termIndex: number) => number;

export function denominatorDf(
  design: Pick<Design, 'n' | 'X' | 'columns' | 'terms' | 'rankX' | 'subjects' | 'zEntries' | 'randomTerms' | 'classLevels' | 'statistics'>,
  context: DfContext,
  options: { approximate?: ApproximateDf } = {},
): DenominatorDf {
  const notes: string[] = [];
  let termDf: number[];
  switch (context.method) {
    case 'residual':
      termDf = design.terms.map(() => residualDf(design));
      break;
    case 'between-within':
      if (!context.hasSubjects) {
        notes.push('DDFM=BETWITHIN needs subjects; residual df used');
        termDf = design.terms.map(() => residualDf(design));
      } else if (design.subjects.some((s) => s.rGroups)) {
        // SAS's rule for which subject splits the df when RANDOM and REPEATED subjects differ is not documented here
        throw new Error('df between-within is not implemented when random effects span several subjects (random … by site with subject patient): use df containment (the default with random effects), satterthwaite or kenward-roger');
      } else {
        const unException = context.repeatedType === 'UN' && !context.hasRandom;
        const bw = betweenWithinDf(design, { rSideUnstructuredOnly: unException });
        termDf = bw.termDf;
        // SAS splits the within-subject df among several within-subject classification effects; this
        // engine does not (yet), so say so rather than print df that may differ from SAS's.
        const withinClasses = new Set(
          design.terms.flatMap((t, k) => (bw.withinEffect[k] ? t.filter((v) => design.classLevels.has(v)) : [])),
        );
        if (!unException && withinClasses.size > 1) {
          notes.push(
            `between-within df: ${[...withinClasses].join(' and ')} both vary within subjects; SAS would partition the within-subject df (${bw.within}) among them, ` +
              'Study gives each within-subject effect all of it. Compare with df kenward-roger or satterthwaite.',
          );
        }
      }
      break;
    case 'containment':
      termDf = containmentDf(design).termDf;
      break;
    case 'satterthwaite':
    case 'kenward-roger': {
      const approximate = options.approximate;
      if (!approximate) throw new Error(`DDFM=${context.method} needs an approximate-df provider (not implemented here)`);
      // per-column df for the Solution table come from the single-column hypotheses
      const p = design.columns.length;
      const columnDf = design.columns.map((c, j) => {
        if (c.aliased) return NaN;
        const l = new Matrix(1, p);
        l.set(0, j, 1);
        return approximate(l, c.termIndex);
      });
      return {
        method: context.method,
        termDf: design.terms.map(() => NaN),
        columnDf,
        forHypothesis: (termIndex, L) => approximate(L, termIndex),
        notes,
      };
    }
  }
  // an intercept column outside the term list (termIndex −1; buildDesign always lists it) falls back to n − rank(X)
  const columnDf = design.columns.map((c) => (c.termIndex >= 0 ? termDf[c.termIndex]! : residualDf(design)));
  return { method: context.method, termDf, columnDf, forHypothesis: (termIndex) => termDf[termIndex]!, notes };
}
