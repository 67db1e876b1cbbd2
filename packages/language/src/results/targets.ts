/**
 * Which results a place in the spec refers to: a covariate, a tested effect, the covariance
 * selection, an estimate, a comparison, one test of an analysis, or a variable of a `describe` block —
 * and the numbers of that target in a report.
 */
import { AstUtils, type AstNode } from 'langium';
import { reportTables, type AnalysisRow, type EstimateRow, type ModelReport, type ReportTable, type StudyReport, type Type3Row } from '@study/engine';
import {
  isAnalysisBlock,
  isColumnRef,
  isCompareStmt,
  isCorrelateStmt,
  isCovariateStmt,
  isDescribeBlock,
  isDescribedValue,
  isEffect,
  isEstimateStmt,
  isModelBlock,
  isPairedStmt,
  isPredictStmt,
  isSelectCovStmt,
  isSensitivityBlock,
  isStudyFile,
  isTestStmt,
  type AnalysisBlock,
  type Effect,
  type EstimateStmt,
  type ModelBlock,
  type SensitivityBlock,
  type StudyFile,
} from '../generated/ast.js';
import { compareTerm, literalText, sensitivityName, unquote } from '../semantics.js';

export type ResultTarget =
  | { kind: 'covariate'; model: string; variable: string; block: ModelBlock | SensitivityBlock }
  | { kind: 'effect'; model: string; effect: string }
  | { kind: 'select'; model: string; criterion: 'AIC' | 'AICC' | 'BIC' }
  | { kind: 'estimate'; model: string; statement: EstimateStmt }
  | { kind: 'compare'; model: string; effect: string }
  | { kind: 'random-solution'; model: string }
  | { kind: 'analysis'; analysis: string; index: number }
  | { kind: 'describe'; describe: string; label: string };

/** The name a model block (or sensitivity variant) is reported under. */
export function blockModelName(block: ModelBlock | SensitivityBlock): string | undefined {
  if (isModelBlock(block)) return block.name;
  const root = AstUtils.findRootNode(block);
  return isStudyFile(root) ? sensitivityName(block, root as StudyFile) : undefined;
}

const effectText = (e: Effect) => e.variables.map((v) => v.column).join('*');

/** Effect names compared regardless of the order of their variables (`age*visit` is `visit*age`). */
export function sameEffect(a: string, b: string): boolean {
  const key = (s: string) => s.split(/[*:]/).map((x) => x.trim()).sort().join('*');
  return key(a) === key(b);
}

/** What the node under the cursor (or a statement) refers to, if it has results. */
export function targetOf(node: AstNode): ResultTarget | undefined {
  const describe = AstUtils.getContainerOfType(node, isDescribeBlock);
  if (describe) {
    const value = AstUtils.getContainerOfType(node, isDescribedValue);
    if (!value?.variable?.column || (value.at && !value.at.level)) return undefined;
    const at = value.at ? ` at ${value.at.column?.column} ${literalText(value.at.level)}` : '';
    return { kind: 'describe', describe: describe.name, label: `${value.variable.column}${at}` };
  }
  const block = AstUtils.getContainerOfType(node, (n): n is ModelBlock | SensitivityBlock => isModelBlock(n) || isSensitivityBlock(n));
  if (block) {
    const model = blockModelName(block);
    if (!model) return undefined;
    const select = AstUtils.getContainerOfType(node, isSelectCovStmt);
    if (select) return { kind: 'select', model, criterion: select.criterion ?? 'AIC' };
    const covariates = AstUtils.getContainerOfType(node, isCovariateStmt);
    if (covariates && isColumnRef(node)) return { kind: 'covariate', model, variable: node.column, block };
    const estimate = AstUtils.getContainerOfType(node, isEstimateStmt);
    if (estimate) {
      if (isColumnRef(node) && node === estimate.covariate) return { kind: 'covariate', model, variable: node.column, block };
      return { kind: 'estimate', model, statement: estimate };
    }
    if (AstUtils.getContainerOfType(node, isPredictStmt)) return { kind: 'random-solution', model };
    const compare = AstUtils.getContainerOfType(node, isCompareStmt);
    if (compare) return { kind: 'compare', model, effect: compareTerm(compare).join('*') };
    const test = AstUtils.getContainerOfType(node, isTestStmt);
    if (test) {
      const effect = AstUtils.getContainerOfType(node, isEffect);
      if (!effect) return undefined;
      if (effect.variables.length === 1) return { kind: 'covariate', model, variable: effect.variables[0]!.column, block };
      return { kind: 'effect', model, effect: effectText(effect) };
    }
    return undefined;
  }
  const analysis = AstUtils.getContainerOfType(node, isAnalysisBlock);
  const statement = AstUtils.getContainerOfType(node, (n) => isPairedStmt(n) || isCorrelateStmt(n));
  if (analysis && statement) {
    const tests = analysis.statements.filter((s) => isPairedStmt(s) || isCorrelateStmt(s));
    return { kind: 'analysis', analysis: analysis.name, index: tests.indexOf(statement as (typeof tests)[number]) };
  }
  return undefined;
}

export function modelReport(report: StudyReport, name: string): ModelReport | undefined {
  return report.models.find((m) => m.name === name);
}

export function type3Row(m: ModelReport, effect: string): Type3Row | undefined {
  return m.type3.find((r) => sameEffect(r.effect, effect));
}

/** The prefix of the labels of an estimate statement's rows (engine: inference/estimates.ts). */
function estimatePrefix(s: EstimateStmt): string {
  if (!s.label) return `${s.covariate.column} slope at ${s.factor.column} `;
  const label = unquote(s.label);
  return label.includes('{level}') ? label.split('{level}')[0]! : `${label} `;
}

export function estimateRows(m: ModelReport, s: EstimateStmt): EstimateRow[] {
  const prefix = estimatePrefix(s);
  return m.estimates.filter((r) => r.label.startsWith(prefix));
}

/** The slope rows of a covariate: from the block's estimate statements for it, else by label. */
export function slopeRows(m: ModelReport, variable: string, block: ModelBlock | SensitivityBlock): EstimateRow[] {
  const statements = block.statements.filter((s): s is EstimateStmt => isEstimateStmt(s) && s.covariate?.column === variable);
  const rows = statements.flatMap((s) => estimateRows(m, s));
  return rows.length ? rows : m.estimates.filter((r) => r.label.startsWith(`${variable} slope at `));
}

export function analysisRow(report: StudyReport, analysis: string, index: number): AnalysisRow | undefined {
  return report.other.filter((r) => r.analysis === analysis)[index];
}

/**
 * A variable's lines of its `describe` table, as the report prints them (the table's columns, the rows
 * from the variable's first line to the next variable's).
 */
export function describeLines(report: StudyReport, describe: string, label: string): ReportTable | undefined {
  const table = reportTables(report).find((t) => t.describe === describe && t.id === `describe/${describe}`);
  if (!table) return undefined;
  const start = table.rows.findIndex((r) => r[0] === label);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < table.rows.length && table.rows[end]![0] === '') end++;
  return { ...table, rows: table.rows.slice(start, end) };
}

export type { AnalysisBlock };
