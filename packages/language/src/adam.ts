/**
 * ADaM Basic Data Structure (BDS) awareness: whether a data set looks like one, and the level order
 * ADaM gives a visit variable (AVISIT by AVISITN; ATPT by ATPTN), which the plan passes to the fit
 * (ModelSpec.classOrder) so that visits come in time order in the class levels, R and the LS-means.
 * The checks of the values (CHG, PCHG, ABLFL, BASE) are in validation/adam-checks.ts.
 */
import { orderByCode, ORDERED_BY, type Dataset } from '@study/engine';

/** USUBJID, PARAMCD and AVAL, and AVISIT or AVISITN: the variables every BDS data set by visit has. */
export function looksLikeAdamBds(data: Dataset | undefined): boolean {
  if (!data) return false;
  const has = (n: string) => data.columns.some((c) => c.name === n);
  return has('USUBJID') && has('PARAMCD') && has('AVAL') && (has('AVISIT') || has('AVISITN'));
}

/** The order of each class variable that has its ADaM numeric companion (AVISIT → AVISITN), when the pair is one to one. */
export function adamClassOrder(classes: readonly string[], data: Dataset | undefined): Record<string, string[]> | undefined {
  if (!data) return undefined;
  const out: Record<string, string[]> = {};
  for (const v of classes) {
    const code = ORDERED_BY[v];
    const codeCol = code ? data.columns.find((c) => c.name === code) : undefined;
    if (!codeCol || codeCol.kind !== 'numeric' || !data.columns.some((c) => c.name === v)) continue;
    const order = orderByCode(data.rows, v, code);
    if (order.ok) out[v] = order.levels;
  }
  return Object.keys(out).length ? out : undefined;
}
