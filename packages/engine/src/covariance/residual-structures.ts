/**
 * R-side structures of PROC MIXED's REPEATED statement, with SAS's parameter names and order.
 * Positions i, j are 0-based indices of the repeated effect's levels (so AR(1) lags count levels,
 * and a missed visit keeps its place).
 */
import type { CovarianceType } from '../model-spec.js';
import type { CovarianceParameter, ResidualStructure } from './structure.js';

/** sigma^2 I: SAS's default R = "Residual". */
export class VarianceComponentsResidual implements ResidualStructure {
  readonly type: CovarianceType = 'VC';
  readonly description = 'Variance Components';
  readonly parameters: CovarianceParameter[] = [{ name: 'Residual', kind: 'variance' }];
  readonly linear = true;
  constructor(readonly dimension: number) {}
  entry(theta: ArrayLike<number>, i: number, j: number): number {
    return i === j ? theta[0] : 0;
  }
  entryGradient(_t: ArrayLike<number>, i: number, j: number, visit: (k: number, v: number) => void): void {
    if (i === j) visit(0, 1);
  }
  entrySecond(): void {}
  identity(): number[] {
    return [1];
  }
}

/** Compound symmetry: a common covariance "CS" plus "Residual" on the diagonal. */
export class CompoundSymmetryCovariance implements ResidualStructure {
  readonly type: CovarianceType = 'CS';
  readonly description = 'Compound Symmetry';
  readonly parameters: CovarianceParameter[] = [
    { name: 'CS', kind: 'covariance' },
    { name: 'Residual', kind: 'variance' },
  ];
  readonly linear = true;
  constructor(readonly dimension: number) {}
  entry(theta: ArrayLike<number>, i: number, j: number): number {
    return theta[0] + (i === j ? theta[1] : 0);
  }
  entryGradient(_t: ArrayLike<number>, i: number, j: number, visit: (k: number, v: number) => void): void {
    visit(0, 1);
    if (i === j) visit(1, 1);
  }
  entrySecond(): void {}
  identity(): number[] {
    return [0, 1];
  }
}

/** First-order autoregressive: sigma^2 rho^|i-j|, parameters "AR(1)" (rho) then "Residual" (sigma^2). */
export class AutoregressiveCovariance implements ResidualStructure {
  readonly type: CovarianceType = 'AR1';
  readonly description = 'Autoregressive';
  readonly parameters: CovarianceParameter[] = [
    { name: 'AR(1)', kind: 'correlation' },
    { name: 'Residual', kind: 'variance' },
  ];
  readonly linear = false;
  constructor(readonly dimension: number) {}
  entry(theta: ArrayLike<number>, i: number, j: number): number {
    return theta[1] * Math.pow(theta[0], Math.abs(i - j));
  }
  entryGradient(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, v: number) => void): void {
    const d = Math.abs(i - j);
    if (d > 0) visit(0, theta[1] * d * Math.pow(theta[0], d - 1));
    visit(1, Math.pow(theta[0], d));
  }
  entrySecond(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, l: number, v: number) => void): void {
    const d = Math.abs(i - j);
    if (d > 1) visit(0, 0, theta[1] * d * (d - 1) * Math.pow(theta[0], d - 2));
    if (d > 0) visit(0, 1, d * Math.pow(theta[0], d - 1));
  }
  identity(): number[] {
    return [0, 1];
  }
}

/** Index of UN(i+1, j+1), i >= j, in SAS's order UN(1,1), UN(2,1), UN(2,2), UN(3,1), ... */
export function unstructuredIndex(i: number, j: number): number {
  const a = Math.max(i, j);
  const b = Math.min(i, j);
  return (a * (a + 1)) / 2 + b;
}

export function unstructuredParameters(dimension: number): CovarianceParameter[] {
  const out: CovarianceParameter[] = [];
  for (let i = 0; i < dimension; i++) {
    for (let j = 0; j <= i; j++) out.push({ name: `UN(${i + 1},${j + 1})`, kind: i === j ? 'variance' : 'covariance' });
  }
  return out;
}

/** Unstructured: every variance and covariance its own parameter. */
export class UnstructuredCovariance implements ResidualStructure {
  readonly type: CovarianceType = 'UN';
  readonly description = 'Unstructured';
  readonly parameters: CovarianceParameter[];
  readonly linear = true;
  constructor(readonly dimension: number) {
    this.parameters = unstructuredParameters(dimension);
  }
  entry(theta: ArrayLike<number>, i: number, j: number): number {
    return theta[unstructuredIndex(i, j)];
  }
  entryGradient(_t: ArrayLike<number>, i: number, j: number, visit: (k: number, v: number) => void): void {
    visit(unstructuredIndex(i, j), 1);
  }
  entrySecond(): void {}
  identity(): number[] {
    const t = new Array<number>(this.parameters.length).fill(0);
    for (let i = 0; i < this.dimension; i++) t[unstructuredIndex(i, i)] = 1;
    return t;
  }
}

/**
 * Toeplitz: one covariance per lag; "TOEP(2)".."TOEP(q)" are lags 1..q-1, "Residual" is lag 0.
 * With q bands (SAS TYPE=TOEP(q)) lags of q or more have covariance 0; by default q = t, every lag.
 */
export class ToeplitzCovariance implements ResidualStructure {
  readonly type: CovarianceType = 'TOEP';
  readonly description: string;
  readonly parameters: CovarianceParameter[];
  readonly linear = true;
  readonly bands: number;
  constructor(
    readonly dimension: number,
    bands?: number,
  ) {
    this.bands = Math.max(1, Math.min(bands ?? dimension, dimension));
    this.description = this.bands < dimension ? `Banded Toeplitz (${this.bands})` : 'Toeplitz';
    this.parameters = [];
    for (let lag = 1; lag < this.bands; lag++) this.parameters.push({ name: `TOEP(${lag + 1})`, kind: 'covariance' });
    this.parameters.push({ name: 'Residual', kind: 'variance' });
  }
  private indexOfLag(lag: number): number {
    return lag === 0 ? this.bands - 1 : lag - 1;
  }
  entry(theta: ArrayLike<number>, i: number, j: number): number {
    const lag = Math.abs(i - j);
    return lag < this.bands ? theta[this.indexOfLag(lag)] : 0;
  }
  entryGradient(_t: ArrayLike<number>, i: number, j: number, visit: (k: number, v: number) => void): void {
    const lag = Math.abs(i - j);
    if (lag < this.bands) visit(this.indexOfLag(lag), 1);
  }
  entrySecond(): void {}
  identity(): number[] {
    const t = new Array<number>(this.bands).fill(0);
    t[this.bands - 1] = 1;
    return t;
  }
}

/**
 * Heterogeneous structures: R[i][j] = sqrt(v_i v_j) c(i, j) with a correlation c depending on one
 * parameter rho. Parameters "Var(1)".."Var(t)", then the correlation.
 */
abstract class HeterogeneousCorrelation implements ResidualStructure {
  abstract readonly type: CovarianceType;
  abstract readonly description: string;
  readonly parameters: CovarianceParameter[];
  readonly linear = false;
  constructor(
    readonly dimension: number,
    correlationName: string,
  ) {
    this.parameters = [];
    for (let i = 0; i < dimension; i++) this.parameters.push({ name: `Var(${i + 1})`, kind: 'variance' });
    this.parameters.push({ name: correlationName, kind: 'correlation' });
  }
  /** correlation of positions i != j, and its first and second derivatives in rho */
  protected abstract correlation(rho: number, i: number, j: number): [number, number, number];

  entry(theta: ArrayLike<number>, i: number, j: number): number {
    if (i === j) return theta[i];
    return Math.sqrt(theta[i] * theta[j]) * this.correlation(theta[this.dimension], i, j)[0];
  }
  entryGradient(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, v: number) => void): void {
    if (i === j) {
      visit(i, 1);
      return;
    }
    const [c, dc] = this.correlation(theta[this.dimension], i, j);
    const vi = theta[i];
    const vj = theta[j];
    const s = Math.sqrt(vi * vj);
    visit(i, (c * Math.sqrt(vj / vi)) / 2);
    visit(j, (c * Math.sqrt(vi / vj)) / 2);
    visit(this.dimension, s * dc);
  }
  entrySecond(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, l: number, v: number) => void): void {
    if (i === j) return;
    const [c, dc, d2c] = this.correlation(theta[this.dimension], i, j);
    const vi = theta[i];
    const vj = theta[j];
    const r = this.dimension;
    visit(i, i, (-c * Math.sqrt(vj) * Math.pow(vi, -1.5)) / 4);
    visit(j, j, (-c * Math.sqrt(vi) * Math.pow(vj, -1.5)) / 4);
    visit(Math.min(i, j), Math.max(i, j), c / (4 * Math.sqrt(vi * vj)));
    visit(i, r, (dc * Math.sqrt(vj / vi)) / 2);
    visit(j, r, (dc * Math.sqrt(vi / vj)) / 2);
    visit(r, r, Math.sqrt(vi * vj) * d2c);
  }
  identity(): number[] {
    const t = new Array<number>(this.dimension + 1).fill(1);
    t[this.dimension] = 0;
    return t;
  }
}

/** Heterogeneous compound symmetry: common correlation "CSH", own variance per position. */
export class HeterogeneousCompoundSymmetryCovariance extends HeterogeneousCorrelation {
  readonly type: CovarianceType = 'CSH';
  readonly description = 'Heterogeneous Compound Symmetry';
  constructor(dimension: number) {
    super(dimension, 'CSH');
  }
  protected correlation(rho: number): [number, number, number] {
    return [rho, 1, 0];
  }
}

/** Heterogeneous AR(1): correlation "ARH(1)"^|i-j|, own variance per position. */
export class HeterogeneousAutoregressiveCovariance extends HeterogeneousCorrelation {
  readonly type: CovarianceType = 'ARH1';
  readonly description = 'Heterogeneous Autoregressive';
  constructor(dimension: number) {
    super(dimension, 'ARH(1)');
  }
  protected correlation(rho: number, i: number, j: number): [number, number, number] {
    const d = Math.abs(i - j);
    return [Math.pow(rho, d), d * Math.pow(rho, d - 1), d > 1 ? d * (d - 1) * Math.pow(rho, d - 2) : 0];
  }
}

export function residualStructure(type: CovarianceType, dimension: number, options: { toeplitzBands?: number } = {}): ResidualStructure {
  switch (type) {
    case 'VC':
      return new VarianceComponentsResidual(dimension);
    case 'CS':
      return new CompoundSymmetryCovariance(dimension);
    case 'AR1':
      return new AutoregressiveCovariance(dimension);
    case 'UN':
      return new UnstructuredCovariance(dimension);
    case 'TOEP':
      return new ToeplitzCovariance(dimension, options.toeplitzBands);
    case 'CSH':
      return new HeterogeneousCompoundSymmetryCovariance(dimension);
    case 'ARH1':
      return new HeterogeneousAutoregressiveCovariance(dimension);
  }
}
