/**
 * A data backend: the sufficient statistics of an R-side model computed by a SQL engine where the data
 * live (DuckDB, PostgreSQL; the SQL also runs on Spark SQL and Trino), so that no observation enters
 * this process. The stage hands the fit a Design whose `statistics` hold, per missingness pattern,
 * sum_i x_ia x_ib', sum_i x_ia y_ib and sum_i y_ia y_ib (fit/patterns.ts's tensor form): everything
 * the likelihood, its derivatives, Type 3 tests, LS-means and Satterthwaite / Kenward-Roger df use.
 *
 * Three statements per model:
 *  1. the distinct combinations of the class variables of the model (their levels, the GLM columns);
 *  2. the counts: observations read and used, subjects, observations per subject, duplicate visits,
 *     the covariates' means (LS-means are computed there);
 *  3. the statistics: each used row gets its R position and its subject's pattern (a window sum of
 *     2^position over the subject), the rows of a subject are paired (a self-join on the subject,
 *     position a <= position b), and one GROUP BY over (pattern, a, b, the class cells at a and at b)
 *     sums the products of the covariate monomials and the response. The client expands those cell
 *     sums into the GLM columns (a column is a class-cell indicator times a covariate monomial).
 * The result has one row per (pattern, pair of positions, pair of class cells): its size does not
 * depend on the number of subjects.
 *
 * SQL used (documented in docs/language.md, "Data in a database"): WITH, a window SUM(...) OVER
 * (PARTITION BY ...), an inner self-join, GROUP BY, scalar subqueries, simple CASE, CAST(... AS DOUBLE
 * [PRECISION]), TRIM, NULLIF, COALESCE, IN lists, IS NULL; identifiers quoted with "" (backticks for
 * Spark). Nothing else: no LATERAL, no arrays, no FILTER clause, no engine-specific aggregates.
 */
import type { Design, DesignColumn, SufficientStatistics } from '../design-types.js';
import type { ModelSpec, Term } from '../model-spec.js';
import { SPATIAL_TYPES } from '../model-spec.js';
import type { DerivedSpec, PlannedModel, RowExpr, RowFilter, StudyPlan } from '../plan.js';
import { DesignMatrix } from '../design-matrix.js';
import { aliasedFromCrossProduct, DesignError, orderLevels, sortLevels, subjectVariables, termName } from '../design.js';
import { applyLevelOrder, ORDERED_BY } from '../level-order.js';
import { levelText } from '../data.js';
import { PatternData } from '../fit/patterns.js';
import type { BlockLayout } from '../covariance/covariance-model.js';
import { reportModel, type ModelFailure, type StudyRun } from '../run-study.js';
import type { ModelReport, StudyReport } from '../results.js';
import { forestFigure, sensitivitySummaries } from '../sensitivity.js';

/** How one SQL engine spells what differs between engines. */
export interface SqlDialect {
  name: 'duckdb' | 'postgres' | 'spark' | 'trino';
  /** the double-precision type in CAST */
  double: string;
  /** the text type in CAST */
  text: string;
  quote(identifier: string): string;
  /** a text comparison in code-point order (PostgreSQL's default collation is the locale's) */
  binaryCollation?: string;
}

const doubleQuoted = (s: string) => '"' + s.replace(/"/g, '""') + '"';
export const DIALECTS: Record<SqlDialect['name'], SqlDialect> = {
  duckdb: { name: 'duckdb', double: 'DOUBLE', text: 'VARCHAR', quote: doubleQuoted },
  postgres: { name: 'postgres', double: 'DOUBLE PRECISION', text: 'VARCHAR', quote: doubleQuoted, binaryCollation: 'COLLATE "C"' },
  spark: { name: 'spark', double: 'DOUBLE', text: 'STRING', quote: (s) => '`' + s.replace(/`/g, '``') + '`' },
  trino: { name: 'trino', double: 'DOUBLE', text: 'VARCHAR', quote: doubleQuoted },
};

export interface SqlColumn {
  name: string;
  numeric: boolean;
}

/** A connection to a SQL engine, as a backend needs it. */
export interface SqlConnection {
  /** "DuckDB", "PostgreSQL" */
  engine: string;
  dialect: SqlDialect;
  /** the rows of a query, values as JavaScript numbers, strings, bigints or null */
  query(sql: string): Promise<unknown[][]>;
  /** the columns of a relation (a table, or a FROM item such as read_parquet('…')) */
  columns(relation: string): Promise<SqlColumn[]>;
  close(): Promise<void>;
}

/** A database client, loaded on demand; its absence is said in words (the editor's bundle does not carry it). */
export async function loadClient<T>(load: () => Promise<T>, name: string, engine: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw new Error(`the ${engine} client (${name}) cannot be loaded here (${(e as Error).message.split('\n')[0]}): install it next to Study (npm install ${name}) or run the spec with the study command`);
  }
}

/** Thrown for a model or spec the SQL path does not fit: the message names what. */
export class BackendRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendRefusal';
  }
}

const INTERNAL = 'st_';

function sqlString(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

function sqlNumber(x: number, d: SqlDialect): string {
  if (!Number.isFinite(x)) throw new BackendRefusal(`the value ${x} cannot be written in SQL`);
  return Number.isInteger(x) && Math.abs(x) < 2 ** 31 ? String(x) : `CAST(${String(x)} AS ${d.double})`;
}

/** The model's and the spec's columns as the SQL path reads them. */
interface Schema {
  kinds: Map<string, 'numeric' | 'text'>;
}

function kindOf(schema: Schema, column: string, what: string): 'numeric' | 'text' {
  const k = schema.kinds.get(column);
  if (!k) {
    const names = [...schema.kinds.keys()];
    const same = names.find((n) => n.toLowerCase() === column.toLowerCase());
    throw new DesignError(
      `variable '${column}' (${what}) is not a column of the table` +
        (same ? `: the table has '${same}' (names are case-sensitive; PostgreSQL folds unquoted names to lower case)` : ` (its columns: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''})`),
    );
  }
  return k;
}

/** A literal compared with `column`, as the in-process filters compare (prepare.ts). */
function literalFor(schema: Schema, column: string, value: number | string, d: SqlDialect, what: string): string {
  const kind = kindOf(schema, column, what);
  if (kind === 'numeric') {
    if (typeof value !== 'number') throw new BackendRefusal(`${what}: the numeric column ${column} is compared with the text '${value}'; the SQL path compares numeric columns with numbers only`);
    return sqlNumber(value, d);
  }
  return sqlString(String(value));
}

const OPS: Record<string, string> = { '==': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

export function rowExprSql(e: RowExpr, schema: Schema, d: SqlDialect): string {
  switch (e.kind) {
    case 'compare': {
      const lit = literalFor(schema, e.column, e.value, d, `the filter on ${e.column}`);
      const text = kindOf(schema, e.column, 'a filter') === 'text' && e.op !== '==' && e.op !== '!=' && d.binaryCollation;
      return `(${d.quote(e.column)}${text ? ' ' + d.binaryCollation : ''} ${OPS[e.op]} ${lit})`;
    }
    case 'in':
      return `(${d.quote(e.column)} IN (${e.values.map((v) => literalFor(schema, e.column, v, d, `the filter on ${e.column}`)).join(', ')}))`;
    case 'missing':
      return `(${d.quote(e.column)} IS NULL)`;
    case 'and':
    case 'or':
      return `(${rowExprSql(e.left, schema, d)} ${e.kind.toUpperCase()} ${rowExprSql(e.right, schema, d)})`;
    case 'not':
      return `(NOT ${rowExprSql(e.expr, schema, d)})`;
  }
}

/** `where` keeps the rows where the condition is true; `exclude` drops them (SQL's three-valued logic is Study's). */
export function filterSql(f: RowFilter, schema: Schema, d: SqlDialect): string {
  const e = rowExprSql(f.expr, schema, d);
  return f.mode === 'where' ? e : `(NOT COALESCE(${e}, FALSE))`;
}

/** The model's variables, and a refusal naming what the SQL path does not fit. */
function checkSupported(spec: ModelSpec): { subject: string; repeated: string } {
  if (spec.random.length > 0) {
    throw new BackendRefusal(
      `model ${spec.name} has G-side random effects (random ${spec.random.map((r) => r.terms.map((t) => t.join('*') || 'intercept').join(', ')).join('; ')}): the SQL path fits R-side models only (repeated … with random subject); read the data in this process for this model`,
    );
  }
  const subject = spec.subject;
  if (!subject) throw new BackendRefusal(`model ${spec.name} has no subject: the SQL path needs the subject whose rows form a pattern`);
  if (subjectVariables(subject).length > 1) throw new BackendRefusal(`model ${spec.name}: nested subjects (${subject}) are not supported by the SQL path`);
  const choices = [...(spec.repeated ? [spec.repeated.type] : []), ...(spec.repeated?.candidates ?? []), ...(spec.repeated?.fallback ?? [])].map((c) => (typeof c === 'string' ? c : c.type));
  const spatial = choices.find((c) => SPATIAL_TYPES.includes(c));
  if (spatial) throw new BackendRefusal(`model ${spec.name}: spatial structures (${spatial}) are not supported by the SQL path`);
  const repeated = spec.repeated?.effect;
  if (!repeated) throw new BackendRefusal(`model ${spec.name} has no repeated effect: the SQL path places each row by its repeated level (a table has no row order)`);
  return { subject, repeated };
}

/** The derived columns as SQL layers: each adds one column to the rows before it (computed before any filter). */
function derivedLayers(derived: DerivedSpec[], subject: string | undefined, schema: Schema, d: SqlDialect, from: string): { ctes: string[]; last: string } {
  const ctes: string[] = [];
  let prev = from;
  derived.forEach((dv, k) => {
    const name = `${INTERNAL}d${k}`;
    const v = d.quote(dv.variable);
    if (kindOf(schema, dv.variable, `let ${dv.name}`) !== 'numeric') throw new BackendRefusal(`let ${dv.name}: ${dv.variable} is not numeric`);
    if (dv.kind === 'centred') {
      ctes.push(`${name} AS (SELECT ${INTERNAL}p.*, ${v} - ${sqlNumber(dv.centre, d)} AS ${d.quote(dv.name)} FROM ${prev} AS ${INTERNAL}p)`);
    } else {
      const at = `${d.quote(dv.by)} = ${literalFor(schema, dv.by, dv.baseline, d, `let ${dv.name}`)}`;
      const over = subject ? `OVER (PARTITION BY ${d.quote(subject)})` : 'OVER ()';
      const nb = `${INTERNAL}nb${k}`;
      const b = `${INTERNAL}b${k}`;
      const value = dv.kind === 'percent-change' ? `(100 * (${v} - ${b})) / ${b}` : `${v} - ${b}`;
      const ok = `${nb} = 1 AND ${b} IS NOT NULL${dv.kind === 'percent-change' ? ` AND ${b} <> 0` : ''}`;
      ctes.push(
        `${name} AS (SELECT ${INTERNAL}p.*, CASE WHEN ${ok} THEN ${value} END AS ${d.quote(dv.name)} FROM ` +
          `(SELECT ${INTERNAL}q.*, SUM(CASE WHEN ${at} THEN 1 ELSE 0 END) ${over} AS ${nb}, MAX(CASE WHEN ${at} THEN ${v} END) ${over} AS ${b} FROM ${prev} AS ${INTERNAL}q) AS ${INTERNAL}p)`,
      );
    }
    schema.kinds.set(dv.name, 'numeric');
    prev = name;
  });
  return { ctes, last: prev };
}

function filterColumns(e: RowExpr, out: Set<string>): void {
  if (e.kind === 'and' || e.kind === 'or') {
    filterColumns(e.left, out);
    filterColumns(e.right, out);
  } else if (e.kind === 'not') filterColumns(e.expr, out);
  else if (e.kind === 'compare' || e.kind === 'in' || e.kind === 'missing') out.add(e.column);
}

/** One fixed-effect column: its term, its class cell and its covariate monomial. */
interface ColumnPlan {
  term: number;
  /** class variable -> level of this column */
  levels: Record<string, string>;
  monomial: number;
}

/** The SQL of one model's statistics (statement 3), given its levels: what a cluster would run. */
export interface ModelSql {
  levels: string;
  counts: string;
  statistics: string;
}

interface Prepared {
  spec: ModelSpec;
  subject: string;
  repeated: string;
  /** GROUP= variable (constant within subject) */
  group?: string;
  classSet: Set<string>;
  /** class variables of the fixed terms and the repeated effect: the GROUP BY cells */
  classVars: string[];
  /** distinct covariate products (a monomial is a sorted list of covariates; [] is the constant 1) */
  monomials: string[][];
  covariates: string[];
  withClause: string[];
  d: SqlDialect;
}

function monomialKey(m: string[]): string {
  return m.join('*');
}

/** The CTEs up to st_used for one model, and the variables the statistics group by and sum. */
function prepareModel(plan: StudyPlan, planned: PlannedModel, schema: Schema, relation: string, d: SqlDialect): Prepared {
  const { subject, repeated } = checkSupported(planned.spec);
  const q = d.quote;
  // a term variable that is a text column is a class variable (the plan builder's rule, from the table's schema)
  const classes = [...planned.spec.classes];
  for (const t of planned.spec.fixed) for (const v of t) if (!classes.includes(v) && schema.kinds.get(v) === 'text') classes.push(v);
  const spec: ModelSpec = { ...planned.spec, classes };
  const classSet = new Set(classes);
  classSet.add(repeated);
  const group = spec.repeated?.group;
  if (group) classSet.add(group);
  const derivedNames = new Set(plan.derived.map((x) => x.name));
  // the table's columns this model reads
  const read = new Set<string>([spec.response, subject, repeated, ...spec.fixed.flat(), ...(group ? [group] : [])]);
  for (const f of [...plan.filters, ...planned.filters]) filterColumns(f.expr, read);
  for (const x of plan.derived) {
    read.add(x.variable);
    if (x.kind !== 'centred') read.add(x.by);
  }
  if (plan.subject) read.add(plan.subject);
  const baseColumns = [...read].filter((c) => !derivedNames.has(c));
  for (const c of baseColumns) kindOf(schema, c, 'a variable of the spec');
  const select = baseColumns.map((c) =>
    schema.kinds.get(c) === 'numeric' ? `CAST(${q(c)} AS ${d.double}) AS ${q(c)}` : `NULLIF(TRIM(CAST(${q(c)} AS ${d.text})), '') AS ${q(c)}`,
  );
  const ctes = [`${INTERNAL}base AS (SELECT ${select.join(', ')} FROM ${relation} AS ${INTERNAL}t)`];
  const layers = derivedLayers(plan.derived, plan.subject, schema, d, `${INTERNAL}base`);
  ctes.push(...layers.ctes);
  const filters = [...plan.filters, ...planned.filters].map((f) => filterSql(f, schema, d));
  ctes.push(`${INTERNAL}rows AS (SELECT * FROM ${layers.last}${filters.length ? ' WHERE ' + filters.join(' AND ') : ''})`);

  for (const t of spec.fixed) {
    for (const v of t) {
      if (!classSet.has(v) && kindOf(schema, v, `the effect ${t.join('*')}`) !== 'numeric') {
        throw new DesignError(`'${v}' is used as a continuous variable but is a text column; add it to the class variables`);
      }
    }
  }
  if (kindOf(schema, spec.response, 'the outcome') !== 'numeric') throw new DesignError(`the outcome ${spec.response} is not numeric`);
  const classVars = [...new Set([...spec.fixed.flat().filter((v) => classSet.has(v)), repeated, ...(group ? [group] : [])])];
  const monomials: string[][] = [[]];
  const seen = new Set(['']);
  for (const t of spec.fixed) {
    // a variable repeated in a term counts once (x*x is x), as the in-process design expands terms
    const m = [...new Set(t)].filter((v) => !classSet.has(v)).sort();
    if (!seen.has(monomialKey(m))) {
      seen.add(monomialKey(m));
      monomials.push(m);
    }
  }
  const covariates = [...new Set(spec.fixed.flat().filter((v) => !classSet.has(v)))];
  const needed = [...new Set([spec.response, subject, repeated, ...spec.fixed.flat(), ...(group ? [group] : [])])];
  const complete = needed.map((v) => `${q(v)} IS NOT NULL`);
  if (planned.repeatedRange) {
    if (schema.kinds.get(repeated) !== 'numeric') throw new BackendRefusal(`repeated ${repeated} ${planned.repeatedRange.from}..${planned.repeatedRange.to}: a level range needs a numeric column; ${repeated} is text`);
    complete.push(`${q(repeated)} >= ${sqlNumber(planned.repeatedRange.from, d)}`, `${q(repeated)} <= ${sqlNumber(planned.repeatedRange.to, d)}`);
  }
  if (planned.repeatedLevels) {
    complete.push(`${q(repeated)} IN (${planned.repeatedLevels.map((l) => literalFor(schema, repeated, schema.kinds.get(repeated) === 'numeric' ? Number(l) : String(l), d, 'repeated')).join(', ')})`);
  }
  const usedSelect = [
    `${q(subject)} AS ${INTERNAL}subj`,
    `${q(spec.response)} AS ${INTERNAL}y`,
    ...classVars.map((v, i) => `${q(v)} AS ${INTERNAL}c${i}`),
    ...monomials.map((m, i) => `${m.length === 0 ? `CAST(1 AS ${d.double})` : m.map((v) => q(v)).join(' * ')} AS ${INTERNAL}m${i}`),
    ...covariates.map((v, i) => `${q(v)} AS ${INTERNAL}v${i}`),
  ];
  ctes.push(`${INTERNAL}used AS (SELECT ${usedSelect.join(', ')} FROM ${INTERNAL}rows WHERE ${complete.join(' AND ')})`);
  return { spec, subject, repeated, group, classSet, classVars, monomials, covariates, withClause: ctes, d };
}

function levelsSql(p: Prepared): string {
  const cells = p.classVars.map((_, i) => `${INTERNAL}c${i}`);
  return `WITH ${p.withClause.join(',\n')}\nSELECT ${cells.join(', ')}, COUNT(*) AS ${INTERNAL}n FROM ${INTERNAL}used GROUP BY ${cells.join(', ')}`;
}

function positionCte(p: Prepared, positionLiterals: string[]): string[] {
  const pos = `CASE ${INTERNAL}c${p.classVars.indexOf(p.repeated)} ${positionLiterals.map((lit, i) => `WHEN ${lit} THEN ${i}`).join(' ')} END`;
  const bit = `CASE ${INTERNAL}pos ${positionLiterals.map((_, i) => `WHEN ${i} THEN ${2 ** i}`).join(' ')} END`;
  return [
    `${INTERNAL}placed AS (SELECT ${INTERNAL}u.*, ${pos} AS ${INTERNAL}pos FROM ${INTERNAL}used AS ${INTERNAL}u)`,
    `${INTERNAL}keyed AS (SELECT ${INTERNAL}x.*, SUM(${bit}) OVER (PARTITION BY ${INTERNAL}subj) AS ${INTERNAL}pattern FROM ${INTERNAL}placed AS ${INTERNAL}x)`,
  ];
}

function countsSql(p: Prepared, positionLiterals: string[]): string {
  const means = p.covariates.map((_, i) => `(SELECT AVG(${INTERNAL}v${i}) FROM ${INTERNAL}used) AS ${INTERNAL}mean${i}`);
  return (
    `WITH ${[...p.withClause, ...positionCte(p, positionLiterals).slice(0, 1)].join(',\n')}\nSELECT ` +
    [
      `(SELECT COUNT(*) FROM ${INTERNAL}base) AS ${INTERNAL}read`,
      `(SELECT COUNT(DISTINCT ${p.d.quote(p.subject)}) FROM ${INTERNAL}rows) AS ${INTERNAL}subjects_read`,
      `(SELECT COUNT(*) FROM ${INTERNAL}used) AS ${INTERNAL}n`,
      `(SELECT COUNT(*) FROM (SELECT ${INTERNAL}subj FROM ${INTERNAL}used GROUP BY ${INTERNAL}subj) AS ${INTERNAL}s0) AS ${INTERNAL}subjects`,
      `(SELECT MAX(${INTERNAL}k) FROM (SELECT COUNT(*) AS ${INTERNAL}k FROM ${INTERNAL}used GROUP BY ${INTERNAL}subj) AS ${INTERNAL}s1) AS ${INTERNAL}max_obs`,
      `(SELECT COUNT(*) FROM (SELECT ${INTERNAL}subj FROM ${INTERNAL}placed GROUP BY ${INTERNAL}subj, ${INTERNAL}pos HAVING COUNT(*) > 1) AS ${INTERNAL}s2) AS ${INTERNAL}duplicates`,
      ...means,
      ...(p.group
        ? [`(SELECT COUNT(*) FROM (SELECT ${INTERNAL}subj FROM ${INTERNAL}used GROUP BY ${INTERNAL}subj HAVING COUNT(DISTINCT ${INTERNAL}c${p.classVars.indexOf(p.group)}) > 1) AS ${INTERNAL}s3) AS ${INTERNAL}group_varies`]
        : []),
      `(SELECT AVG(${INTERNAL}y) FROM ${INTERNAL}used) AS ${INTERNAL}ymean`,
    ].join(',\n  ')
  );
}

/**
 * `centre`: a value subtracted from the response in the sums (its mean, when the fixed effects hold the
 * constant), so that an outcome far from 0 keeps its digits in sums of squares.
 */
function statisticsSql(p: Prepared, positionLiterals: string[], centre = 0): string {
  const M = p.monomials.length;
  const y = (side: 'a' | 'b') => (centre === 0 ? `${side}.${INTERNAL}y` : `(${side}.${INTERNAL}y - ${sqlNumber(centre, p.d)})`);
  const aggregates = [`COUNT(*) AS ${INTERNAL}n`];
  for (let u = 0; u < M; u++) for (let v = 0; v < M; v++) aggregates.push(`SUM(a.${INTERNAL}m${u} * b.${INTERNAL}m${v}) AS ${INTERNAL}xx${u}_${v}`);
  for (let u = 0; u < M; u++) aggregates.push(`SUM(a.${INTERNAL}m${u} * ${y('b')}) AS ${INTERNAL}xy${u}`, `SUM(b.${INTERNAL}m${u} * ${y('a')}) AS ${INTERNAL}yx${u}`);
  for (let u = 0; u < M; u++) aggregates.push(`SUM(a.${INTERNAL}m${u} * a.${INTERNAL}m${u}) AS ${INTERNAL}aa${u}`, `SUM(b.${INTERNAL}m${u} * b.${INTERNAL}m${u}) AS ${INTERNAL}bb${u}`);
  aggregates.push(`SUM(${y('a')} * ${y('b')}) AS ${INTERNAL}yy`);
  const keys = [`a.${INTERNAL}pattern`, `a.${INTERNAL}pos`, `b.${INTERNAL}pos`, ...p.classVars.map((_, i) => `a.${INTERNAL}c${i}`), ...p.classVars.map((_, i) => `b.${INTERNAL}c${i}`)];
  return (
    `WITH ${[...p.withClause, ...positionCte(p, positionLiterals)].join(',\n')}\n` +
    `SELECT ${keys.join(', ')},\n  ${aggregates.join(',\n  ')}\n` +
    `FROM ${INTERNAL}keyed AS a JOIN ${INTERNAL}keyed AS b ON a.${INTERNAL}subj = b.${INTERNAL}subj AND a.${INTERNAL}pos <= b.${INTERNAL}pos\n` +
    `GROUP BY ${keys.join(', ')}`
  );
}

const num = (v: unknown): number => (v === null || v === undefined ? NaN : typeof v === 'number' ? v : Number(v));
const int = (v: unknown): bigint => BigInt(typeof v === 'number' ? Math.round(v) : String(v));
const level = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'number' ? levelText(v) : typeof v === 'bigint' ? String(v) : String(v));

export interface BackendModelResult {
  design: Design;
  /** the model as fitted: text columns among the effects made class variables */
  spec: ModelSpec;
  sql: ModelSql;
}

/** Runs the three statements of one model and builds its Design with `statistics`. */
export async function modelDesign(conn: SqlConnection, relation: string, plan: StudyPlan, planned: PlannedModel, schema: Schema): Promise<BackendModelResult> {
  const d = conn.dialect;
  const p = prepareModel(plan, planned, { kinds: new Map(schema.kinds) }, relation, d);
  const spec = p.spec;
  const levels = levelsSql(p);
  const cellRows = await conn.query(levels);
  if (cellRows.length === 0) throw new DesignError('no complete observations: every row misses a variable of the model');
  const C = p.classVars.length;
  // class levels (SAS's order, the spec's level order and reference), with each level's raw value for the SQL literals
  // ADaM: AVISIT's levels in AVISITN's order (level-order.ts), when the plan was built without the data
  const classOrder: Record<string, string[]> = { ...(spec.classOrder ?? {}) };
  for (const v of p.classVars) {
    const code = ORDERED_BY[v];
    if (classOrder[v] || !code || schema.kinds.get(code) !== 'numeric' || !schema.kinds.has(v)) continue;
    const value = schema.kinds.get(v) === 'numeric' ? `CAST(${d.quote(v)} AS ${d.double})` : `NULLIF(TRIM(CAST(${d.quote(v)} AS ${d.text})), '')`;
    const codes = await conn.query(
      `SELECT ${value} AS ${INTERNAL}v, COUNT(DISTINCT ${d.quote(code)}) AS ${INTERNAL}k, MIN(CAST(${d.quote(code)} AS ${d.double})) AS ${INTERNAL}c FROM ${relation} AS ${INTERNAL}t WHERE ${value} IS NOT NULL GROUP BY ${value}`,
    );
    // every level with exactly one code, as orderByCode requires (ties: SAS's order, a table has no row order)
    if (codes.length > 0 && codes.every((r) => num(r[1]) === 1)) {
      const sorted = sortLevels(codes.map((r) => level(r[0])));
      const codeOf = new Map(codes.map((r) => [level(r[0]), num(r[2])]));
      classOrder[v] = sorted.map((l, i) => ({ l, i })).sort((a, b) => codeOf.get(a.l)! - codeOf.get(b.l)! || a.i - b.i).map((x) => x.l);
    }
  }
  const classLevels = new Map<string, string[]>();
  const rawOf = new Map<string, Map<string, unknown>>();
  p.classVars.forEach((v, i) => {
    const raw = new Map<string, unknown>();
    for (const r of cellRows) raw.set(level(r[i]), r[i]);
    rawOf.set(v, raw);
    classLevels.set(v, orderLevels(applyLevelOrder(sortLevels(raw.keys()), classOrder[v]), spec.classReference?.[v], v));
  });
  // the listed levels (`repeated visit 2..6`) keep their R positions, also a level without rows, as in process
  const repeatedLevels = planned.repeatedLevels
    ? orderLevels(planned.repeatedLevels.map(String), spec.classReference?.[p.repeated], p.repeated)
    : classLevels.get(p.repeated)!;
  if (repeatedLevels.length > 52) throw new BackendRefusal(`the repeated effect ${p.repeated} has ${repeatedLevels.length} levels: the SQL path keys patterns by at most 52 positions`);
  const repeatedNumeric = schema.kinds.get(p.repeated) === 'numeric';
  const positionLiterals = repeatedLevels.map((l) => (repeatedNumeric ? sqlNumber(Number(l), d) : sqlString(l)));

  // the GLM columns: per term, the class cells present in the data, in SAS's order
  const terms: Term[] = spec.intercept ? [[], ...spec.fixed] : [...spec.fixed];
  const termNames = terms.map(termName);
  const columns: DesignColumn[] = [];
  const plans: ColumnPlan[] = [];
  /** per term: class-cell key -> column */
  const cellColumn: Map<string, number>[] = [];
  const classIndex = new Map(p.classVars.map((v, i) => [v, i]));
  const levelIndex = new Map([...classLevels].map(([v, ls]) => [v, new Map(ls.map((l, i) => [l, i]))]));
  terms.forEach((term, t) => {
    const vars = [...new Set(term)];
    const cv = vars.filter((v) => p.classSet.has(v));
    const monomial = p.monomials.findIndex((m) => monomialKey(m) === monomialKey(vars.filter((v) => !p.classSet.has(v)).sort()));
    const present = new Map<number, string[]>();
    for (const r of cellRows) {
      const ls = cv.map((v) => level(r[classIndex.get(v)!]));
      let code = 0;
      cv.forEach((v, k) => (code = code * classLevels.get(v)!.length + levelIndex.get(v)!.get(ls[k]!)!));
      present.set(code, ls);
    }
    const map = new Map<string, number>();
    for (const [, ls] of [...present].sort((a, b) => a[0] - b[0])) {
      const lv: Record<string, string> = {};
      cv.forEach((v, k) => (lv[v] = ls[k]!));
      const levelPart = Object.values(lv).join(' ');
      map.set(ls.join('\u0000'), columns.length);
      columns.push({ termIndex: t, levels: lv, label: termName(term) + (levelPart ? ' ' + levelPart : ''), aliased: false });
      plans.push({ term: t, levels: lv, monomial });
    }
    cellColumn.push(map);
  });
  const P = columns.length;
  const termClassVars = terms.map((term) => [...new Set(term)].filter((v) => p.classSet.has(v)));

  const countRow = (await conn.query(countsSql(p, positionLiterals)))[0]!;
  const observationsRead = num(countRow[0]);
  const subjectsRead = num(countRow[1]);
  const n = num(countRow[2]);
  const subjects = num(countRow[3]);
  const maxObs = num(countRow[4]);
  if (num(countRow[5]) > 0) {
    throw new DesignError(`${num(countRow[5])} subject${num(countRow[5]) > 1 ? 's have' : ' has'} two rows with the same ${p.repeated}: the repeated effect must identify each observation within a subject`);
  }
  const covariateMeans = new Map<string, number>();
  p.covariates.forEach((v, i) => covariateMeans.set(v, num(countRow[6 + i])));
  if (p.group && num(countRow[6 + p.covariates.length]) > 0) {
    throw new DesignError(`the GROUP= variable ${p.group} varies within ${num(countRow[6 + p.covariates.length])} subject(s) of ${p.subject}: it must be constant within subject`);
  }
  const groupLevels = p.group ? classLevels.get(p.group)! : undefined;
  // result columns: pattern, position a, position b, the class cells at a, the class cells at b, the sums
  const keyBase = 3;
  const groupColumn = p.group ? keyBase + p.classVars.indexOf(p.group) : -1;

  // the response is centred at its mean in the sums when the columns hold the constant (an intercept, or
  // a first effect that is one class variable without intercept); the fit adds the mean back to those columns
  const ymean = num(countRow[6 + p.covariates.length + (p.group ? 1 : 0)]);
  const constantColumns = spec.intercept
    ? [0]
    : terms.length > 0 && terms[0]!.length === 1 && p.classSet.has(terms[0]![0]!)
      ? columns.flatMap((c, j) => (c.termIndex === 0 ? [j] : []))
      : [];
  const centre = constantColumns.length > 0 && Number.isFinite(ymean) ? ymean : 0;
  const statistics = statisticsSql(p, positionLiterals, centre);
  const rows = await conn.query(statistics);
  const M = p.monomials.length;
  const m0 = repeatedLevels.length;
  interface Acc { group: number; positions: number[]; local: Map<number, number>; count: number; Sxx: Float64Array; Sxy: Float64Array; Syy: Float64Array }
  const patterns = new Map<string, Acc>();
  const XtX = new Float64Array(P * P);
  const within = new Float64Array(P);
  const withinScale = new Float64Array(P);
  const aggBase = keyBase + 2 * C;
  const active = (r: unknown[], offset: number): { j: number; u: number }[] => {
    const out: { j: number; u: number }[] = [];
    terms.forEach((_, t) => {
      const key = termClassVars[t]!.map((v) => level(r[offset + classIndex.get(v)!])).join('\u0000');
      const j = cellColumn[t]!.get(key);
      if (j !== undefined) out.push({ j, u: plans[j]!.monomial });
    });
    return out;
  };
  for (const r of rows) {
    const bits = int(r[0]);
    const pa = num(r[1]);
    const pb = num(r[2]);
    const g = groupLevels ? groupLevels.indexOf(level(r[groupColumn])) : 0;
    const patternKey = `${bits}|${g}`;
    let acc = patterns.get(patternKey);
    if (!acc) {
      const positions: number[] = [];
      for (let i = 0; i < m0; i++) if ((bits >> BigInt(i)) & 1n) positions.push(i);
      const m = positions.length;
      acc = { group: g, positions, local: new Map(positions.map((x, i) => [x, i])), count: 0, Sxx: new Float64Array(m * m * P * P), Sxy: new Float64Array(m * m * P), Syy: new Float64Array(m * m) };
      patterns.set(patternKey, acc);
    }
    const m = acc.positions.length;
    const a = acc.local.get(pa)!;
    const b = acc.local.get(pb)!;
    const cnt = num(r[aggBase]);
    const xx = (u: number, v: number) => num(r[aggBase + 1 + u * M + v]);
    const xy = (u: number) => num(r[aggBase + 1 + M * M + 2 * u]);
    const yx = (u: number) => num(r[aggBase + 2 + M * M + 2 * u]);
    const aa = (u: number) => num(r[aggBase + 1 + M * M + 2 * M + 2 * u]);
    const bb = (u: number) => num(r[aggBase + 2 + M * M + 2 * M + 2 * u]);
    const yy = num(r[aggBase + 1 + M * M + 4 * M]);
    const actA = active(r, keyBase);
    const actB = active(r, keyBase + C);
    if (a === 0 && b === 0) acc.count += cnt;
    const ab = a * m + b;
    const ba = b * m + a;
    acc.Syy[ab] += yy;
    if (a !== b) acc.Syy[ba] += yy;
    for (const { j, u } of actA) {
      acc.Sxy[ab * P + j] += xy(u);
      for (const { j: k, u: v } of actB) {
        const s = xx(u, v);
        acc.Sxx[(ab * P + j) * P + k] += s;
        if (a !== b) acc.Sxx[(ba * P + k) * P + j] += s;
        else XtX[j * P + k] += s;
      }
    }
    if (a !== b) {
      for (const { j, u } of actB) acc.Sxy[ba * P + j] += yx(u);
      // within-subject variation of each column: sum over pairs of (x_a - x_b)^2
      const inB = new Map(actB.map((x) => [x.j, x.u]));
      for (const { j, u } of actA) {
        within[j] += aa(u) - (inB.has(j) ? 2 * xx(u, u) : 0);
        withinScale[j] += aa(u);
      }
      for (const { j, u } of actB) {
        within[j] += bb(u);
        withinScale[j] += bb(u);
      }
    }
  }
  const aliased = aliasedFromCrossProduct(XtX, P);
  aliased.forEach((x, j) => (columns[j]!.aliased = x));
  const kept = columns.flatMap((c, j) => (c.aliased ? [] : [j]));
  const pk = kept.length;
  const patternData: PatternData[] = [];
  const subjectsPerGroup = (groupLevels ?? ['']).map(() => 0);
  for (const acc of [...patterns.values()].sort((x, y) => x.group - y.group || x.positions.join(',').localeCompare(y.positions.join(',')))) {
    subjectsPerGroup[acc.group]! += acc.count;
    const m = acc.positions.length;
    const Sxx = new Float64Array(m * m * pk * pk);
    const Sxy = new Float64Array(m * m * pk);
    for (let ac = 0; ac < m * m; ac++) {
      kept.forEach((j, jj) => {
        Sxy[ac * pk + jj] = acc.Sxy[ac * P + j]!;
        kept.forEach((k, kk) => (Sxx[(ac * pk + jj) * pk + kk] = acc.Sxx[(ac * P + j) * P + k]!));
      });
    }
    const layout: BlockLayout = { positions: acc.positions, zLocal: new Float64Array(0), localColumns: [], ...(groupLevels ? { groups: acc.positions.map(() => acc.group) } : {}) };
    patternData.push(PatternData.fromSums(layout, acc.count, pk, Sxx, Sxy, acc.Syy));
  }
  const withinEffect = terms.map((_, t) => columns.some((c, j) => c.termIndex === t && within[j]! > 1e-10 * withinScale[j]!));
  if (centre !== 0 && constantColumns.some((j) => columns[j]!.aliased)) throw new Error('internal: a column of the constant is aliased');
  const sums: SufficientStatistics = {
    engine: conn.engine,
    patterns: patternData,
    XtX,
    subjects,
    subjectsPerGroup,
    maxObsPerSubject: maxObs,
    withinEffect,
    ...(centre !== 0 ? { responseShift: { value: centre, columns: constantColumns } } : {}),
  };
  const design: Design = {
    n,
    y: new Float64Array(0),
    X: new DesignMatrix(0, P),
    columns,
    terms,
    termNames,
    rankX: pk,
    classLevels,
    covariateMeans,
    subjects: [],
    repeatedLevels,
    randomTerms: [],
    sourceRows: new Int32Array(0),
    observationsRead,
    subjectsRead,
    ...(p.group ? { group: p.group, groupLevels } : {}),
    statistics: sums,
  };
  return { design, spec, sql: { levels, counts: countsSql(p, positionLiterals), statistics } };
}

/** The SQL statements of a plan's models for a dialect, without running them (for a cluster; levels as a placeholder). */
export function explainModelSql(plan: StudyPlan, planned: PlannedModel, columns: SqlColumn[], relation: string, dialect: SqlDialect, repeatedLevels: (string | number)[]): ModelSql {
  const schema: Schema = { kinds: new Map(columns.map((c) => [c.name, c.numeric ? 'numeric' : 'text'])) };
  const p = prepareModel(plan, planned, schema, relation, dialect);
  const lits = repeatedLevels.map((l) => (typeof l === 'number' ? sqlNumber(l, dialect) : sqlString(l)));
  return { levels: levelsSql(p), counts: countsSql(p, lits), statistics: statisticsSql(p, lits) };
}

export interface BackendRunOptions {
  /** the figures drawn from the reports' numbers (the sensitivity forest plot; default true) */
  figures?: boolean;
  /** keep the SQL of each model (for the report's notes, tests and documentation) */
  onSql?: (model: string, sql: ModelSql) => void;
}

/**
 * Runs a plan's models on a SQL engine: each model's statistics are computed there and fitted here.
 * Derived analyses, `describe` blocks and figures need the observations and are not computed: each is
 * reported as not run, with the reason.
 */
export async function runPlanOnBackend(plan: StudyPlan, conn: SqlConnection, relation: string, options: BackendRunOptions = {}): Promise<StudyRun> {
  const cols = await conn.columns(relation);
  const schema: Schema = { kinds: new Map(cols.map((c) => [c.name, c.numeric ? 'numeric' : 'text'])) };
  const failures: ModelFailure[] = [];
  const models: ModelReport[] = [];
  const why = `the data are in ${conn.engine}, which sends only the models' sufficient statistics; read the data in this process (data "file") for it`;
  for (const d of plan.describes ?? []) failures.push({ kind: 'describe', name: d.name, message: `a describe block needs the observations: ${why}` });
  for (const planned of plan.models) {
    try {
      const { design, spec, sql } = await modelDesign(conn, relation, plan, planned, schema);
      options.onSql?.(planned.spec.name, sql);
      const report = reportModel(design, { ...planned, spec });
      report.notes.push({
        severity: 'info',
        message: `fitted from per-pattern sufficient statistics computed by ${conn.engine} (${design.statistics!.patterns.length} missingness pattern${design.statistics!.patterns.length === 1 ? '' : 's'}); no observation was read into Study, so residuals and the figures of observed values are not drawn`,
      });
      if (planned.sensitivity) report.sensitivity = planned.sensitivity;
      models.push(report);
    } catch (e) {
      failures.push({ kind: 'model', name: planned.spec.name, message: (e as Error).message });
    }
  }
  for (const a of plan.analyses) failures.push({ kind: 'analysis', name: a.name, message: `a per-subject analysis needs the observations: ${why}` });
  const report: StudyReport = { title: plan.title, dataPath: plan.dataPath, models, other: [] };
  // each model beside its sensitivity variants: from the reports' numbers, as in process
  const sensitivity = sensitivitySummaries(models);
  if (sensitivity.length > 0) {
    report.sensitivity = sensitivity;
    if (options.figures !== false) {
      const forest = sensitivity.flatMap((x) => forestFigure(x) ?? []);
      if (forest.length > 0) report.figures = forest;
    }
  }
  return { report, failures };
}
