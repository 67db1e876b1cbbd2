import type { ColumnInfo } from '@study/engine';

/** A column's levels for a message: all of them up to 8, else the first 6 and the last. */
export function listLevels(col: ColumnInfo): string {
  const d = col.distinct;
  return d.length <= 8 ? d.join(', ') : `${d.slice(0, 6).join(', ')}, …, ${d[d.length - 1]}`;
}
