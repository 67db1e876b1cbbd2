/**
 * What the exporters need to know about the data beyond the plan: each column's kind, and for each
 * model the class levels in SAS's order (the REF= level last), as the engine's design has them on the
 * rows the model uses. The exported programs state these levels, so that SAS's and R's
 * parameterisation (which column is aliased, which row of R a visit is) is the one Study reports.
 */
import { applyFilters, buildDesign, deriveColumns, type ColumnKind, type Dataset, type Design, type PlannedModel, type StudyPlan } from '@study/engine';

export interface ModelData {
  planned: PlannedModel;
  /** the design of the rows the model uses; undefined when it cannot be built (`error` says why) */
  design?: Design;
  error?: string;
}

export interface ExportData {
  /** kind of every data column and `let` variable */
  kinds: Map<string, ColumnKind>;
  models: ModelData[];
}

export function exportData(plan: StudyPlan, data: Dataset): ExportData {
  const kinds = new Map<string, ColumnKind>(data.columns.map((c) => [c.name, c.kind]));
  for (const d of plan.derived) kinds.set(d.name, 'numeric');
  const derived = deriveColumns(data.rows, plan.derived, plan.subject);
  const rows = applyFilters(derived.rows, plan.filters);
  const models = plan.models.map((planned): ModelData => {
    try {
      const used = applyFilters(rows, planned.filters);
      const design = buildDesign(used, planned.spec, planned.repeatedLevels ? { repeatedLevels: planned.repeatedLevels.map(String) } : {});
      return { planned, design };
    } catch (e) {
      return { planned, error: (e as Error).message };
    }
  });
  return { kinds, models };
}

/** The variables of a nested subject `Rat(Diet)` (`['Rat', 'Diet']`), or the subject itself. */
export function subjectVariables(subject: string | undefined): string[] {
  if (!subject) return [];
  const m = /^([^()]+)\(([^()]*)\)$/.exec(subject.trim());
  return m ? [m[1]!.trim(), ...m[2]!.split(/[\s,]+/).filter(Boolean)] : [subject];
}

/** Text of a number as both SAS and R read it. */
export function numberText(n: number): string {
  return String(n);
}
