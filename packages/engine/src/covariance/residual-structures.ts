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
 * Heterogeneous structures: R[i][j] = sqrt(v_i v_j) c(i, j) with a correlation c(i, j) that depends on
 * correlation parameters r_1..r_m. Parameters "Var(1)".."Var(t)", then the correlation parameters, as
 * SAS orders them (CSH, ARH(1), TOEPH(1)..TOEPH(t-1), Rho(1)..Rho(t-1)).
 */
abstract class HeterogeneousCorrelation implements ResidualStructure {
  abstract readonly type: CovarianceType;
  abstract readonly description: string;
  readonly parameters: CovarianceParameter[];
  readonly linear = false;
  constructor(
    readonly dimension: number,
    correlationNames: string[],
  ) {
    this.parameters = [];
    for (let i = 0; i < dimension; i++) this.parameters.push({ name: `Var(${i + 1})`, kind: 'variance' });
    for (const name of correlationNames) this.parameters.push({ name, kind: 'correlation' });
  }
  /** c(i, j) for i != j; r are the correlation parameters */
  protected abstract correlation(r: ArrayLike<number>, i: number, j: number): number;
  /** calls visit(m, dc/dr_m) for the correlation parameters c(i, j) depends on */
  protected abstract correlationGradient(r: ArrayLike<number>, i: number, j: number, visit: (m: number, v: number) => void): void;
  /** calls visit(m, n, d2c/dr_m dr_n) for m <= n, non-zero terms */
  protected abstract correlationSecond(r: ArrayLike<number>, i: number, j: number, visit: (m: number, n: number, v: number) => void): void;

  private rhos(theta: ArrayLike<number>): ArrayLike<number> {
    return Array.prototype.slice.call(theta, this.dimension) as number[];
  }

  entry(theta: ArrayLike<number>, i: number, j: number): number {
    if (i === j) return theta[i];
    return Math.sqrt(theta[i] * theta[j]) * this.correlation(this.rhos(theta), i, j);
  }
  entryGradient(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, v: number) => void): void {
    if (i === j) {
      visit(i, 1);
      return;
    }
    const r = this.rhos(theta);
    const c = this.correlation(r, i, j);
    const vi = theta[i];
    const vj = theta[j];
    const s = Math.sqrt(vi * vj);
    visit(i, (c * Math.sqrt(vj / vi)) / 2);
    visit(j, (c * Math.sqrt(vi / vj)) / 2);
    this.correlationGradient(r, i, j, (m, dc) => visit(this.dimension + m, s * dc));
  }
  entrySecond(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, l: number, v: number) => void): void {
    if (i === j) return;
    const r = this.rhos(theta);
    const c = this.correlation(r, i, j);
    const vi = theta[i];
    const vj = theta[j];
    const t = this.dimension;
    visit(i, i, (-c * Math.sqrt(vj) * Math.pow(vi, -1.5)) / 4);
    visit(j, j, (-c * Math.sqrt(vi) * Math.pow(vj, -1.5)) / 4);
    visit(Math.min(i, j), Math.max(i, j), c / (4 * Math.sqrt(vi * vj)));
    this.correlationGradient(r, i, j, (m, dc) => {
      visit(i, t + m, (dc * Math.sqrt(vj / vi)) / 2);
      visit(j, t + m, (dc * Math.sqrt(vi / vj)) / 2);
    });
    const s = Math.sqrt(vi * vj);
    this.correlationSecond(r, i, j, (m, n, d2c) => visit(t + m, t + n, s * d2c));
  }
  identity(): number[] {
    const t = new Array<number>(this.parameters.length).fill(0);
    for (let i = 0; i < this.dimension; i++) t[i] = 1;
    return t;
  }
}

/** Heterogeneous compound symmetry: common correlation "CSH", own variance per position. */
export class HeterogeneousCompoundSymmetryCovariance extends HeterogeneousCorrelation {
  readonly type: CovarianceType = 'CSH';
  readonly description = 'Heterogeneous Compound Symmetry';
  constructor(dimension: number) {
    super(dimension, ['CSH']);
  }
  protected correlation(r: ArrayLike<number>): number {
    return r[0];
  }
  protected correlationGradient(_r: ArrayLike<number>, _i: number, _j: number, visit: (m: number, v: number) => void): void {
    visit(0, 1);
  }
  protected correlationSecond(): void {}
}

/** Heterogeneous AR(1): correlation "ARH(1)"^|i-j|, own variance per position. */
export class HeterogeneousAutoregressiveCovariance extends HeterogeneousCorrelation {
  readonly type: CovarianceType = 'ARH1';
  readonly description = 'Heterogeneous Autoregressive';
  constructor(dimension: number) {
    super(dimension, ['ARH(1)']);
  }
  protected correlation(r: ArrayLike<number>, i: number, j: number): number {
    return Math.pow(r[0], Math.abs(i - j));
  }
  protected correlationGradient(r: ArrayLike<number>, i: number, j: number, visit: (m: number, v: number) => void): void {
    const d = Math.abs(i - j);
    visit(0, d * Math.pow(r[0], d - 1));
  }
  protected correlationSecond(r: ArrayLike<number>, i: number, j: number, visit: (m: number, n: number, v: number) => void): void {
    const d = Math.abs(i - j);
    if (d > 1) visit(0, 0, d * (d - 1) * Math.pow(r[0], d - 2));
  }
}

/**
 * Heterogeneous Toeplitz: one correlation per lag, "TOEPH(1)".."TOEPH(t-1)" for lags 1..t-1, own
 * variance per position: R[i][j] = sqrt(v_i v_j) rho_|i-j|.
 */
export class HeterogeneousToeplitzCovariance extends HeterogeneousCorrelation {
  readonly type: CovarianceType = 'TOEPH';
  readonly description = 'Heterogeneous Toeplitz';
  constructor(dimension: number) {
    super(dimension, Array.from({ length: Math.max(0, dimension - 1) }, (_, k) => `TOEPH(${k + 1})`));
  }
  protected correlation(r: ArrayLike<number>, i: number, j: number): number {
    return r[Math.abs(i - j) - 1];
  }
  protected correlationGradient(_r: ArrayLike<number>, i: number, j: number, visit: (m: number, v: number) => void): void {
    visit(Math.abs(i - j) - 1, 1);
  }
  protected correlationSecond(): void {}
}

/**
 * First-order ante-dependence: R[i][j] = sqrt(v_i v_j) prod_{k=min(i,j)}^{max(i,j)-1} rho_k, with
 * "Var(1)".."Var(t)" and "Rho(1)".."Rho(t-1)" (rho_k correlates positions k and k+1).
 */
export class AnteDependenceCovariance extends HeterogeneousCorrelation {
  readonly type: CovarianceType = 'ANTE1';
  readonly description = 'Ante-dependence';
  constructor(dimension: number) {
    super(dimension, Array.from({ length: Math.max(0, dimension - 1) }, (_, k) => `Rho(${k + 1})`));
  }
  private product(r: ArrayLike<number>, lo: number, hi: number, skip1 = -1, skip2 = -1): number {
    let p = 1;
    for (let k = lo; k < hi; k++) if (k !== skip1 && k !== skip2) p *= r[k];
    return p;
  }
  protected correlation(r: ArrayLike<number>, i: number, j: number): number {
    return this.product(r, Math.min(i, j), Math.max(i, j));
  }
  protected correlationGradient(r: ArrayLike<number>, i: number, j: number, visit: (m: number, v: number) => void): void {
    const lo = Math.min(i, j);
    const hi = Math.max(i, j);
    for (let m = lo; m < hi; m++) visit(m, this.product(r, lo, hi, m));
  }
  protected correlationSecond(r: ArrayLike<number>, i: number, j: number, visit: (m: number, n: number, v: number) => void): void {
    const lo = Math.min(i, j);
    const hi = Math.max(i, j);
    for (let m = lo; m < hi; m++) for (let n = m + 1; n < hi; n++) visit(m, n, this.product(r, lo, hi, m, n));
  }
}

/**
 * Spatial structures over coordinates: R[i][j] = sigma^2 f(d_ij) with d_ij the Euclidean distance of
 * positions i and j, parameters "SP(POW)" / "SP(EXP)" / "SP(GAU)" then "Residual", as SAS orders them:
 *   SP(POW): f = rho^d        (rho a correlation: the correlation at distance 1)
 *   SP(EXP): f = exp(-d/theta)
 *   SP(GAU): f = exp(-d^2/theta^2)   (theta a range, > 0)
 * A position is a distinct coordinate vector (`coordinates[position]`), so visits at unequal
 * distances get the correlation their distance implies, which AR(1) cannot express.
 */
export class SpatialCovariance implements ResidualStructure {
  readonly type: CovarianceType;
  readonly description: string;
  readonly parameters: CovarianceParameter[];
  readonly linear = false;
  readonly dimension: number;
  private readonly distance: Float64Array;

  constructor(
    type: 'SPPOW' | 'SPEXP' | 'SPGAU',
    readonly coordinates: number[][],
  ) {
    this.type = type;
    const form = type === 'SPPOW' ? 'POW' : type === 'SPEXP' ? 'EXP' : 'GAU';
    this.description = `Spatial ${form === 'POW' ? 'Power' : form === 'EXP' ? 'Exponential' : 'Gaussian'}`;
    this.parameters = [
      { name: `SP(${form})`, kind: type === 'SPPOW' ? 'correlation' : 'range' },
      { name: 'Residual', kind: 'variance' },
    ];
    const t = coordinates.length;
    this.dimension = t;
    this.distance = new Float64Array(t * t);
    for (let i = 0; i < t; i++) {
      for (let j = 0; j < i; j++) {
        let s = 0;
        for (let c = 0; c < coordinates[i].length; c++) s += (coordinates[i][c] - coordinates[j][c]) ** 2;
        this.distance[i * t + j] = this.distance[j * t + i] = Math.sqrt(s);
      }
    }
  }

  /** f(d), f'(d) and f''(d) in the spatial parameter */
  private correlation(a: number, d: number): [number, number, number] {
    if (d === 0) return [1, 0, 0];
    switch (this.type) {
      case 'SPPOW':
        return [Math.pow(a, d), d * Math.pow(a, d - 1), d * (d - 1) * Math.pow(a, d - 2)];
      case 'SPEXP': {
        const f = Math.exp(-d / a);
        return [f, (f * d) / (a * a), f * ((d * d) / a ** 4 - (2 * d) / a ** 3)];
      }
      default: {
        const f = Math.exp(-(d * d) / (a * a));
        return [f, (2 * f * d * d) / a ** 3, f * ((4 * d ** 4) / a ** 6 - (6 * d * d) / a ** 4)];
      }
    }
  }
  private d(i: number, j: number): number {
    return this.distance[i * this.dimension + j];
  }
  entry(theta: ArrayLike<number>, i: number, j: number): number {
    return theta[1] * this.correlation(theta[0], this.d(i, j))[0];
  }
  entryGradient(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, v: number) => void): void {
    const [f, df] = this.correlation(theta[0], this.d(i, j));
    if (i !== j) visit(0, theta[1] * df);
    visit(1, f);
  }
  entrySecond(theta: ArrayLike<number>, i: number, j: number, visit: (k: number, l: number, v: number) => void): void {
    if (i === j) return;
    const [, df, d2f] = this.correlation(theta[0], this.d(i, j));
    visit(0, 0, theta[1] * d2f);
    visit(0, 1, df);
  }
  /** R = I: rho = 0 (SP(POW)), or a range so small that every correlation underflows to 0 */
  identity(): number[] {
    return [this.type === 'SPPOW' ? 0 : this.smallestDistance() / 1000, 1];
  }
  private smallestDistance(): number {
    let m = Infinity;
    for (let k = 0; k < this.distance.length; k++) if (this.distance[k] > 0) m = Math.min(m, this.distance[k]);
    return Number.isFinite(m) ? m : 1;
  }
  /** ranges of a few multiples of the typical distance (or correlations at distance 1) */
  startGrid(): { index: number; values: number[] }[] {
    if (this.type === 'SPPOW') return [{ index: 0, values: [0.1, 0.3, 0.5, 0.7, 0.9] }];
    const positive = Array.from(this.distance).filter((d) => d > 0).sort((a, b) => a - b);
    const median = positive.length ? positive[Math.floor(positive.length / 2)] : 1;
    return [{ index: 0, values: [0.25, 0.5, 1, 2, 4].map((f) => f * median) }];
  }
}

export function residualStructure(
  type: CovarianceType,
  dimension: number,
  options: { toeplitzBands?: number; coordinates?: number[][] } = {},
): ResidualStructure {
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
    case 'TOEPH':
      return new HeterogeneousToeplitzCovariance(dimension);
    case 'ANTE1':
      return new AnteDependenceCovariance(dimension);
    case 'SPPOW':
    case 'SPEXP':
    case 'SPGAU':
      if (!options.coordinates) throw new Error(`${type} needs coordinates`);
      return new SpatialCovariance(type, options.coordinates);
  }
}
