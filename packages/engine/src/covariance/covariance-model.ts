/**
 * The covariance of one subject's observations, V_i = Z_i G Z_i' + R_i, as a function of all
 * covariance parameters: G-side parameters first (in RANDOM statement order), then the R-side ones,
 * which is the order of SAS's Covariance Parameter Estimates table.
 */
import type { Design } from '../design-types.js';
import type { CovarianceType, ModelSpec } from '../model-spec.js';
import { RandomEffectsCovariance } from './random-effects.js';
import { residualStructure } from './residual-structures.js';
import type { ParameterKind, ResidualStructure } from './structure.js';

export interface ModelParameter {
  name: string;
  kind: ParameterKind;
  /** SAS's Subject column of the Covariance Parameter Estimates table */
  subject?: string;
  side: 'G' | 'R';
}

/** What V of one block depends on besides the parameters. */
export interface BlockLayout {
  /** R-matrix position of each row */
  positions: number[];
  /**
   * R-side subject of each row, when the block holds several (a RANDOM effect spanning several
   * REPEATED subjects, e.g. sites over patients): R entries between different R-subjects are 0.
   * Undefined: one R-subject.
   */
  rGroups?: number[];
  /** the block's rows of Z restricted to the columns it uses: m x localColumns.length, row-major */
  zLocal: Float64Array;
  /** global Z column of each local column */
  localColumns: number[];
}

export class CovarianceModel {
  readonly parameters: ModelParameter[];
  readonly residual: ResidualStructure;
  readonly random: RandomEffectsCovariance | null;
  /** number of G-side parameters (they come first) */
  readonly gSize: number;

  constructor(
    design: Design,
    spec: ModelSpec,
    readonly structure: CovarianceType,
  ) {
    const dimension = design.repeatedLevels
      ? design.repeatedLevels.length
      : design.subjects.reduce((m, s) => s.positions.reduce((mm, x) => Math.max(mm, x + 1), m), 0);
    this.residual = residualStructure(structure, dimension, { toeplitzBands: spec.repeated?.toeplitzBands });
    this.random = spec.random.length > 0 ? new RandomEffectsCovariance(design, spec.random) : null;
    this.gSize = this.random?.size ?? 0;
    const gParams: ModelParameter[] = (this.random?.parameters ?? []).map((p) => ({ ...p, side: 'G' as const }));
    const rParams: ModelParameter[] = this.residual.parameters.map((p) => ({
      ...p,
      // SAS prints the subject on R-side rows except the plain "Residual" row
      subject: p.name === 'Residual' ? undefined : spec.subject,
      side: 'R' as const,
    }));
    this.parameters = [...gParams, ...rParams];
  }

  get size(): number {
    return this.parameters.length;
  }

  /** parameters at which V = I, the MIVQUE0 expansion point */
  identity(): number[] {
    return [...(this.random?.identity() ?? []), ...this.residual.identity()];
  }

  /** false when a parameter is outside its admissible range (a correlation not in (-1, 1)) */
  admissible(theta: ArrayLike<number>): boolean {
    for (let k = 0; k < this.parameters.length; k++) {
      if (!Number.isFinite(theta[k])) return false;
      if (this.parameters[k].kind === 'correlation' && !(Math.abs(theta[k]) < 1)) return false;
    }
    return true;
  }

  private residualTheta(theta: ArrayLike<number>): ArrayLike<number> {
    return this.gSize === 0 ? theta : Array.prototype.slice.call(theta, this.gSize);
  }

  /** V of one block (m x m, row-major) */
  blockCovariance(theta: ArrayLike<number>, layout: BlockLayout): Float64Array {
    const m = layout.positions.length;
    const V = new Float64Array(m * m);
    const rt = this.residualTheta(theta);
    const pos = layout.positions;
    const rg = layout.rGroups;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b <= a; b++) V[a * m + b] = V[b * m + a] = rg && rg[a] !== rg[b] ? 0 : this.residual.entry(rt, pos[a], pos[b]);
    }
    if (this.random) {
      const g = layout.localColumns.length;
      const Z = layout.zLocal;
      for (let c1 = 0; c1 < g; c1++) {
        for (let c2 = 0; c2 < g; c2++) {
          const gv = this.random.entry(theta, layout.localColumns[c1], layout.localColumns[c2]);
          if (gv === 0) continue;
          for (let a = 0; a < m; a++) {
            const za = Z[a * g + c1] * gv;
            if (za === 0) continue;
            for (let b = 0; b < m; b++) V[a * m + b] += za * Z[b * g + c2];
          }
        }
      }
    }
    return V;
  }

  /** dV/dtheta_k for every parameter (null where the block does not depend on it) */
  blockDerivatives(theta: ArrayLike<number>, layout: BlockLayout): (Float64Array | null)[] {
    const m = layout.positions.length;
    const out: (Float64Array | null)[] = new Array(this.size).fill(null);
    const get = (k: number) => (out[k] ??= new Float64Array(m * m));
    if (this.random) {
      const g = layout.localColumns.length;
      const Z = layout.zLocal;
      for (let c1 = 0; c1 < g; c1++) {
        for (let c2 = 0; c2 < g; c2++) {
          const k = this.random.parameterOf(layout.localColumns[c1], layout.localColumns[c2]);
          if (k < 0) continue;
          const D = get(k);
          for (let a = 0; a < m; a++) {
            const za = Z[a * g + c1];
            if (za === 0) continue;
            for (let b = 0; b < m; b++) D[a * m + b] += za * Z[b * g + c2];
          }
        }
      }
    }
    const rt = this.residualTheta(theta);
    const pos = layout.positions;
    const rg = layout.rGroups;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b <= a; b++) {
        if (rg && rg[a] !== rg[b]) continue;
        this.residual.entryGradient(rt, pos[a], pos[b], (k, v) => {
          const D = get(this.gSize + k);
          D[a * m + b] += v;
          if (a !== b) D[b * m + a] += v;
        });
      }
    }
    return out;
  }

  /** non-zero second derivatives d2V/dtheta_k dtheta_l, k <= l (only R-side structures are non-linear) */
  blockSecondDerivatives(theta: ArrayLike<number>, layout: BlockLayout): { k: number; l: number; matrix: Float64Array }[] {
    if (this.residual.linear) return [];
    const m = layout.positions.length;
    const map = new Map<number, { k: number; l: number; matrix: Float64Array }>();
    const rt = this.residualTheta(theta);
    const pos = layout.positions;
    const rg = layout.rGroups;
    const size = this.size;
    for (let a = 0; a < m; a++) {
      for (let b = 0; b <= a; b++) {
        if (rg && rg[a] !== rg[b]) continue;
        this.residual.entrySecond(rt, pos[a], pos[b], (k, l, v) => {
          const kk = this.gSize + k;
          const ll = this.gSize + l;
          const key = kk * size + ll;
          let e = map.get(key);
          if (!e) map.set(key, (e = { k: kk, l: ll, matrix: new Float64Array(m * m) }));
          e.matrix[a * m + b] += v;
          if (a !== b) e.matrix[b * m + a] += v;
        });
      }
    }
    return [...map.values()];
  }
}
