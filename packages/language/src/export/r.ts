/**
 * `study export r`: a spec as a runnable R script that reproduces its numbers. The data are read as Study
 * reads them, the `let` variables and filters computed with Study's rules (three-valued logic), the class
 * levels put in SAS's order (REF= last) with SAS contrasts, and each model fitted with
 *   - nlme::gls for R-side models (corCompSymm, corAR1, corSymm + varIdent, corARMA for TOEP/TOEPH,
 *     corExp / corGaus for the spatial structures),
 *   - lme4::lmer + lmerTest for G-side models (Satterthwaite; Kenward-Roger through pbkrtest),
 *   - nlme::lme for a G-side intercept with an R-side structure within it,
 * emmeans for LS-means, differences, slices and slopes, t.test / cor.test for the analyses. SAS's
 * conventions that R does not follow by default — the −2 log likelihood with SAS's constant, SAS's AIC /
 * AICC / BIC, Type 3 tests in SAS's sense — are computed in the script; where R cannot fit the model
 * (TOEP(q), ANTE(1), GROUP=, a random effect R cannot express) the script says so and fits nothing for
 * it; where R's df method is not Study's the script says which numbers then differ.
 *
 * `Rscript script.R --json out.json` also writes the numbers as JSON (Study's field names).
 */
import type { CovarianceChoice, Dataset, LsMeansSpec, ModelSpec, PlannedAnalysis, RandomSpec, RowExpr, StudyPlan, SubjectValue, Term } from '@study/engine';
import { choiceLabel, derivedText, filterText, structureChain } from './common.js';
import { exportData, subjectVariables, type ExportData, type ModelData } from './model-data.js';
import type { ExportOptions } from './sas.js';
import { R_PRELUDE } from './r-prelude.js';

const rs = (s: string) => JSON.stringify(s);
const rvec = (xs: string[]) => `c(${xs.map(rs).join(', ')})`;
const col = (d: string, v: string) => `${d}[[${rs(v)}]]`;

function rcomment(text: string, prefix = '## '): string {
  return text
    .split('\n')
    .map((l) => `${prefix}${l}`)
    .join('\n');
}

class RExpr {
  constructor(
    private readonly kinds: Map<string, 'numeric' | 'text'>,
    private readonly d: string,
  ) {}

  private lit(column: string, v: number | string): string {
    return this.kinds.get(column) === 'text' ? rs(String(v)) : typeof v === 'number' ? String(v) : rs(v);
  }

  /** An R expression with Study's three-valued meaning (NA = unknown; R's & | ! are Kleene). */
  expr(e: RowExpr): string {
    const c = (v: string) => col(this.d, v);
    switch (e.kind) {
      case 'compare': {
        const op = e.op;
        if (this.kinds.get(e.column) === 'text' && op !== '==' && op !== '!=') return `(study_textcmp(${c(e.column)}, ${rs(String(e.value))}) ${op} 0)`;
        return `(${c(e.column)} ${op} ${this.lit(e.column, e.value)})`;
      }
      case 'in':
        return `study_in(${c(e.column)}, c(${e.values.map((v) => this.lit(e.column, v)).join(', ')}))`;
      case 'missing':
        return `is.na(${c(e.column)})`;
      case 'and':
        return `(${this.expr(e.left)} & ${this.expr(e.right)})`;
      case 'or':
        return `(${this.expr(e.left)} | ${this.expr(e.right)})`;
      case 'not':
        return `!${this.expr(e.expr)}`;
    }
  }

  level(column: string, v: number | string): string {
    return this.lit(column, v);
  }
}

function formulaTerm(t: Term): string {
  return t.join(':');
}

function fixedFormula(spec: ModelSpec): string {
  const terms = spec.fixed.map(formulaTerm);
  if (terms.length === 0) return `${spec.response} ~ ${spec.intercept ? '1' : '0'}`;
  return `${spec.response} ~ ${spec.intercept ? '' : '0 + '}${terms.join(' + ')}`;
}

/** What R cannot fit as Study does, or undefined. */
function rsideProblem(c: CovarianceChoice, k: number | undefined, group: string | undefined): string | undefined {
  if (group) return `GROUP=${group} (each group its own ${choiceLabel(c)} parameters): nlme::gls gives each group its own variances (varIdent(form = ~ 1 | visit * group)) but not its own correlations, and lme4 has no R-side structure; the closest R model is another model, so it is not fitted (mmrm fits it: us(visit | group / subject))`;
  if (c.type === 'ANTE1') return 'ANTE(1) (first-order ante-dependence): neither nlme nor lme4 has it (mmrm fits it: adh(visit | subject))';
  if (c.type === 'TOEP' && c.toeplitzBands !== undefined && (k === undefined || c.toeplitzBands < k)) {
    return `TOEP(${c.toeplitzBands}) (a banded Toeplitz: correlations beyond lag ${c.toeplitzBands - 1} are 0): nlme's corARMA(q = ${c.toeplitzBands - 1}) spans only part of the banded matrices, so it is not the same model`;
  }
  return undefined;
}

interface RsideCode {
  correlation?: string;
  weights?: string;
  /** Study's structure id for the covariance parameter names */
  type: string;
}

function rsideCode(c: CovarianceChoice, spec: ModelSpec, k: number, grouping: string, posFactor: string): RsideCode {
  const het = `varIdent(form = ~ 1 | ${posFactor})`;
  const coords = (c.coordinates ?? []).join(' + ');
  switch (c.type) {
    case 'VC':
      return { type: 'VC' };
    case 'CS':
      return { type: 'CS', correlation: `corCompSymm(form = ~ 1 | ${grouping})` };
    case 'CSH':
      return { type: 'CSH', correlation: `corCompSymm(form = ~ 1 | ${grouping})`, weights: het };
    case 'AR1':
      return { type: 'AR1', correlation: `corAR1(form = ~ .pos | ${grouping})` };
    case 'ARH1':
      return { type: 'ARH1', correlation: `corAR1(form = ~ .pos | ${grouping})`, weights: het };
    case 'UN':
      return { type: 'UN', correlation: `corSymm(form = ~ .pos | ${grouping})`, weights: het };
    case 'TOEP':
      return { type: 'TOEP', ...(k > 1 ? { correlation: `corARMA(form = ~ .pos | ${grouping}, p = ${k - 1}, q = 0)` } : {}) };
    case 'TOEPH':
      return { type: 'TOEPH', ...(k > 1 ? { correlation: `corARMA(form = ~ .pos | ${grouping}, p = ${k - 1}, q = 0)` } : {}), weights: het };
    case 'SPPOW':
      // rho^d = exp(-d / range): SP(POW) is corExp with rho = exp(-1 / range)
      return { type: 'SPPOW', correlation: `corExp(form = ~ ${coords} | ${grouping})` };
    case 'SPEXP':
      return { type: 'SPEXP', correlation: `corExp(form = ~ ${coords} | ${grouping})` };
    case 'SPGAU':
      return { type: 'SPGAU', correlation: `corGaus(form = ~ ${coords} | ${grouping})` };
    case 'ANTE1':
      return { type: 'ANTE1' };
  }
  void spec;
}

/** A G-side random effect in lme4 syntax, with its own grouping column and the SAS names of its parameters. */
interface GTerm {
  /** R code that adds the grouping column to the data */
  grouping: string;
  term: string;
  map: string[];
  problem?: string;
}

function gsideTerms(spec: ModelSpec, d: string, classes: Set<string>): GTerm[] {
  const out: GTerm[] = [];
  let g = 0;
  spec.random.forEach((r: RandomSpec) => {
    const subjectVars = subjectVariables(r.subject);
    const subjectName = r.subject;
    const newGroup = (vars: string[]): string => {
      g++;
      const name = `.g${g}`;
      return `${d}[[${rs(name)}]] <- ${vars.length === 1 ? `factor(${col(d, vars[0]!)})` : `interaction(${vars.map((v) => col(d, v)).join(', ')}, drop = TRUE, sep = ":")`}`;
    };
    const isClass = (t: Term) => t.some((v) => classes.has(v));
    if (r.type === 'UN') {
      if (r.terms.some(isClass)) {
        out.push({ grouping: '', term: '', map: [], problem: `RANDOM ${r.terms.map((t) => t.join('*') || 'intercept').join(' ')} / TYPE=UN with a class effect: not written for lme4 here` });
        return;
      }
      if (subjectVars.length === 0) {
        out.push({ grouping: '', term: '', map: [], problem: 'RANDOM … / TYPE=UN without SUBJECT=: lme4 needs a grouping factor' });
        return;
      }
      const grouping = newGroup(subjectVars);
      const name = `.g${g}`;
      const vars = r.terms.map((t) => (t.length === 0 ? '(Intercept)' : t.join(':')));
      const hasInt = r.terms.some((t) => t.length === 0);
      const lhs = [hasInt ? '1' : '0', ...r.terms.filter((t) => t.length > 0).map((t) => t.join(':'))].join(' + ');
      const map: string[] = [];
      for (let i = 0; i < vars.length; i++) {
        for (let j = 0; j <= i; j++) {
          map.push(`list(grp = ${rs(name)}, var1 = ${rs(vars[j]!)}, var2 = ${i === j ? 'NA' : rs(vars[i]!)}, name = ${rs(`UN(${i + 1},${j + 1})`)}, subject = ${rs(subjectName!)})`);
        }
      }
      out.push({ grouping, term: `(${lhs} | ${name})`, map });
      return;
    }
    for (const t of r.terms) {
      const classVars = t.filter((v) => classes.has(v));
      const numVars = t.filter((v) => !classes.has(v));
      const sasName = t.length === 0 ? 'Intercept' : t.join('*');
      if (numVars.length > 1) {
        out.push({ grouping: '', term: '', map: [], problem: `RANDOM ${sasName}: a product of continuous variables is not written for lme4 here` });
        continue;
      }
      const groupVars = [...subjectVars, ...classVars];
      if (groupVars.length === 0) {
        out.push({ grouping: '', term: '', map: [], problem: `RANDOM ${sasName} without SUBJECT= and without a class variable: one random coefficient for the whole data, which lme4 cannot fit` });
        continue;
      }
      const grouping = newGroup(groupVars);
      const name = `.g${g}`;
      const lhs = numVars.length === 0 ? '1' : `0 + ${numVars[0]}`;
      const var1 = numVars.length === 0 ? '(Intercept)' : numVars[0]!;
      out.push({ grouping, term: `(${lhs} | ${name})`, map: [`list(grp = ${rs(name)}, var1 = ${rs(var1)}, var2 = NA, name = ${rs(sasName)}${subjectName ? `, subject = ${rs(subjectName)}` : ''})`] });
    }
  });
  return out;
}

function dfNote(spec: ModelSpec, engine: 'gls' | 'lmer' | 'lme'): { same: { df: boolean; se: boolean }; notes: string[]; lmerDf?: string } {
  const notes: string[] = [];
  const kr = spec.ddfm === 'kenward-roger';
  const observed = kr && spec.kenwardRoger?.information === 'observed';
  if (engine === 'gls') {
    const same = spec.ddfm === 'residual';
    if (!same) notes.push(`Study's df method is ${spec.ddfm}; nlme::gls tests with df = N - rank(X) (SAS DDFM=RESIDUAL): the estimates, standard errors and t / F statistics agree, the df and p-values differ (R has no ${spec.ddfm} df for gls)`);
    if (kr) notes.push("Kenward-Roger also adjusts the standard errors (Study's Solution, LS-means and estimates); gls's are the unadjusted ones, and Study's F is KR-scaled: compare the Wald chi-square (Study's type3 chisq) with numdf * F here");
    return { same: { df: same, se: !kr }, notes };
  }
  if (engine === 'lme') {
    notes.push(`Study's df method is ${spec.ddfm}; nlme::lme uses its own (inner-outer) df: the estimates, standard errors and t / F statistics agree, the df and p-values may differ`);
    if (kr) notes.push('Kenward-Roger standard errors are not available for lme: the unadjusted ones are printed');
    return { same: { df: false, se: !kr }, notes };
  }
  if (spec.ddfm === 'satterthwaite') return { same: { df: true, se: true }, notes, lmerDf: 'Satterthwaite' };
  if (kr) {
    if (observed || spec.kenwardRoger?.firstOrder) {
      notes.push("Study's Kenward-Roger here uses the observed information (SAS's DDFM=KR); pbkrtest (lmerTest's and emmeans' Kenward-Roger) uses the expected information: the adjusted standard errors and the df differ in the later digits");
      return { same: { df: false, se: false }, notes, lmerDf: 'Kenward-Roger' };
    }
    return { same: { df: true, se: true }, notes, lmerDf: 'Kenward-Roger' };
  }
  notes.push(`Study's df method is ${spec.ddfm} (SAS DDFM=${spec.ddfm === 'containment' ? 'CONTAIN' : spec.ddfm.toUpperCase()}); lmerTest has Satterthwaite and Kenward-Roger only: Satterthwaite df are printed (they equal containment's in balanced designs); the estimates, standard errors and statistics agree`);
  return { same: { df: false, se: true }, notes, lmerDf: 'Satterthwaite' };
}

function lsmeansCode(l: LsMeansSpec, spec: ModelSpec, fit: string, data: string, emmArgs: string, out: string, covariates: string[]): string[] {
  const vars = l.effect.split('*');
  const key = [...vars].sort().join('*');
  const term = spec.fixed.find((t) => [...t].sort().join('*') === key) ?? vars;
  const effect = term.join('*');
  const at = l.at && Object.keys(l.at).length > 0 ? `, at = list(${Object.entries(l.at).map(([k, v]) => `${k} = ${v}`).join(', ')})` : '';
  // emmeans varies its first factor fastest, SAS its last: the factors reversed give SAS's order of the LS-means (and of the differences)
  const specs = l.slice ? `~ ${[...vars.filter((v) => v !== l.slice)].reverse().join(' * ')} | ${l.slice}` : `~ ${[...term].reverse().join(' * ')}`;
  const atValues = covariates.length > 0 ? `, at = c(${covariates.map((c) => `${c} = ${l.at?.[c] !== undefined ? l.at[c] : `mean(${data}[[${rs(c)}]])`}`).join(', ')})` : '';
  return [
    `  emm <- emmeans(${fit}, ${specs}, data = ${data}${at}${emmArgs})`,
    '  print(summary(emm, infer = TRUE))',
    ...(l.pairwise ? [`  print(pairs(emm, reverse = FALSE, adjust = ${rs(l.adjust)}))`] : []),
    ...(l.slice ? ['  print(test(pairs(emm, reverse = FALSE), joint = TRUE))'] : []),
    `  r <- study_lsmeans(emm, ${rs(effect)}, ${rvec(term)}, ${l.pairwise ? 'TRUE' : 'FALSE'}, ${rs(l.adjust)}${l.slice ? `, by = ${rs(l.slice)}` : ''}${atValues})`,
    `  ${out}$lsmeans <- c(${out}$lsmeans, r$lsmeans); ${out}$diffs <- c(${out}$diffs, r$diffs); ${out}$slices <- c(${out}$slices, r$slices)`,
  ];
}

function modelSection(m: ModelData, k: number, x: ExportData, e: RExpr): string[] {
  const spec = m.planned.spec;
  const id = `m${k + 1}`;
  const lines: string[] = [''];
  const title = m.planned.sensitivity ? `sensitivity ${spec.name} (a variant of model ${m.planned.sensitivity.of}: ${m.planned.sensitivity.description})` : `model ${spec.name}`;
  lines.push(`## ==================================================================== ${title}`);
  const refuse = (why: string): string[] => [
    ...lines,
    rcomment(`NOT FITTED in R: ${why}`),
    `study_results$models[[length(study_results$models) + 1]] <- list(name = ${rs(spec.name)}, fitted = FALSE, reason = ${rs(why)})`,
  ];
  if (!m.design) return refuse(`the model's design could not be built: ${m.error}`);
  const design = m.design;
  const classes = new Set(design.classLevels.keys());
  const chain = structureChain(spec);
  const hasG = spec.random.length > 0;
  const hasR = Boolean(spec.repeated && (chain.choices.some((c) => c.type !== 'VC') || spec.repeated.group));
  const engine: 'gls' | 'lmer' | 'lme' = !hasG ? 'gls' : hasR ? 'lme' : 'lmer';
  const kpos = design.repeatedLevels?.length ?? Math.max(...design.subjects.map((s) => s.rows.length));
  if (hasR) {
    for (const c of chain.choices) {
      const p = rsideProblem(c, kpos, spec.repeated?.group);
      if (p) return refuse(chain.choices.length > 1 ? `${chain.kind === 'select' ? 'the candidate' : 'the structure'} ${choiceLabel(c)}: ${p}` : p);
    }
  }
  if (spec.randomSolution) lines.push(rcomment("predict random effects (SAS's Solution for Random Effects): ranef() gives the EBLUPs; R's conditional variances leave out the uncertainty of the fixed effects that SAS's Std Err Pred includes, so they are printed, not compared"));
  // the rows of the model
  lines.push(`${id}_rows <- study`);
  for (const f of m.planned.filters) lines.push(rcomment(filterText(f)), `${id}_rows <- ${id}_rows[${f.mode === 'where' ? '' : '!'}study_true(${new RExpr(x.kinds as Map<string, 'numeric' | 'text'>, `${id}_rows`).expr(f.expr)}), , drop = FALSE]`);
  void e;
  const subjectVar = spec.subject;
  const blockSubject = spec.subject ?? spec.random.find((r) => r.subject)?.subject;
  const needed = new Set<string>([spec.response, ...spec.fixed.flat(), ...spec.random.flatMap((r) => [...r.terms.flat(), ...subjectVariables(r.subject)]), ...subjectVariables(spec.subject)]);
  if (spec.repeated?.effect) needed.add(spec.repeated.effect);
  if (spec.repeated?.group) needed.add(spec.repeated.group);
  for (const c of chain.choices) for (const v of c.coordinates ?? []) needed.add(v);
  if (blockSubject) lines.push(`${id}_subjects <- length(unique(${col(`${id}_rows`, subjectVariables(blockSubject)[0]!)}[!is.na(${col(`${id}_rows`, subjectVariables(blockSubject)[0]!)})]))  # SAS's Subjects (BIC's n): every subject read`);
  lines.push(rcomment('complete cases of every variable of the model, as SAS and Study use them'));
  lines.push(`${id} <- ${id}_rows[stats::complete.cases(${id}_rows[, ${rvec([...needed])}, drop = FALSE]), , drop = FALSE]`);
  if (!blockSubject) lines.push(`${id}_subjects <- 1`);
  for (const [v, levels] of design.classLevels) {
    const ref = spec.classReference?.[v];
    lines.push(`${id}$${v} <- factor(${col(id, v)}, levels = ${rvec(levels)})  # SAS's order${ref !== undefined ? `, REF=${ref} last` : ''}`);
  }
  // positions in R
  const rep = spec.repeated;
  if (hasR) {
    if (rep?.effect) lines.push(`${id}$.pos <- as.integer(${col(id, rep.effect)})  # the row of R: the level's index in SAS's order`);
    else lines.push(`${id}$.pos <- ave(seq_len(nrow(${id})), ${col(id, subjectVar ?? blockSubject ?? '')}, FUN = seq_along)  # no repeated effect: rows in data order within subject`);
    if (!rep?.effect) lines.push(`${id}$.posf <- factor(${id}$.pos)`);
  }
  const posFactor = rep?.effect ?? '.posf';
  const levelsForNames = rep?.effect ? design.classLevels.get(rep.effect)! : Array.from({ length: kpos }, (_, i) => String(i + 1));
  lines.push(`${id}_formula <- ${fixedFormula(spec)}`);
  const method = spec.method;
  const dfs = dfNote(spec, engine);
  for (const n of dfs.notes) lines.push(rcomment(n));
  if (spec.convergence === 'sas') lines.push(rcomment("`converge sas`: Study stops at SAS's criterion (SAS's last iterate); R's optimisers stop at their own tolerance, near the optimum: the covariance parameters can differ in the 4th or 5th digit"));
  lines.push(`${id}_out <- list(name = ${rs(spec.name)}, fitted = TRUE, engine = ${rs(engine === 'gls' ? 'nlme::gls' : engine === 'lme' ? 'nlme::lme' : 'lme4::lmer + lmerTest')}, same = list(df = ${dfs.same.df ? 'TRUE' : 'FALSE'}, se = ${dfs.same.se ? 'TRUE' : 'FALSE'}))`);

  // the fits
  let fitCall: (c: CovarianceChoice) => string;
  const gterms = engine === 'gls' ? [] : gsideTerms(spec, id, classes);
  if (engine === 'lmer') {
    const bad = gterms.find((g) => g.problem);
    if (bad) return refuse(bad.problem!);
    for (const g of gterms) lines.push(g.grouping);
    const f = `update(${id}_formula, . ~ . + ${gterms.map((g) => g.term).join(' + ')})`;
    lines.push(`${id}_lmer_formula <- ${f}`);
    fitCall = () => `lmerTest::lmer(${id}_lmer_formula, data = ${id}, REML = ${method === 'REML' ? 'TRUE' : 'FALSE'}, control = study_lmer_control)`;
  } else if (engine === 'lme') {
    // one random intercept with a subject, and the R-side structure within it
    const r = spec.random;
    if (r.length !== 1 || r[0]!.terms.length !== 1 || r[0]!.terms[0]!.length !== 0 || !r[0]!.subject) {
      return refuse('a G-side effect other than one random intercept with SUBJECT=, together with an R-side structure: nlme::lme takes nested random effects only, lme4 has no R-side structure');
    }
    const gs = subjectVariables(r[0]!.subject);
    lines.push(`${id}$.g1 <- ${gs.length === 1 ? `factor(${col(id, gs[0]!)})` : `interaction(${gs.map((v) => col(id, v)).join(', ')}, drop = TRUE, sep = ":")`}`);
    const inner = subjectVar && subjectVar !== r[0]!.subject ? `.g1/${subjectVar}` : '.g1';
    fitCall = (c) => {
      const code = rsideCode(c, spec, kpos, inner, posFactor);
      const call = (control: string) => `lme(${id}_formula, random = ~ 1 | .g1, data = ${id}, method = ${rs(method)}${code.correlation ? `, correlation = ${code.correlation}` : ''}${code.weights ? `, weights = ${code.weights}` : ''}, control = ${control})`;
      return `study_tight(function(control) ${call('control')}, "lme")`;
    };
  } else {
    fitCall = (c) => {
      const code = rsideCode(c, spec, kpos, subjectVar ?? blockSubject ?? '1', posFactor);
      const call = (control: string) => `gls(${id}_formula, data = ${id}, method = ${rs(method)}${code.correlation ? `, correlation = ${code.correlation}` : ''}${code.weights ? `, weights = ${code.weights}` : ''}, control = ${control})`;
      return `study_tight(function(control) ${call('control')}, "gls")`;
    };
  }
  const typeOf = (c: CovarianceChoice) => rsideCode(c, spec, kpos, '', '').type;
  const structures = engine === 'lmer' ? [chain.choices[0]!] : chain.choices;
  lines.push(`${id}_structures <- list(`);
  structures.forEach((c, i) => lines.push(`  ${rs(choiceLabel(c))} = function() ${fitCall(c)}${i < structures.length - 1 ? ',' : ''}`));
  lines.push(')');
  lines.push(`${id}_types <- ${rvec(structures.map(typeOf))}`);
  lines.push(`${id}_X <- model.matrix(${id}_formula, ${id})`);
  if (chain.kind === 'select' && engine !== 'lmer') {
    lines.push(
      rcomment(
        `select cov ${chain.choices.map(choiceLabel).join(', ')} by ${chain.criterion}: each structure is fitted and the one with the smallest ${chain.criterion} kept, in SAS's convention (R's own AIC/BIC count the fixed effects and, under REML, use N - p: not the same numbers)`,
      ),
    );
    lines.push(`${id}_fits <- lapply(${id}_structures, function(f) tryCatch(f(), error = function(e) { message("  not fitted: ", conditionMessage(e)); NULL }))`);
    lines.push(`${id}_ic <- t(vapply(${id}_fits, function(f) if (is.null(f)) rep(NA_real_, 4) else study_ic(study_m2ll(f), study_q(f), nrow(${id}), ncol(${id}_X), ${id}_subjects, ${rs(method)}), numeric(4)))`);
    lines.push(`colnames(${id}_ic) <- c("minus2ll", "aic", "aicc", "bic"); print(${id}_ic)`);
    lines.push(`${id}_chosen <- which.min(${id}_ic[, ${rs(chain.criterion!.toLowerCase())}])`);
    lines.push(`${id}_out$candidates <- lapply(seq_along(${id}_fits), function(i) list(structure = names(${id}_structures)[i], minus2ll = ${id}_ic[i, 1], aic = ${id}_ic[i, 2], aicc = ${id}_ic[i, 3], bic = ${id}_ic[i, 4]))`);
    lines.push(`${id}_out$chosen_structure <- names(${id}_structures)[${id}_chosen]`);
    lines.push(`${id}_fit <- ${id}_fits[[${id}_chosen]]`);
  } else if (chain.kind === 'fallback' && engine !== 'lmer') {
    lines.push(rcomment(`cov ${chain.choices.map(choiceLabel).join(' else ')}: the first structure that can be fitted is used (Study also abandons one that does not converge)`));
    lines.push(`${id}_chosen <- NA; ${id}_fit <- NULL`);
    lines.push(`for (i in seq_along(${id}_structures)) { ${id}_fit <- tryCatch(${id}_structures[[i]](), error = function(e) { message("  ", names(${id}_structures)[i], " abandoned: ", conditionMessage(e)); NULL }); if (!is.null(${id}_fit)) { ${id}_chosen <- i; break } }`);
  } else {
    lines.push(`${id}_chosen <- 1`);
    lines.push(`${id}_fit <- ${id}_structures[[1]]()`);
  }
  lines.push(`cat("\\n==== ${title.replace(/"/g, "'")}:", names(${id}_structures)[${id}_chosen], "\\n")`);
  lines.push(`print(summary(${id}_fit))`);
  lines.push(`${id}_out$minus2ll <- study_m2ll(${id}_fit)`);
  lines.push(`cat("-2 ${method === 'REML' ? 'Res ' : ''}Log Likelihood (SAS's constant):", format(${id}_out$minus2ll, digits = 12), "\\n")`);
  // covariance parameters
  if (engine === 'lmer') {
    lines.push(`${id}_out$covparms <- study_lmer_covparms(${id}_fit, list(${gterms.flatMap((g) => g.map).join(', ')}))`);
  } else {
    const g = engine === 'lme' ? `c(study_lme_gside(${id}_fit, "Intercept", ${rs(spec.random[0]!.subject!)}), ` : '';
    lines.push(`${id}_out$covparms <- ${g}study_rside_covparms(${id}_fit, ${id}_types[${id}_chosen], ${rvec(levelsForNames)}, ${subjectVar ? rs(subjectVar) : 'NULL'})${g ? ')' : ''}`);
  }
  const krAdjusted = engine === 'lmer' && spec.ddfm === 'kenward-roger';
  lines.push(`${id}_V <- study_vcov(${id}_fit${krAdjusted ? ', kr = TRUE' : ''})${krAdjusted ? '  # Kenward-Roger: the adjusted Cov(beta) (pbkrtest, expected information)' : ''}`);
  lines.push(`${id}_out$fixed <- study_fixed(${id}_fit, ${id}_X, ${id}_formula${engine === 'gls' ? `, df = nrow(${id}) - ncol(${id}_X)` : ''}, V = ${id}_V)`);
  // Type 3
  lines.push(rcomment("Type 3 tests in SAS's sense (Wald F in the sum-to-zero coding; R's anova() on SAS-coded factors tests other hypotheses)"));
  lines.push(`${id}_out$type3 <- study_type3(${id}_fit, ${id}_formula, ${id}, V = ${id}_V)`);
  if (engine === 'gls') lines.push(`for (i in seq_along(${id}_out$type3)) { ${id}_out$type3[[i]]$dendf <- nrow(${id}) - ncol(${id}_X); ${id}_out$type3[[i]]$p <- pf(${id}_out$type3[[i]]$F, ${id}_out$type3[[i]]$numdf, nrow(${id}) - ncol(${id}_X), lower.tail = FALSE) }`);
  if (engine === 'lmer' && dfs.lmerDf) {
    lines.push(`${id}_a3 <- anova(${id}_fit, type = 3, ddf = ${rs(dfs.lmerDf)}); print(${id}_a3)`);
    lines.push(`for (i in seq_along(${id}_out$type3)) { j <- match(gsub("*", ":", ${id}_out$type3[[i]]$effect, fixed = TRUE), rownames(${id}_a3)); if (!is.na(j)) { ${id}_out$type3[[i]]$F <- ${id}_a3[j, "F value"]; ${id}_out$type3[[i]]$dendf <- ${id}_a3[j, "DenDF"]; ${id}_out$type3[[i]]$p <- ${id}_a3[j, "Pr(>F)"] } }`);
  }
  if (spec.tests) {
    const keep = spec.tests.map((t) => [...t].sort().join('*'));
    lines.push(`${id}_out$type3 <- Filter(function(r) paste(sort(strsplit(r$effect, "*", fixed = TRUE)[[1]]), collapse = "*") %in% ${rvec(keep)}, ${id}_out$type3)`);
  }
  lines.push(`for (r in ${id}_out$type3) cat(sprintf("  Type 3 %-20s F(%d, %s) = %.6g\\n", r$effect, r$numdf, if (is.null(r$dendf)) "." else format(r$dendf, digits = 6), r$F))`);
  // LS-means, estimates
  const emmArgs = engine === 'gls' ? `, df = nrow(${id}) - ncol(${id}_X), vcov. = ${id}_V` : engine === 'lmer' ? `, lmer.df = ${rs((dfs.lmerDf ?? 'Satterthwaite').toLowerCase())}` : '';
  if (spec.lsmeans.length > 0 || spec.estimates.length > 0) {
    lines.push(`${id}_out$lsmeans <- list(); ${id}_out$diffs <- list(); ${id}_out$slices <- list(); ${id}_out$estimates <- list()`);
    lines.push('local({');
    const covariates = [...new Set(spec.fixed.flat())].filter((v) => !classes.has(v));
    for (const l of spec.lsmeans) lines.push(...lsmeansCode(l, spec, `${id}_fit`, id, emmArgs, `${id}_out`, covariates).map((s) => s.replace(/\b(m\d+_out)\$(\w+) <- /g, '$1$$$2 <<- ')));
    for (const est of spec.estimates) {
      if (est.kind !== 'slope-at-levels') {
        lines.push(rcomment(`estimate '${est.label}': an explicit contrast is not exported to R`, '  ## '));
        continue;
      }
      lines.push(`  tr <- emtrends(${id}_fit, ~ ${est.factor}, var = ${rs(est.covariate)}, data = ${id}${emmArgs})`);
      lines.push('  print(summary(tr, infer = TRUE))');
      lines.push('  s <- as.data.frame(summary(tr))');
      const label = est.label
        ? est.label.includes('{level}')
          ? `vapply(as.character(s[[${rs(est.factor)}]]), function(l) gsub("{level}", l, ${rs(est.label)}, fixed = TRUE), "")`
          : `paste(${rs(est.label)}, as.character(s[[${rs(est.factor)}]]))`
        : `paste(${rs(`${est.covariate} slope at ${est.factor}`)}, as.character(s[[${rs(est.factor)}]]))`;
      lines.push(`  lab <- ${label}`);
      lines.push(`  ${id}_out$estimates <<- c(${id}_out$estimates, lapply(seq_len(nrow(s)), function(i) list(label = unname(lab[i]), estimate = s[[${rs(`${est.covariate}.trend`)}]][i], se = s$SE[i], df = s$df[i])))`);
    }
    lines.push('})');
  }
  lines.push(`study_results$models[[length(study_results$models) + 1]] <- ${id}_out`);
  return lines;
}

function subjectValueCode(d: string, subject: string, v: SubjectValue, e: RExpr): string {
  const hit = v.at ? `, hit = study_true(${col(d, v.at.column)} == ${e.level(v.at.column, v.at.level)})` : '';
  return `study_subject_value(${d}, ${rs(subject)}, ${rs(v.variable)}${hit})`;
}

function valueLabel(v: SubjectValue): string {
  return v.at ? `${v.variable} at ${v.at.column} ${v.at.level}` : v.variable;
}

function analysisSection(a: PlannedAnalysis, k: number, plan: StudyPlan, x: ExportData): string[] {
  const lines: string[] = ['', `## ==================================================================== analysis ${a.name}`];
  const s = plan.subject;
  if (!s) return [...lines, rcomment('per-subject analyses need a subject column: the spec has none')];
  const d = `a${k + 1}`;
  const e = new RExpr(x.kinds as Map<string, 'numeric' | 'text'>, d);
  lines.push(`${d} <- study`);
  for (const f of a.filters) lines.push(rcomment(filterText(f)), `${d} <- ${d}[${f.mode === 'where' ? '' : '!'}study_true(${e.expr(f.expr)}), , drop = FALSE]`);
  for (const t of a.tests) {
    if (t.kind === 'paired-t') {
      const label = `paired t: ${valueLabel(t.left)} - ${valueLabel(t.right)}`;
      lines.push(`## paired ${t.label}`);
      lines.push('local({');
      lines.push(`  x <- ${subjectValueCode(d, s, t.left, e)}`);
      lines.push(`  y <- ${subjectValueCode(d, s, t.right, e)}`);
      lines.push('  ok <- !is.na(x) & !is.na(y)');
      lines.push('  tt <- t.test(x[ok], y[ok], paired = TRUE)');
      lines.push('  print(tt)');
      lines.push(
        `  study_results$other[[length(study_results$other) + 1]] <<- list(analysis = ${rs(a.name)}, test = ${rs(label)}, statistic = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value, estimate = unname(tt$estimate), n = sum(ok), lower = tt$conf.int[1], upper = tt$conf.int[2])`,
      );
      lines.push('})');
    } else {
      const v = (x0: typeof t.x, name: string) =>
        x0.kind === 'value' ? `  ${name} <- ${subjectValueCode(d, s, x0.value, e)}` : `  ${name} <- ${subjectValueCode(d, s, x0.left, e)} - ${subjectValueCode(d, s, x0.right, e)}`;
      const desc = (x0: typeof t.x) => (x0.kind === 'value' ? valueLabel(x0.value) : `${valueLabel(x0.left)} - ${valueLabel(x0.right)}`);
      lines.push(`## correlate ${t.label}`);
      lines.push('local({');
      lines.push(v(t.x, 'x'), v(t.y, 'y'));
      lines.push('  ok <- !is.na(x) & !is.na(y)');
      lines.push('  ct <- cor.test(x[ok], y[ok], method = "pearson")');
      lines.push('  print(ct)');
      lines.push(
        `  study_results$other[[length(study_results$other) + 1]] <<- list(analysis = ${rs(a.name)}, test = ${rs(`Pearson r: ${desc(t.x)} with ${desc(t.y)}`)}, statistic = unname(ct$estimate), t = unname(ct$statistic), df = unname(ct$parameter), p = ct$p.value, n = sum(ok), lower = ct$conf.int[1], upper = ct$conf.int[2])`,
      );
      lines.push('})');
    }
  }
  return lines;
}

function readCode(plan: StudyPlan, data: Dataset, o: ExportOptions): string[] {
  const sep = data.delimiter === '\t' ? '\\t' : data.delimiter ?? ',';
  const enc = data.encoding === 'latin1' ? 'latin1' : data.encoding === 'utf-16le' ? 'UTF-16LE' : data.encoding === 'utf-16be' ? 'UTF-16BE' : 'UTF-8-BOM';
  const lines: string[] = [];
  lines.push(`study_dir <- ${rs(o.dataDir ?? '.')}`);
  lines.push(rcomment(`data "${plan.dataPath}": ${data.rows.length} rows; an empty cell, . and NA are missing (as Study reads them)`));
  lines.push(
    `raw <- read.csv(file.path(study_dir, ${rs(plan.dataPath)}), sep = "${sep}", colClasses = "character", na.strings = character(0), check.names = FALSE, fileEncoding = ${rs(enc)}, blank.lines.skip = TRUE)`,
  );
  for (const c of data.columns) {
    lines.push(c.kind === 'numeric' ? `raw[[${rs(c.name)}]] <- study_num(raw[[${rs(c.name)}]]${data.decimal === ',' ? ', dec = ","' : ''})` : `raw[[${rs(c.name)}]] <- study_text(raw[[${rs(c.name)}]])`);
  }
  return lines;
}

function deriveCode(plan: StudyPlan, x: ExportData): string[] {
  const lines: string[] = ['study <- raw'];
  const e = new RExpr(x.kinds as Map<string, 'numeric' | 'text'>, 'study');
  for (const d of plan.derived) {
    lines.push(rcomment(derivedText(d)));
    if (d.kind === 'centred') {
      lines.push(`study[[${rs(d.name)}]] <- study[[${rs(d.variable)}]] - (${d.centre})`);
      continue;
    }
    const key = plan.subject ? `study[[${rs(plan.subject)}]]` : 'rep("", nrow(study))';
    lines.push(`local({`);
    lines.push(`  b <- study_baseline(${key}, study_true(study[[${rs(d.by)}]] == ${e.level(d.by, d.baseline)}), study[[${rs(d.variable)}]])`);
    lines.push(
      d.kind === 'percent-change'
        ? `  study[[${rs(d.name)}]] <<- ifelse(is.na(b) | b == 0, NA_real_, 100 * (study[[${rs(d.variable)}]] - b) / b)`
        : `  study[[${rs(d.name)}]] <<- study[[${rs(d.variable)}]] - b`,
    );
    lines.push('})');
  }
  for (const f of plan.filters) lines.push(rcomment(filterText(f)), `study <- study[${f.mode === 'where' ? '' : '!'}study_true(${e.expr(f.expr)}), , drop = FALSE]`);
  return lines;
}

/** The R script of a plan, read against its data. */
export function exportR(plan: StudyPlan, data: Dataset, options: ExportOptions = {}, prepared?: ExportData): string {
  const x = prepared ?? exportData(plan, data);
  const usesLmer = x.models.some((m) => m.planned.spec.random.length > 0 && !(m.planned.spec.repeated && m.planned.spec.repeated.type !== 'VC'));
  const lines: string[] = [];
  lines.push(rcomment(`${plan.title ?? 'Study'}\nR script exported by study${options.version ? ` ${options.version}` : ''} from ${options.specFile ?? 'the spec'}: the same data, derivations, filters and models.\nRun: Rscript this.R            (add --json numbers.json to write the numbers as JSON, Study's field names)\nFactors use SAS's level order (a REF= level last) and SAS contrasts, so the fixed effects are SAS's Solution.`));
  const describes = plan.describes ?? [];
  if (describes.length > 0) lines.push(rcomment(`not exported: the describe block${describes.length > 1 ? 's' : ''} ${describes.map((d) => d.name).join(', ')} (descriptive statistics)`));
  lines.push('suppressPackageStartupMessages({');
  lines.push('  library(nlme)');
  lines.push('  library(emmeans)');
  if (usesLmer) lines.push('  library(lme4)', '  library(lmerTest)');
  lines.push('})');
  lines.push('options(contrasts = c("contr.SAS", "contr.poly"))');
  lines.push('emm_options(msg.interaction = FALSE)');
  lines.push(rcomment("nlme's default optimiser (nlminb) stops ~1e-4 (relative) short of the optimum in flat directions (UN, TOEP): optim with tight"));
  lines.push(rcomment("tolerances goes on to it (BFGS; Nelder-Mead where BFGS fails, as for corARMA; nlme's defaults last)"));
  lines.push('study_gls_control <- glsControl(opt = "optim", optimMethod = "BFGS", maxIter = 500, msMaxIter = 1000, tolerance = 1e-12, msTol = 1e-14, returnObject = TRUE)');
  lines.push('study_gls_nm <- glsControl(opt = "optim", optimMethod = "Nelder-Mead", maxIter = 500, msMaxIter = 5000, tolerance = 1e-12, msTol = 1e-14, returnObject = TRUE)');
  lines.push('study_lme_control <- lmeControl(opt = "optim", maxIter = 500, msMaxIter = 1000, tolerance = 1e-12, msTol = 1e-14, returnObject = TRUE)');
  lines.push('study_lme_nm <- lmeControl(opt = "optim", optimMethod = "Nelder-Mead", maxIter = 500, msMaxIter = 5000, tolerance = 1e-12, msTol = 1e-14, returnObject = TRUE)');
  lines.push('study_tight <- function(fit, kind) {');
  lines.push('  ctl <- if (kind == "gls") list(study_gls_control, study_gls_nm, glsControl(returnObject = TRUE)) else list(study_lme_control, study_lme_nm, lmeControl(returnObject = TRUE))');
  lines.push('  for (i in seq_along(ctl)) { f <- tryCatch(fit(ctl[[i]]), error = function(e) { message("  optimiser ", i, " failed: ", conditionMessage(e)); NULL }); if (!is.null(f)) return(f) }');
  lines.push('  stop("no optimiser could fit the model")');
  lines.push('}');
  lines.push(rcomment("lme4's default tolerances stop ~1e-4 (relative) short of the optimum in flat directions: tightened"));
  lines.push(`study_lmer_control <- ${usesLmer ? 'lme4::lmerControl(optimizer = "nloptwrap", optCtrl = list(ftol_abs = 1e-14, ftol_rel = 1e-14, xtol_abs = 1e-12, xtol_rel = 1e-12, maxeval = 1e5), check.conv.singular = "ignore")' : 'NULL'}`);
  lines.push(R_PRELUDE.trim());
  lines.push('', '## ---------------------------------------------------------------- data', ...readCode(plan, data, options));
  lines.push(...deriveCode(plan, x));
  const e = new RExpr(x.kinds as Map<string, 'numeric' | 'text'>, 'study');
  x.models.forEach((m, k) => lines.push(...modelSection(m, k, x, e)));
  plan.analyses.forEach((a, k) => lines.push(...analysisSection(a, k, plan, x)));
  lines.push('', 'study_json(study_results)');
  return lines.join('\n') + '\n';
}
