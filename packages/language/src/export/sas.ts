/**
 * `study export sas`: a spec as a runnable SAS program. A DATA step reads the data file as Study reads
 * it (the same missing-value codes, delimiter and decimal mark), PROC SQL and DATA steps compute the
 * `let` variables and apply the filters with Study's three-valued logic, and each model and sensitivity
 * variant is one PROC MIXED (one per candidate of `select cov`, one per structure of a fallback chain),
 * with CLASS (REF=), MODEL / DDFM=, REPEATED / TYPE= GROUP=, RANDOM, ESTIMATE for each slope,
 * LSMEANS / DIFF ADJUST= SLICE= and SLICE / SLICEBY=. The analyses are PROC TTEST (paired) and PROC CORR.
 * Where SAS computes something else than Study, the program says so in a comment.
 */
import type { ColumnKind, Dataset, DesignColumn, LsMeansSpec, ModelSpec, PlannedAnalysis, RowExpr, RowFilter, StudyPlan, SubjectExpr, SubjectValue, Term } from '@study/engine';
import { choiceLabel, derivedText, filterText, safeName, structureChain } from './common.js';
import { exportData, subjectVariables, type ExportData, type ModelData } from './model-data.js';

export interface ExportOptions {
  /** the spec's file name, for the header */
  specFile?: string;
  /** the folder the data path is relative to (the spec's folder) */
  dataDir?: string;
  /** the data file's bytes, to see its line ends (CRLF) */
  dataText?: string;
  /** Study's version, for the header */
  version?: string;
}

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

function comment(text: string, indent = ''): string {
  // a */ inside a comment would end it early
  return text
    .replace(/\*\//g, '* /')
    .split('\n')
    .map((l) => `${indent}/* ${l} */`)
    .join('\n');
}

function effectName(t: Term): string {
  return t.length === 0 ? 'Intercept' : t.join('*');
}

class SasExpr {
  constructor(private readonly kinds: Map<string, ColumnKind>) {}

  private value(column: string, v: number | string): string {
    return this.kinds.get(column) === 'text' ? q(String(v)) : typeof v === 'number' ? String(v) : Number.isFinite(Number(v)) ? String(Number(v)) : q(v);
  }

  private op(o: string): string {
    return ({ '==': '=', '!=': 'ne', '<': '<', '<=': '<=', '>': '>', '>=': '>=' } as Record<string, string>)[o]!;
  }

  /** A SAS expression that is 1 exactly where Study's condition is true (Kleene logic: a missing cell makes a comparison unknown). */
  truth(e: RowExpr): string {
    switch (e.kind) {
      case 'compare':
        return `(not missing(${e.column}) and ${e.column} ${this.op(e.op)} ${this.value(e.column, e.value)})`;
      case 'in':
        return `(not missing(${e.column}) and ${e.column} in (${e.values.map((v) => this.value(e.column, v)).join(' ')}))`;
      case 'missing':
        return `missing(${e.column})`;
      case 'and':
        return `(${this.truth(e.left)} and ${this.truth(e.right)})`;
      case 'or':
        return `(${this.truth(e.left)} or ${this.truth(e.right)})`;
      case 'not':
        return this.falsity(e.expr);
    }
  }

  /** A SAS expression that is 1 exactly where Study's condition is false (neither true nor unknown). */
  falsity(e: RowExpr): string {
    switch (e.kind) {
      case 'compare':
        return `(not missing(${e.column}) and not (${e.column} ${this.op(e.op)} ${this.value(e.column, e.value)}))`;
      case 'in':
        return `(not missing(${e.column}) and ${e.column} not in (${e.values.map((v) => this.value(e.column, v)).join(' ')}))`;
      case 'missing':
        return `(not missing(${e.column}))`;
      case 'and':
        return `(${this.falsity(e.left)} or ${this.falsity(e.right)})`;
      case 'or':
        return `(${this.falsity(e.left)} and ${this.falsity(e.right)})`;
      case 'not':
        return this.truth(e.expr);
    }
  }

  filter(f: RowFilter): string {
    return f.mode === 'where' ? `if not ${this.truth(f.expr)} then delete;` : `if ${this.truth(f.expr)} then delete;`;
  }

  level(column: string, v: number | string): string {
    return this.value(column, v);
  }
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** The DATA step that reads the data file as Study reads it. */
function readStep(plan: StudyPlan, data: Dataset, o: ExportOptions): string[] {
  const lines: string[] = [];
  const dlm = data.delimiter === '\t' ? "'09'x" : data.delimiter === ';' ? "';'" : "','";
  const crlf = o.dataText ? /\r\n/.test(o.dataText) : false;
  const encoding = data.encoding === 'latin1' ? 'wlatin1' : data.encoding === 'utf-16le' ? 'utf-16le' : data.encoding === 'utf-16be' ? 'utf-16be' : 'utf-8';
  const n = data.columns.length;
  let width = 32;
  for (const c of data.columns) {
    if (c.kind !== 'text') continue;
    for (const r of data.rows) {
      const v = r[c.name];
      if (typeof v === 'string') width = Math.max(width, utf8Length(v));
    }
  }
  width = Math.min(32767, width + 8);
  const valid = (name: string) => /^[A-Za-z_][A-Za-z0-9_]{0,31}$/.test(name);
  lines.push(`%let studydir = ${o.dataDir ?? '.'};`);
  lines.push(comment(`data "${plan.dataPath}": ${data.rows.length} rows, ${n} columns, ${data.delimiter === '\t' ? 'tab' : data.delimiter === ';' ? 'semicolon' : 'comma'}-separated${data.decimal === ',' ? ', decimal commas' : ''}; an empty cell, . and NA are missing (as Study reads them)`));
  lines.push('data work.raw;');
  lines.push(`  infile "&studydir/${plan.dataPath}" dsd dlm=${dlm} firstobs=2 truncover lrecl=1048576${crlf ? ' termstr=crlf' : ''} encoding='${encoding}';`);
  lines.push(`  length _c1-_c${n} $ ${width};`);
  lines.push('  input @;');
  lines.push("  if _infile_ = '' then delete;  /* Study skips blank lines */");
  lines.push(`  input _c1-_c${n};`);
  const numInformat = data.decimal === ',' ? 'commax32.' : 'best32.';
  data.columns.forEach((c, k) => {
    const src = `_c${k + 1}`;
    if (!valid(c.name)) {
      lines.push(comment(`column ${k + 1} ('${c.name}') is not a SAS name and no statement uses it: not kept`, '  '));
      return;
    }
    if (c.kind === 'numeric') {
      lines.push(`  ${c.name} = input(${src}, ?? ${numInformat});`);
    } else {
      let len = 1;
      for (const r of data.rows) {
        const v = r[c.name];
        if (typeof v === 'string') len = Math.max(len, utf8Length(v));
      }
      lines.push(`  length ${c.name} $ ${len};`);
      lines.push(`  if strip(${src}) in ('', '.', 'NA') then ${c.name} = ''; else ${c.name} = ${src};`);
    }
  });
  lines.push('  _row_ = _n_;  /* data order: REPEATED without an effect places rows in it */');
  lines.push(`  drop _c1-_c${n};`);
  lines.push('run;');
  return lines;
}

/** PROC SQL / DATA steps for the `let` variables, each on the previous data set. */
function deriveSteps(plan: StudyPlan, kinds: Map<string, ColumnKind>, e: SasExpr): { lines: string[]; last: string } {
  const lines: string[] = [];
  let last = 'work.raw';
  plan.derived.forEach((d, k) => {
    const out = `work.derived${k + 1}`;
    lines.push('');
    lines.push(comment(derivedText(d)));
    if (d.kind === 'centred') {
      lines.push(`data ${out};`, `  set ${last};`, `  ${d.name} = ${d.variable} - (${d.centre});`, 'run;');
    } else {
      const s = plan.subject;
      const base = `${d.by} = ${e.level(d.by, d.baseline)}`;
      const value = d.kind === 'percent-change' ? `100 * (a.${d.variable} - b._y0_) / b._y0_` : `a.${d.variable} - b._y0_`;
      const zero = d.kind === 'percent-change' ? ' and b._y0_ ne 0' : '';
      lines.push(
        comment(
          `per ${s ?? 'file (no subject)'}: the value at ${d.by} ${d.baseline} is the baseline; missing when there is no such row, several, a missing baseline${d.kind === 'percent-change' ? ' or a zero one' : ''}`,
        ),
      );
      lines.push('proc sql;');
      lines.push(`  create table ${out} as`);
      lines.push(`  select a.*, case when b._nb_ = 1 and not missing(b._y0_)${zero} and not missing(a.${d.variable}) then ${value} else . end as ${d.name}`);
      lines.push(`  from ${last} as a left join`);
      if (s) {
        lines.push(`    (select ${s}, count(*) as _nb_, max(${d.variable}) as _y0_ from ${last} where ${base} group by ${s}) as b`);
        lines.push(`    on a.${s} = b.${s}`);
      } else {
        lines.push(`    (select count(*) as _nb_, max(${d.variable}) as _y0_ from ${last} where ${base}) as b`);
        lines.push('    on 1 = 1');
      }
      lines.push('  order by a._row_;');
      lines.push('quit;');
    }
    last = out;
    void kinds;
  });
  return { lines, last };
}

function ddfmOption(spec: ModelSpec): { option: string; notes: string[] } {
  const notes: string[] = [];
  switch (spec.ddfm) {
    case 'residual':
      return { option: 'RESIDUAL', notes };
    case 'between-within':
      return { option: 'BETWITHIN', notes };
    case 'containment':
      return { option: 'CONTAIN', notes };
    case 'satterthwaite':
      return { option: 'SATTERTHWAITE', notes };
    case 'kenward-roger': {
      const kr = spec.kenwardRoger ?? {};
      if (kr.firstOrder) return { option: kr.variant === 'linear' ? 'KR(LINEAR)' : 'KR(FIRSTORDER)', notes };
      if (kr.information !== 'observed') {
        notes.push(
          "Study's `df kenward-roger` estimates Cov(theta) from the expected information (as pbkrtest); SAS's DDFM=KR uses the observed information (Study's `df kenward-roger observed`): the adjusted standard errors, the F scaling and the df can differ in the later digits",
        );
      }
      return { option: 'KENWARDROGER', notes };
    }
  }
}

function classStatement(spec: ModelSpec, e: SasExpr): string {
  const names: string[] = [];
  const add = (v: string | undefined) => {
    if (v && !names.includes(v)) names.push(v);
  };
  spec.classes.forEach(add);
  if (spec.repeated?.effect) add(spec.repeated.effect);
  if (spec.repeated?.group) add(spec.repeated.group);
  subjectVariables(spec.subject).forEach(add);
  for (const r of spec.random) subjectVariables(r.subject).forEach(add);
  if (names.length === 0) return '';
  const ref = spec.classReference ?? {};
  return `  class ${names.map((v) => (ref[v] !== undefined ? `${v}(ref=${q(ref[v]!)})` : v)).join(' ')};`;
}

function interactionName(spec: ModelSpec, vars: string[]): string {
  const key = [...vars].sort().join('*');
  const t = spec.fixed.find((f) => [...f].sort().join('*') === key);
  return t ? t.join('*') : vars.join('*');
}

function estimateStatements(m: ModelData, alpha: string): string[] {
  const spec = m.planned.spec;
  const out: string[] = [];
  for (const est of spec.estimates) {
    if (est.kind === 'slope-at-levels') {
      const levels = m.design?.classLevels.get(est.factor);
      if (!levels) {
        out.push(comment(`estimate slope of ${est.covariate} at each ${est.factor}: the levels of ${est.factor} could not be read from the data (${m.error ?? 'not a class variable'})`, '  '));
        continue;
      }
      const inter = interactionName(spec, [est.covariate, est.factor]);
      for (const level of levels) {
        const label = !est.label ? `${est.covariate} slope at ${est.factor} ${level}` : est.label.includes('{level}') ? est.label.split('{level}').join(level) : `${est.label} ${level}`;
        out.push(`  estimate ${q(label)} ${est.covariate} 1 ${inter} ${levels.map((l) => (l === level ? 1 : 0)).join(' ')} / cl${alpha};`);
      }
    } else {
      // coefficients by column label: grouped by effect, in the design's column order
      const cols = m.design?.columns;
      if (!cols) {
        out.push(comment(`estimate '${est.label}': the design could not be built (${m.error})`, '  '));
        continue;
      }
      const byTerm = new Map<number, DesignColumn[]>();
      for (const c of cols) byTerm.set(c.termIndex, [...(byTerm.get(c.termIndex) ?? []), c]);
      const parts: string[] = [];
      for (const [t, cs] of byTerm) {
        if (!cs.some((c) => est.coefficients[c.label] !== undefined)) continue;
        const name = t < 0 ? 'intercept' : m.design!.termNames[t]!;
        parts.push(`${name === 'Intercept' ? 'intercept' : name} ${cs.map((c) => est.coefficients[c.label] ?? 0).join(' ')}`);
      }
      out.push(`  estimate ${q(est.label)} ${parts.join(' ')} / cl${alpha};`);
    }
  }
  return out;
}

function adjustOption(a: string): string {
  return a === 'tukey' ? ' adjust=tukey' : a === 'bonferroni' ? ' adjust=bon' : '';
}

function atOption(at: Record<string, number> | undefined): string {
  if (!at) return '';
  const entries = Object.entries(at);
  if (entries.length === 0) return '';
  if (entries.length === 1) return ` at ${entries[0]![0]}=${entries[0]![1]}`;
  return ` at (${entries.map(([k]) => k).join(' ')})=(${entries.map(([, v]) => v).join(' ')})`;
}

function lsmeansStatements(l: LsMeansSpec, alpha: string): string[] {
  if (l.slice) {
    const out = [`  lsmeans ${l.effect} / slice=${l.slice} cl${atOption(l.at)}${alpha};`];
    if (l.pairwise) out.push(`  slice ${l.effect} / sliceby=${l.slice} diff${adjustOption(l.adjust)} cl${atOption(l.at)}${alpha};`);
    return out;
  }
  return [`  lsmeans ${l.effect} /${l.pairwise ? ` diff${adjustOption(l.adjust)}` : ''} cl${atOption(l.at)}${alpha};`];
}

/** One PROC MIXED for one structure of the model. */
function procMixed(m: ModelData, data: string, choice: ReturnType<typeof structureChain>['choices'][number], e: SasExpr): string[] {
  const spec = m.planned.spec;
  const lines: string[] = [];
  const alpha = spec.alpha !== undefined && spec.alpha !== 0.05 ? ` alpha=${spec.alpha}` : '';
  const ddfm = ddfmOption(spec);
  for (const n of ddfm.notes) lines.push(comment(n));
  if (spec.alpha !== undefined && spec.alpha !== 0.05) {
    lines.push(comment(`the covariance parameters' limits (the CL option) are at SAS's 95%; Study gives them at ${100 * (1 - spec.alpha)}% as its other limits`));
  }
  lines.push(`proc mixed data=${data} method=${spec.method.toLowerCase()} covtest cl;`);
  const cls = classStatement(spec, e);
  if (cls) lines.push(cls);
  const effects = spec.fixed.map(effectName).join(' ');
  lines.push(`  model ${spec.response} = ${effects}${effects ? ' ' : ''}/ ${spec.intercept ? '' : 'noint '}ddfm=${ddfm.option.toLowerCase()} solution cl${alpha};`);
  for (const r of spec.random) {
    const terms = r.terms.map((t) => (t.length === 0 ? 'intercept' : t.join('*'))).join(' ');
    const opts = [...(r.subject ? [`subject=${r.subject}`] : []), ...(r.type === 'UN' ? ['type=un'] : []), ...(spec.randomSolution ? ['solution'] : [])];
    lines.push(`  random ${terms}${opts.length ? ` / ${opts.join(' ')}` : ''};`);
  }
  const rep = spec.repeated;
  if (rep && (spec.subject || choice.type !== 'VC' || rep.group)) {
    const opts = [...(spec.subject ? [`subject=${spec.subject}`] : []), `type=${choiceLabel(choice).toLowerCase()}`, ...(rep.group ? [`group=${rep.group}`] : [])];
    lines.push(`  repeated ${rep.effect ?? ''}${rep.effect ? ' ' : ''}/ ${opts.join(' ')};`);
  }
  lines.push(...estimateStatements(m, alpha));
  for (const l of spec.lsmeans) lines.push(...lsmeansStatements(l, alpha));
  if (spec.tests) lines.push(comment(`Study reports the Type 3 tests of ${spec.tests.map(effectName).join(', ')} (SAS prints every effect)`, '  '));
  lines.push('run;');
  return lines;
}

function modelSection(m: ModelData, k: number, base: string, e: SasExpr, sensitivity: { of: string; description?: string } | undefined): string[] {
  const spec = m.planned.spec;
  const lines: string[] = [''];
  const data = `work.m${k + 1}`;
  const title = sensitivity ? `sensitivity ${spec.name} (a variant of model ${sensitivity.of}${sensitivity.description ? `: ${sensitivity.description}` : ''})` : `model ${spec.name}`;
  lines.push(`/* ${'-'.repeat(Math.max(10, title.length))} */`);
  lines.push(comment(title));
  lines.push(`title ${q(`Study: ${title}`.slice(0, 250))};`);
  lines.push(`data ${data};`, `  set ${base};`);
  for (const f of m.planned.filters) {
    lines.push(comment(filterText(f), '  '));
    lines.push(`  ${e.filter(f)}`);
  }
  lines.push('run;');
  if (spec.convergence !== 'sas') {
    lines.push(
      comment(
        "SAS stops at its relative Hessian criterion (1e-8); Study iterates on to the optimum (`converge optimum`), so for flat likelihoods SAS's last iterate can differ in the 4th or 5th significant digit of the covariance parameters (`converge sas` reproduces SAS's last iterate)",
      ),
    );
  }
  const chain = structureChain(spec);
  if (chain.kind === 'select') {
    lines.push(
      comment(
        `select cov ${chain.choices.map(choiceLabel).join(', ')} by ${chain.criterion}: Study fits the model with each structure and keeps the one with the smallest ${chain.criterion} (SAS's Fit Statistics, "${chain.criterion} (Smaller is Better)"), among those that converge; ${data}_select lists them, smallest first, and the results of the model are those of that run`,
      ),
    );
    chain.choices.forEach((c, i) => {
      lines.push('', comment(`candidate ${i + 1}: ${choiceLabel(c)}`), `ods output FitStatistics=${data}_fit${i + 1};`, ...procMixed(m, data, c, e));
    });
    lines.push('');
    lines.push(`data ${data}_select;`);
    lines.push('  length Structure $ 40;');
    lines.push(`  set ${chain.choices.map((_, i) => `${data}_fit${i + 1}(in=_in${i + 1})`).join(' ')};`);
    chain.choices.forEach((c, i) => lines.push(`  if _in${i + 1} then Structure = ${q(choiceLabel(c))};`));
    lines.push(`  if Descr = ${q(`${chain.criterion} (Smaller is Better)`)};`);
    lines.push('run;');
    lines.push(`proc sort data=${data}_select; by Value; run;`);
    lines.push(`proc print data=${data}_select noobs; var Structure Descr Value; run;`);
  } else if (chain.kind === 'fallback') {
    lines.push(
      comment(
        `cov ${chain.choices.map(choiceLabel).join(' else ')}: the analysis plan's fallback chain. Study fits ${choiceLabel(chain.choices[0]!)} and only if it cannot be fitted or does not converge the next structure, in order; here each is one PROC MIXED: use the first whose log says "Convergence criteria met"`,
      ),
    );
    chain.choices.forEach((c, i) => lines.push('', comment(`structure ${i + 1}: ${choiceLabel(c)}`), ...procMixed(m, data, c, e)));
  } else {
    lines.push(...procMixed(m, data, chain.choices[0]!, e));
  }
  return lines;
}

function subjectValueSql(v: SubjectValue, subject: string, table: string, e: SasExpr): string {
  const where = v.at ? ` where ${v.at.column} = ${e.level(v.at.column, v.at.level)}` : '';
  // one value per subject: the distinct non-missing value, missing when there is none or several (as Study)
  return `(select ${subject}, case when count(distinct ${v.variable}) = 1 then max(${v.variable}) else . end as v from ${table}${where} group by ${subject})`;
}

function valueLabel(v: SubjectValue): string {
  return v.at ? `${v.variable} at ${v.at.column} ${v.at.level}` : v.variable;
}

function exprLabel(x: SubjectExpr): string {
  return x.kind === 'value' ? valueLabel(x.value) : `${valueLabel(x.left)} - ${valueLabel(x.right)}`;
}

function analysisSection(a: PlannedAnalysis, k: number, plan: StudyPlan, base: string, e: SasExpr): string[] {
  const lines: string[] = ['', `/* ---------- analysis ${a.name} ---------- */`];
  const s = plan.subject;
  if (!s) return [...lines, comment('per-subject analyses need a subject column: the spec has none')];
  const data = `work.a${k + 1}`;
  lines.push(`data ${data};`, `  set ${base};`);
  for (const f of a.filters) lines.push(comment(filterText(f), '  '), `  ${e.filter(f)}`);
  lines.push('run;');
  a.tests.forEach((t, j) => {
    const out = `${data}_t${j + 1}`;
    const values: { name: string; v: SubjectValue }[] =
      t.kind === 'paired-t'
        ? [
            { name: 'x1', v: t.left },
            { name: 'x2', v: t.right },
          ]
        : [
            ...(t.x.kind === 'value' ? [{ name: 'x1', v: t.x.value }] : [{ name: 'x1', v: t.x.left }, { name: 'x2', v: t.x.right }]),
            ...(t.y.kind === 'value' ? [{ name: 'y1', v: t.y.value }] : [{ name: 'y1', v: t.y.left }, { name: 'y2', v: t.y.right }]),
          ];
    lines.push('', comment(`${t.kind === 'paired-t' ? 'paired' : 'correlate'} ${t.label}`));
    lines.push('proc sql;');
    lines.push(`  create table ${out} as`);
    lines.push(`  select s.${s}, ${values.map((x) => `${x.name}.v as ${x.name} label=${q(valueLabel(x.v))}`).join(', ')}`);
    lines.push(`  from (select distinct ${s} from ${data} where not missing(${s})) as s`);
    for (const x of values) lines.push(`  left join ${subjectValueSql(x.v, s, data, e)} as ${x.name} on s.${s} = ${x.name}.${s}`);
    lines.push('  ;');
    lines.push('quit;');
    if (t.kind === 'paired-t') {
      lines.push(`title ${q(`Study: analysis ${a.name}: paired t, ${valueLabel(t.left)} - ${valueLabel(t.right)}`)};`);
      lines.push(`proc ttest data=${out};`, '  paired x1*x2;', 'run;');
    } else {
      const x = t.x.kind === 'value' ? 'x1' : 'x1 - x2';
      const y = t.y.kind === 'value' ? 'y1' : 'y1 - y2';
      lines.push(`data ${out};`, `  set ${out};`, `  x = ${x};`, `  y = ${y};`, `  label x = ${q(exprLabel(t.x))} y = ${q(exprLabel(t.y))};`, 'run;');
      lines.push(`title ${q(`Study: analysis ${a.name}: Pearson r, ${exprLabel(t.x)} with ${exprLabel(t.y)}`)};`);
      lines.push(`proc corr data=${out} pearson;`, '  var x y;', 'run;');
    }
  });
  return lines;
}

/** The SAS program of a plan, read against its data. */
export function exportSas(plan: StudyPlan, data: Dataset, options: ExportOptions = {}, prepared?: ExportData): string {
  const x = prepared ?? exportData(plan, data);
  const e = new SasExpr(x.kinds);
  const lines: string[] = [];
  lines.push(comment(`${plan.title ?? 'Study'}\nSAS program exported by study${options.version ? ` ${options.version}` : ''} from ${options.specFile ?? 'the spec'}: the same data, derivations, filters and models.\nEach model and sensitivity variant is one PROC MIXED (one per candidate of select cov).`));
  lines.push('options nocenter validvarname=v7;');
  const describes = plan.describes ?? [];
  if (describes.length > 0) lines.push(comment(`not exported: the describe block${describes.length > 1 ? 's' : ''} ${describes.map((d) => d.name).join(', ')} (descriptive statistics; PROC MEANS / PROC FREQ compute them)`));
  lines.push('', ...readStep(plan, data, options));
  const derived = deriveSteps(plan, x.kinds, e);
  lines.push(...derived.lines);
  lines.push('', comment('the study-level filters'), 'data work.study;', `  set ${derived.last};`);
  for (const f of plan.filters) lines.push(comment(filterText(f), '  '), `  ${e.filter(f)}`);
  lines.push('run;');
  x.models.forEach((m, k) => {
    if (m.error) lines.push('', comment(`model ${m.planned.spec.name}: ${m.error}`));
    lines.push(...modelSection(m, k, 'work.study', e, m.planned.sensitivity));
  });
  plan.analyses.forEach((a, k) => lines.push(...analysisSection(a, k, plan, 'work.study', e)));
  lines.push('', 'title;');
  return lines.join('\n') + '\n';
}

export { safeName };
