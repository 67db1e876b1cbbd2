/**
 * The covariance of one subject's observations, V_i = Z_i G Z_i' + R_i, as a function of all
 * covariance parameters: G-side parameters first (in RANDOM statement order), then the R-side ones,
 * which is the order of SAS's Covariance Parameter Estimates table.
 */
import type { Design } from '../design-types.js';
import type { CovarianceType, ModelSpec } from '../model-spec.js';
import { RandomEffectsCovariance } from './random-effects.js';
import { residualStructure } from './residual-structures.js';
import type { CovarianceParameter, ParameterKind, ResidualStructure } from './structure.js';

export interface ModelParameter {
  name: string;
  kind: ParameterKind;
  /** SAS's Subject column of the Covariance Parameter Estimates table */
  subject?: string;
  /** SAS's Group column (GROUP=): the variable and its level, "ARMCD PBO" */
  group?: string;
  side: 'G' | 'R';
}

/** The R-side structure to build, with what it needs besides the dimension. */
export interface ResidualChoice {
  type: CovarianceType;
  toeplitzBands?: number;
  /** spatial structures: the coordinate vector of each position */
  coordinates?: number[][];
}

/**
 * The parameters of one group's copy of a structure under GROUP=, as SAS names and orders them: a
 * structure with a common "Residual" scale (CS, AR(1), TOEP, the spatial ones) has it renamed
 * "Variance" and listed first (SAS prints CS then Residual without GROUP=, Variance then CS with it).
 * Returns the parameters and, for each, the index it has in the ungrouped structure.
 */
function groupedParameters(params: CovarianceParameter[]): { parameters: CovarianceParameter[]; order: number[] } {
  const residual = params.findIndex((p) => p.name === 'Residual');
  if (residual < 0 || params.length === 1) return { parameters: params.slice(), order: params.map((_, k) => k) };
  const order = [residual, ...params.map((_, k) => k).filter((k) => k !== residual)];
  return { parameters: order.map((k) => (k === residual ? { name: 'Variance', kind: params[k].kind } : params[k])), order };
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
  /** GROUP=: the group (index into CovarianceModel.groupLevels) of each row; undefined: one group */
  groups?: number[];
}

export class CovarianceModel {
  readonly parameters: ModelParameter[];
  /** the R-side structure of one group (every group has its own copy of its parameters) */
  readonly residual: ResidualStructure;
  readonly random: RandomEffectsCovariance | null;
  /** number of G-side parameters (they come first) */
  readonly gSize: number;
  readonly structure: CovarianceType;
  /** GROUP= levels, in SAS's order; [] without GROUP= */
  readonly groupLevels: string[];
  /** per group: the index in theta of each of the structure's parameters (its own order) */
  private readonly residualIndex: number[][];

  constructor(design: Design, spec: ModelSpec, choice: CovarianceType | ResidualChoice) {
    const c: ResidualChoice = typeof choice === 'string' ? { type: choice, toeplitzBands: spec.repeated?.toeplitzBands } : choice;
    this.structure = c.type;
    const dimension = c.coordinates
      ? c.coordinates.length
      : design.repeatedLevels
        ? design.repeatedLevels.length
        : design.subjects.reduce((m, s) => s.positions.reduce((mm, x) => Math.max(mm, x + 1), m), 0);
    this.residual = residualStructure(c.type, dimension, { toeplitzBands: c.toeplitzBands, coordinates: c.coordinates });
    this.random = spec.random.length > 0 ? new RandomEffectsCovariance(design, spec.random) : null;
    this.gSize = this.random?.size ?? 0;
    const gParams: ModelParameter[] = (this.random?.parameters ?? []).map((p) => ({ ...p, side: 'G' as const }));
    this.groupLevels = design.groupLevels ?? [];
    const rParams: ModelParameter[] = [];
    this.residualIndex = [];
    if (this.groupLevels.length === 0) {
      this.residualIndex.push(this.residual.parameters.map((_, k) => this.gSize + k));
      for (const p of this.residual.parameters) {
        // SAS prints the subject on R-side rows except the plain "Residual" row
        rParams.push({ ...p, subject: p.name === 'Residual' ? undefined : spec.subject, side: 'R' });
      }
    } else {
      const { parameters, order } = groupedParameters(this.residual.parameters);
      for (const level of this.groupLevels) {
        const offset = this.gSize + rParams.length;
        const index = new Array<number>(order.length);
        order.forEach((k, i) => (index[k] = offset + i));
        this.residualIndex.push(index);
        for (const p of parameters) rParams.push({ ...p, subject: spec.subject, group: `${design.group} ${level}`, side: 'R' });
      }
    }
    this.parameters = [...gParams, ...rParams];
  }

  get size(): number {
    return this.parameters.length;
  }

  /** parameters at which V = I, the MIVQUE0 expansion point */
  identity(): number[] {
    const theta = new Array<number>(this.size).fill(0);
    (this.random?.identity() ?? []).forEach((v, k) => (theta[k] = v));
    const r = this.residual.identity();
    for (const index of this.residualIndex) index.forEach((i, k) => (theta[i] = r[k]));
    return theta;
  }

  /** the structure's start grid (startGrid) in theta indices, one entry per group */
  startGrid(): { indices: number[]; values: number[] }[] {
    return (this.residual.startGrid?.() ?? []).map((g) => ({ indices: this.residualIndex.map((index) => index[g.index]), values: g.values }));
  }

  /** false when a parameter is outside its admissible range (a correlation not in (-1, 1), a range not > 0) */
  admissible(theta: ArrayLike<number>): boolean {
    for (let k = 0; k < this.parameters.length; k++) {
      if (!Number.isFinite(theta[k])) return false;
      const kind = this.parameters[k].kind;
      if (kind === 'correlation' && !(Math.abs(theta[k]) < 1)) return false;
      if (kind === 'range' && !(theta[k] > 0)) return false;
    }
    return true;
  }

  /** the parameters of group g's structure, in the structure's own order */
  private residualTheta(theta: ArrayLike<number>, g = 0): number[] {
    return this.residualIndex[g].map((i) => theta[i]);
  }

  /** one residualTheta per group, and the group of each row of a block (0 without GROUP=) */
  private residualThetas(theta: ArrayLike<number>, layout: BlockLayout): { rts: number[][]; groupOf: (a: number) => number } {
    const rts = this.residualIndex.map((_, g) => this.residualTheta(theta, g));
    const groups = layout.groups;
    return { rts, groupOf: groups ? (a) => groups[a] : () => 0 };
  }

  /** V of one block (m x m, row-major) */
  blockCovariance(theta: ArrayLike<number>, layout: BlockLayout): Float64Array {
    const m = layout.positions.length;
    const V = new Float64Array(m * m);
    const { rts, groupOf } = this.residualThetas(theta, layout);
    const pos = layout.positions;
    const rg = layout.rGroups;
    for (let a = 0; a < m; a++) {
      const rt = rts[groupOf(a)];
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
    const { rts, groupOf } = this.residualThetas(theta, layout);
    const pos = layout.positions;
    const rg = layout.rGroups;
    for (let a = 0; a < m; a++) {
      const g = groupOf(a);
      const index = this.residualIndex[g];
      for (let b = 0; b <= a; b++) {
        if (rg && rg[a] !== rg[b]) continue;
        this.residual.entryGradient(rts[g], pos[a], pos[b], (k, v) => {
          const D = get(index[k]);
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
    const { rts, groupOf } = this.residualThetas(theta, layout);
    const pos = layout.positions;
    const rg = layout.rGroups;
    const size = this.size;
    for (let a = 0; a < m; a++) {
      const g = groupOf(a);
      const index = this.residualIndex[g];
      for (let b = 0; b <= a; b++) {
        if (rg && rg[a] !== rg[b]) continue;
        this.residual.entrySecond(rts[g], pos[a], pos[b], (k, l, v) => {
          const kk = Math.min(index[k], index[l]);
          const ll = Math.max(index[k], index[l]);
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
