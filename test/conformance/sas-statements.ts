/**
 * A small reader of PROC MIXED programs, for the SAS-export test: the statements of each PROC MIXED
 * step, normalised to what determines the numbers PROC MIXED prints.
 *
 * Compared (docs/export.md lists them):
 *   PROC MIXED  METHOD= (default REML)
 *   CLASS       the class variables that a statement uses, each with its reference level resolved
 *               against the data (REF='x', REF=FIRST, REF=LAST, none = the last in SAS's order)
 *   MODEL       the response; the effects in order (bar and @ expanded, each effect's variables as a set);
 *               NOINT; DDFM= (SAS's default when absent: CONTAIN with a RANDOM statement, else BETWITHIN
 *               with a REPEATED SUBJECT=, else RESIDUAL; KR = KENWARDROGER, its (LINEAR)/(FIRSTORDER));
 *               ALPHA= (default 0.05)
 *   REPEATED    the effect; SUBJECT= (as a set of variables); TYPE= (default VC); GROUP=
 *   RANDOM      the effects (a set; INT = INTERCEPT); SUBJECT=; TYPE= (default VC); GROUP=
 *   LSMEANS     per effect (and AT): DIFF (PDIFF, =ALL), ADJUST= (default T = none), SLICE= (the variables
 *               of the effect; a SLICE= variable outside the effect slices nothing), AT, ALPHA=
 *   SLICE       the effect, SLICEBY=, DIFF, ADJUST=
 *   ESTIMATE    the label and the coefficients
 * Not compared (they change what is printed, not the numbers): DATA=, CL, COVTEST, IC, S/SOLUTION,
 * CHISQ, HTYPE=, E3, R/R=, RCORR, G, V, ODS statements and the DATA steps.
 */

export interface MixedStep {
  method: string;
  classes: Record<string, string | null>;
  response: string;
  effects: string[];
  noint: boolean;
  ddfm: string;
  alpha: number;
  repeated: { effect: string | null; subject: string | null; type: string; group: string | null } | null;
  random: { effects: string[]; subject: string | null; type: string; group: string | null }[];
  lsmeans: { effect: string; at: string; diff: boolean; adjust: string; slices: string[]; alpha: number }[];
  slices: { effect: string; sliceby: string; diff: boolean; adjust: string }[];
  estimates: { label: string; coefficients: string }[];
}

/** Levels of a class variable in SAS's order (numbers by value, text in ASCII order), for REF= resolution. */
export type LevelsOf = (variable: string) => string[] | undefined;

/** Statements of a program (comments removed), split on semicolons outside quotes. */
export function sasStatements(program: string): string[] {
  const text = program.replace(/\/\*[\s\S]*?\*\//g, ' ');
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const ch of text) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur += ch;
    } else if (ch === ';') {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  // `* comment;` statements; datalines (the rows up to the lone ';') are one statement and go too
  return out.filter((s) => s.length > 0 && !s.startsWith('*'));
}

/** Options after the slash: key[=value] tokens (spaces around = and after commas removed). */
function options(text: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (!text) return m;
  const norm = text.replace(/\s*=\s*/g, '=').replace(/\s*,\s*/g, ',');
  const tokens: string[] = [];
  let cur = '';
  let depth = 0;
  let quote: string | null = null;
  for (const ch of norm) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (/\s/.test(ch) && depth === 0) {
      if (cur) tokens.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) tokens.push(cur);
  for (const t of tokens) {
    const i = t.indexOf('=');
    if (i < 0) m.set(t.toLowerCase(), '');
    else m.set(t.slice(0, i).toLowerCase(), t.slice(i + 1));
  }
  return m;
}

function split(stmt: string): { head: string; opts: Map<string, string> } {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < stmt.length; i++) {
    const ch = stmt[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '/' && depth === 0) return { head: stmt.slice(0, i).trim(), opts: options(stmt.slice(i + 1)) };
  }
  return { head: stmt.trim(), opts: new Map() };
}

const unquote = (s: string) => s.replace(/^'(.*)'$/s, '$1').replace(/^"(.*)"$/s, '$1').replace(/''/g, "'");

/** An effect's variables as a set (A*B, B*A and the nested B(A) name the same columns' variables). */
function effectKey(e: string): string {
  const vars = e.toUpperCase().replace(/[()]/g, ' ').split(/[\s*]+/).filter(Boolean);
  if (vars.length === 1 && (vars[0] === 'INT' || vars[0] === 'INTERCEPT')) return 'INTERCEPT';
  return [...new Set(vars)].sort().join('*');
}

/** MODEL / RANDOM / LSMEANS effect lists: bar (A|B|C@2) expanded, nested effects kept whole. */
function effectList(text: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of text.replace(/\s*\|\s*/g, '|').replace(/\s*@\s*/g, '@').replace(/\s*\*\s*/g, '*')) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (/\s/.test(ch) && depth === 0) {
      if (cur) tokens.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) tokens.push(cur);
  const out: string[] = [];
  for (const t of tokens) {
    if (!t.includes('|')) {
      out.push(t);
      continue;
    }
    const [bar, at] = t.split('@');
    const max = at ? Number(at) : Infinity;
    let terms: string[][] = [];
    for (const v of bar!.split('|')) {
      const next = [[v]];
      for (const x of terms) next.push([...x, v]);
      terms = [...terms, ...next];
    }
    // SAS's order: A B A*B C A*C B*C A*B*C
    out.push(...terms.filter((x) => x.length <= max).map((x) => x.join('*')));
  }
  return out;
}

const DDFM: Record<string, string> = {
  KR: 'KENWARDROGER', KENWARDROGER: 'KENWARDROGER', KR2: 'KENWARDROGER2', KENWARDROGER2: 'KENWARDROGER2',
  SAT: 'SATTERTHWAITE', SATTERTH: 'SATTERTHWAITE', SATTERTHWAITE: 'SATTERTHWAITE',
  BW: 'BETWITHIN', BETWITHIN: 'BETWITHIN', CON: 'CONTAIN', CONTAIN: 'CONTAIN', RES: 'RESIDUAL', RESIDUAL: 'RESIDUAL',
};

function ddfmName(v: string): string {
  const m = /^([A-Za-z0-9]+)(\(.*\))?$/.exec(v.trim());
  if (!m) return v.toUpperCase();
  return (DDFM[m[1]!.toUpperCase()] ?? m[1]!.toUpperCase()) + (m[2] ? m[2].toUpperCase().replace(/\s+/g, '') : '');
}

function typeName(v: string | undefined): string {
  return (v ?? 'VC').toUpperCase().replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')');
}

function adjustName(opts: Map<string, string>): string {
  const a = (opts.get('adjust') ?? 'T').toUpperCase();
  return a === 'T' ? 'NONE' : a === 'BONFERRONI' ? 'BON' : a;
}

function subjectKey(v: string | undefined): string | null {
  return v === undefined ? null : effectKey(v);
}

/** The PROC MIXED steps of a program, normalised. */
export function mixedSteps(program: string, levelsOf: LevelsOf, subjectAliases: Record<string, string> = {}): MixedStep[] {
  const stmts = sasStatements(program);
  const steps: MixedStep[] = [];
  let raw: { proc: string; body: string[] } | undefined;
  const flush = () => {
    if (raw) steps.push(normalise(raw.proc, raw.body, levelsOf, subjectAliases));
    raw = undefined;
  };
  for (const s of stmts) {
    const word = s.split(/\s+/)[0]!.toLowerCase();
    if (word === 'proc') {
      flush();
      if (/^proc\s+mixed\b/i.test(s)) raw = { proc: s, body: [] };
    } else if (word === 'run' || word === 'quit' || word === 'data') flush();
    else if (raw) raw.body.push(s);
  }
  flush();
  return steps;
}

function normalise(proc: string, body: string[], levelsOf: LevelsOf, aliases: Record<string, string>): MixedStep {
  const popts = options(proc.replace(/^proc\s+mixed\b/i, ''));
  const step: MixedStep = {
    method: (popts.get('method') ?? 'REML').toUpperCase(),
    classes: {},
    response: '',
    effects: [],
    noint: false,
    ddfm: '',
    alpha: 0.05,
    repeated: null,
    random: [],
    lsmeans: [],
    slices: [],
    estimates: [],
  };
  const classRefs = new Map<string, string | null>();
  let ddfm: string | undefined;
  const subj = (v: string | undefined) => {
    const k = subjectKey(v);
    return k === null ? null : (aliases[k] ?? k);
  };
  for (const s of body) {
    const word = s.split(/\s+/)[0]!.toLowerCase();
    const rest = s.slice(word.length).trim();
    const { head, opts } = split(rest);
    if (word === 'class') {
      // `CLASS A(REF='x') B(ref = last) C`
      for (const m of head.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(\(([^)]*)\))?/g)) {
        const ref = m[3] ? /ref\s*=\s*('(?:[^']|'')*'|"[^"]*"|\w+)/i.exec(m[3])?.[1] : undefined;
        classRefs.set(m[1]!.toUpperCase(), ref === undefined ? null : /^['"]/.test(ref) ? `='${unquote(ref)}` : ref.toUpperCase());
      }
    } else if (word === 'model') {
      const [lhs, rhs] = head.split('=');
      step.response = lhs!.trim().toUpperCase();
      step.effects = effectList(rhs ?? '').map(effectKey);
      step.noint = opts.has('noint');
      ddfm = opts.get('ddfm');
      if (opts.has('alpha')) step.alpha = Number(opts.get('alpha'));
    } else if (word === 'repeated') {
      step.repeated = {
        effect: head ? effectKey(head) : null,
        subject: subj(opts.get('subject') ?? opts.get('sub')),
        type: typeName(opts.get('type')),
        group: opts.has('group') || opts.has('grp') ? effectKey(opts.get('group') ?? opts.get('grp')!) : null,
      };
    } else if (word === 'random') {
      step.random.push({
        effects: effectList(head).map(effectKey).sort(),
        subject: subj(opts.get('subject') ?? opts.get('sub')),
        type: typeName(opts.get('type')),
        group: opts.has('group') || opts.has('grp') ? effectKey(opts.get('group') ?? opts.get('grp')!) : null,
      });
    } else if (word === 'lsmeans') {
      for (const e of effectList(head)) {
        const effect = effectKey(e);
        const vars = effect.split('*');
        const at = opts.has('at') ? opts.get('at')!.toUpperCase() : '';
        const diff = ['diff', 'pdiff'].some((k) => opts.has(k));
        const slices = [...opts].filter(([k]) => k === 'slice').flatMap(([, v]) => v.replace(/[()]/g, ' ').toUpperCase().split(/\s+/).filter(Boolean));
        const alpha = opts.has('alpha') ? Number(opts.get('alpha')) : 0.05;
        const old = step.lsmeans.find((l) => l.effect === effect && l.at === at);
        const row = old ?? { effect, at, diff: false, adjust: 'NONE', slices: [], alpha };
        if (diff) {
          row.diff = true;
          row.adjust = adjustName(opts);
        }
        // a SLICE= variable that is not in the effect slices nothing (SAS: LSMEANS ARMCD / SLICE=AVISIT)
        row.slices = [...new Set([...row.slices, ...slices.filter((v) => vars.includes(v))])].sort();
        if (!old) step.lsmeans.push(row);
      }
    } else if (word === 'slice') {
      step.slices.push({ effect: effectKey(head), sliceby: (opts.get('sliceby') ?? '').toUpperCase(), diff: opts.has('diff') || opts.has('pdiff'), adjust: adjustName(opts) });
    } else if (word === 'estimate') {
      const m = /^('(?:[^']|'')*'|"[^"]*")\s*(.*)$/s.exec(head);
      step.estimates.push({ label: m ? unquote(m[1]!) : '', coefficients: (m ? m[2]! : head).replace(/\s+/g, ' ').trim().toUpperCase() });
    }
  }
  step.ddfm = ddfm ? ddfmName(ddfm) : step.random.length > 0 ? 'CONTAIN' : step.repeated?.subject ? 'BETWITHIN' : 'RESIDUAL';
  step.lsmeans.sort((a, b) => (a.effect + a.at).localeCompare(b.effect + b.at));
  // the class variables the statements use, with their reference levels
  const used = new Set<string>();
  const addVars = (e: string | null | undefined) => e && e.split('*').forEach((v) => v !== 'INTERCEPT' && used.add(v));
  step.effects.forEach(addVars);
  addVars(step.repeated?.effect);
  addVars(step.repeated?.subject);
  addVars(step.repeated?.group);
  for (const r of step.random) {
    r.effects.forEach(addVars);
    addVars(r.subject);
    addVars(r.group);
  }
  for (const [v, ref] of classRefs) {
    if (!used.has(v)) continue;
    const levels = levelsOf(v);
    let level: string | null = null;
    if (ref?.startsWith("='")) level = ref.slice(2);
    else if (ref === 'FIRST') level = levels?.[0] ?? null;
    else level = levels?.[levels.length - 1] ?? null;
    step.classes[v] = level;
  }
  return step;
}
