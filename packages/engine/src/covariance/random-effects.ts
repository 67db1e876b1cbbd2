/**
 * G-side covariance of the RANDOM statements: block diagonal over statements and subjects, each block
 * VC (one variance per random term, columns independent) or UN (unstructured over all columns a
 * statement has within one subject, e.g. intercept and slope).
 */
import type { Design, RandomColumn } from '../design-types.js';
import type { RandomSpec } from '../model-spec.js';
import { unstructuredIndex, unstructuredParameters } from './residual-structures.js';
import type { CovarianceParameter } from './structure.js';

export interface RandomEffectParameter extends CovarianceParameter {
  subject?: string;
}

interface StatementLayout {
  type: 'VC' | 'UN';
  /** index of the statement's first parameter */
  offset: number;
}

export class RandomEffectsCovariance {
  readonly parameters: RandomEffectParameter[] = [];
  private readonly statements: StatementLayout[] = [];
  private readonly columns: RandomColumn[];
  /** VC: parameter index of each global random term */
  private readonly termParameter: number[] = [];

  constructor(design: Design, random: RandomSpec[]) {
    this.columns = design.zColumns ?? [];
    random.forEach((statement, s) => {
      const offset = this.parameters.length;
      this.statements.push({ type: statement.type, offset });
      const terms = design.randomTerms.filter((t) => t.statement === s);
      if (statement.type === 'VC') {
        for (const t of terms) {
          this.termParameter[design.randomTerms.indexOf(t)] = this.parameters.length;
          this.parameters.push({ name: t.name, kind: 'variance', subject: statement.subject });
        }
      } else {
        let dimension = 0;
        for (const c of this.columns) if (c.statement === s) dimension = Math.max(dimension, c.indexInGroup + 1);
        for (const p of unstructuredParameters(dimension)) this.parameters.push({ ...p, subject: statement.subject });
      }
    });
  }

  get size(): number {
    return this.parameters.length;
  }

  /** G[c1][c2] for global Z columns c1, c2 */
  entry(theta: ArrayLike<number>, c1: number, c2: number): number {
    const k = this.parameterOf(c1, c2);
    return k < 0 ? 0 : theta[k];
  }

  /**
   * The parameter that G[c1][c2] equals (G is linear with unit coefficients in VC and UN), or -1
   * when the entry is structurally zero.
   */
  parameterOf(c1: number, c2: number): number {
    const a = this.columns[c1];
    const b = this.columns[c2];
    if (a.statement !== b.statement || a.group !== b.group) return -1;
    const layout = this.statements[a.statement];
    if (layout.type === 'VC') return c1 === c2 ? this.termParameter[a.term] : -1;
    return layout.offset + unstructuredIndex(a.indexInGroup, b.indexInGroup);
  }

  /** G = 0 at the MIVQUE0 expansion point */
  identity(): number[] {
    return new Array<number>(this.parameters.length).fill(0);
  }
}
