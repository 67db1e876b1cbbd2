/**
 * Level orders a data set carries besides SAS's sort: an ADaM text variable ordered by its numeric
 * companion (AVISIT by AVISITN, as ADaM pairs them), so that visits come in time order ("Week 2"
 * before "Week 12") in the fit's class levels, the R matrix and the LS-means.
 */
import { levelText } from './data.js';
import type { Value } from './model-spec.js';

/** The ADaM pairs whose numeric variable orders the text one. */
export const ORDERED_BY: Readonly<Record<string, string>> = { AVISIT: 'AVISITN', ATPT: 'ATPTN' };

export type CodeOrder =
  | { ok: true; levels: string[] }
  /** a level with more than one code (or none): the order is not defined */
  | { ok: false; level: string; codes: number[] };

/**
 * The levels of `variable` ordered by the numeric `code` column, when every level has exactly one
 * code (rows where either is missing are ignored); levels with equal codes keep their first-seen order.
 */
export function orderByCode(rows: readonly Record<string, Value>[], variable: string, code: string): CodeOrder {
  const codes = new Map<string, Set<number>>();
  for (const r of rows) {
    const v = r[variable];
    const c = r[code];
    if (v === null || v === undefined) continue;
    const key = levelText(v);
    let set = codes.get(key);
    if (!set) codes.set(key, (set = new Set()));
    if (typeof c === 'number') set.add(c);
  }
  for (const [level, set] of codes) if (set.size !== 1) return { ok: false, level, codes: [...set].sort((a, b) => a - b) };
  const levels = [...codes.keys()];
  const codeOf = (l: string) => [...codes.get(l)!][0];
  return { ok: true, levels: levels.map((l, i) => ({ l, i })).sort((a, b) => codeOf(a.l) - codeOf(b.l) || a.i - b.i).map((x) => x.l) };
}

/** `levels` (sorted as SAS sorts them) in the order `order` gives; levels it does not list keep their place after those it does. */
export function applyLevelOrder(levels: string[], order: readonly string[] | undefined): string[] {
  if (!order) return levels;
  const rank = new Map(order.map((l, i) => [l, i]));
  const listed = levels.filter((l) => rank.has(l)).sort((a, b) => rank.get(a)! - rank.get(b)!);
  return [...listed, ...levels.filter((l) => !rank.has(l))];
}
