/**
 * Pieces both exporters share: the Study text of filters and derivations (for comments), the structure
 * chain of a model (its `select cov` candidates, its fallback chain, or its one structure).
 */
import { choiceLabel, resolveChoice, type CovarianceChoice, type DerivedSpec, type ModelSpec, type RowExpr, type RowFilter } from '@study/engine';

function literal(v: number | string): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** A row condition as the spec writes it. */
export function rowExprText(e: RowExpr, outer = true): string {
  switch (e.kind) {
    case 'compare':
      return `${e.column} ${e.op} ${literal(e.value)}`;
    case 'in':
      return `${e.column} in (${e.values.map(literal).join(', ')})`;
    case 'missing':
      return `${e.column} is missing`;
    case 'not':
      return e.expr.kind === 'missing' ? `${e.expr.column} is not missing` : `not ${rowExprText(e.expr, false)}`;
    case 'and':
    case 'or': {
      const s = `${rowExprText(e.left, false)} ${e.kind} ${rowExprText(e.right, false)}`;
      return outer ? s : `(${s})`;
    }
  }
}

export function filterText(f: RowFilter): string {
  return `${f.mode} ${rowExprText(f.expr)}`;
}

export function derivedText(d: DerivedSpec): string {
  if (d.kind === 'centred') return `let ${d.name} = ${d.variable} centred at ${d.centre}`;
  return `let ${d.name} = ${d.kind === 'percent-change' ? 'percent change' : 'change'} of ${d.variable} from ${d.by} ${literal(d.baseline)}`;
}

export interface StructureChain {
  kind: 'single' | 'select' | 'fallback';
  choices: CovarianceChoice[];
  criterion?: string;
}

/** The R-side structures a model is fitted with, in order. */
export function structureChain(spec: ModelSpec): StructureChain {
  const r = spec.repeated;
  if (r?.candidates && r.candidates.length > 0) return { kind: 'select', choices: r.candidates.map((c) => resolveChoice(spec, c)), criterion: r.criterion ?? 'BIC' };
  if (r?.fallback && r.fallback.length > 0) return { kind: 'fallback', choices: [resolveChoice(spec), ...r.fallback.map((c) => resolveChoice(spec, c))] };
  return { kind: 'single', choices: [resolveChoice(spec)] };
}

export { choiceLabel };

/** A model's name as an identifier-safe suffix. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'model';
}
