/**
 * Results in the editor, in process (Langium services, fits run in this thread): after a run of the
 * ketamine example, hover shows the numbers of the term under the cursor, inlay hints the headlines,
 * code lenses run and show results, and fit notes become diagnostics. The hover's Table-2 numbers
 * (age slope at each visit) are those of the engine's report of the same spec and of the ketamine
 * reference (packages/engine/test/conformance/ketamine-synthetic/expected.json).
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DocumentState, URI, type LangiumDocument } from 'langium';
import { parseDocument } from 'langium/test';
import type { Hover, InlayHint } from 'vscode-languageserver';
import { createStudyServices } from '@study/language';
import { runStudyFile } from '../src/run.js';
import { StudyResults, type RunResponse } from '../src/results/results-service.js';
import { apaP, num } from '../src/results/tables.js';
import { KETAMINE_SPEC, tempFolder } from './helpers.js';

// the ketamine reference (test/conformance; packages/engine/test/conformance is a temporary link to it)
const reference = ['../../../test/conformance/ketamine-synthetic/expected.json', '../../engine/test/conformance/ketamine-synthetic/expected.json']
  .map((p) => fileURLToPath(new URL(p, import.meta.url)))
  .find((f) => existsSync(f))!;
const expected = JSON.parse(readFileSync(reference, 'utf8')).expected;

/** Fresh services and a document of `text` in a folder holding a copy of ketamine.csv; its results run in process. */
async function setup(text = KETAMINE_SPEC) {
  const { Study } = createStudyServices();
  const dir = tempFolder({ 'spec.study': text });
  const file = path.join(dir, 'spec.study');
  const uri = URI.file(file).toString();
  const document = await parseDocument(Study, text, { documentUri: uri });
  let current = text;
  const results: StudyResults = Study.results.StudyResults;
  results.configure({ inProcess: true });
  results.attach(undefined, { openDocument: (u) => (u === uri ? { text: current, version: 1 } : undefined) });
  const hover = async (needle: string, offset = 1, from = 0): Promise<string | undefined> => {
    const lines = text.split('\n');
    const line = lines.findIndex((l, i) => i >= from && l.includes(needle));
    const h: Hover | undefined = await Study.lsp.HoverProvider!.getHoverContent(document, {
      textDocument: { uri },
      position: { line, character: lines[line]!.indexOf(needle) + offset },
    });
    return h ? (h.contents as { value: string }).value : undefined;
  };
  const hints = async (): Promise<InlayHint[]> =>
    (await Study.lsp.InlayHintProvider!.getInlayHints(document, {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } },
    })) ?? [];
  const revalidate = async (doc: LangiumDocument = document) => {
    Study.shared.workspace.DocumentBuilder.resetToState(doc, DocumentState.IndexedReferences);
    await Study.shared.workspace.DocumentBuilder.build([doc], { validation: true });
    return doc.diagnostics ?? [];
  };
  return { Study, dir, file, uri, document, results, hover, hints, revalidate, edit: (t: string) => (current = t) };
}

/** The numbers of a Markdown table row whose first cell is `label`. */
function row(md: string, label: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${label} |`));
  if (!line) throw new Error(`no row '${label}' in\n${md}`);
  return line.split('|').slice(2, -1).map((c) => c.trim());
}

describe('results in the editor (ketamine example)', async () => {
  const s = await setup();
  const run: RunResponse = await s.results.run({ uri: s.uri });
  const trajectory = run.report.models[0]!;

  it('runs the spec and reports the same numbers as `study run`', async () => {
    const cli = await runStudyFile(s.file);
    expect(cli.report!.models[0]!.estimates).toEqual(trajectory.estimates);
    expect(cli.report!.other).toEqual(run.report.other);
    expect(run.stale).toBe(false);
    expect(run.report.figures?.length).toBeGreaterThan(0);
  });

  it('hover on `age` (covariate): Type 3 row and the age slope at each visit = Table 2', async () => {
    const md = (await s.hover('covariate age', 'covariate '.length + 1))!;
    const t3 = trajectory.type3.find((r) => r.effect === 'age')!;
    expect(row(md, 'age')).toEqual(['1', '47', num(t3.F), t3.p < 0.0001 ? '<.0001' : t3.p.toFixed(4)]);
    expect(trajectory.estimates).toHaveLength(expected.estimates.length);
    trajectory.estimates.forEach((e, k) => {
      const ref = expected.estimates[k];
      // the report against the reference (R, SAS conventions) ...
      expect(Math.abs(e.estimate - ref.estimate)).toBeLessThanOrEqual(1e-4 * Math.abs(ref.estimate));
      expect(Math.abs(e.se - ref.se)).toBeLessThanOrEqual(1e-4 * ref.se);
      // ... and the hover against the report, to the digits shown
      const [estimate, se, df, t, p, ci] = row(md, e.label);
      expect(Number(estimate)).toBeCloseTo(e.estimate, 4);
      expect(Number(se)).toBeCloseTo(e.se, 4);
      expect(Number(df)).toBe(ref.df);
      expect(Number(t)).toBeCloseTo(e.t, 4);
      expect(Number(p)).toBeCloseTo(ref.p, 4);
      expect(ci).toBe(`${num(e.lower)} to ${num(e.upper)}`);
    });
    expect(md).toContain('numeric column of ketamine.csv'); // the usual hover, below the numbers
  });

  it('hover on `age` in `test` and in `estimate` shows the same numbers', async () => {
    const covariate = (await s.hover('covariate age', 'covariate '.length + 1))!;
    const inTest = (await s.hover('test visit, age', 'test visit, '.length + 1))!;
    const inEstimate = (await s.hover('estimate slope of age', 'estimate slope of '.length + 1))!;
    const numbers = (md: string) => md.split('\n---\n')[0];
    expect(numbers(inTest)).toBe(numbers(covariate));
    expect(numbers(inEstimate)).toBe(numbers(covariate));
  });

  it('hover on `visit*age` and on `visit` in `test`: their Type 3 rows', async () => {
    const md = (await s.hover('visit*age', 2))!;
    const t3 = trajectory.type3.find((r) => r.effect === 'visit*age')!;
    expect(row(md, 'visit*age')).toEqual(['4', '47', num(t3.F), t3.p.toFixed(4)]);
    expect(Number(row(md, 'visit*age')[2])).toBeCloseTo(expected.type3[2].F, 3);
    const visit = (await s.hover('test visit', 'test '.length + 1))!;
    expect(row(visit, 'visit')[2]).toBe(num(trajectory.type3[0]!.F));
  });

  it('hover on `select cov`: the information criteria and the chosen structure', async () => {
    const md = (await s.hover('select cov', 1))!;
    expect(md).toContain('**UN** chosen');
    for (const c of expected.model_selection) expect(row(md, c.structure)[4]).toBe(num(trajectory.candidates.find((x) => x.structure === c.structure)!.bic));
    expect(Number(row(md, 'UN')[4])).toBeCloseTo(expected.bic, 3);
    expect(md).toContain('select cov'); // keyword docs stay below
  });

  it('hover on `estimate`: the Estimates table', async () => {
    const md = (await s.hover('estimate slope', 1))!;
    expect(md).toContain('Estimates');
    for (const e of trajectory.estimates) expect(Number(row(md, e.label)[0])).toBeCloseTo(e.estimate, 4);
  });

  it('hover on `compare`: LS-means and differences', async () => {
    const md = (await s.hover('compare visit', 1))!;
    expect(md).toContain('Least-squares means');
    expect(md).toContain('Adj P (tukey)');
    for (const l of trajectory.lsmeans) expect(Number(row(md, l.level)[0])).toBeCloseTo(l.estimate, 4);
    const d = trajectory.diffs[0]!;
    expect(md).toContain(`| ${d.level} | ${d.vs} | ${num(d.estimate)} |`);
  });

  it('hover on `paired` and `correlate`: the analysis rows', async () => {
    const paired = (await s.hover('paired', 1))!;
    expect(paired).toContain(num(run.report.other[0]!.statistic));
    expect(Number(row(paired, run.report.other[0]!.test)[0])).toBeCloseTo(expected.other[0].statistic, 4);
    const correlate = (await s.hover('correlate', 1))!;
    expect(Number(row(correlate, run.report.other[1]!.test)[0])).toBeCloseTo(expected.other[1].statistic, 4);
  });

  it('hover on a variable of a `describe` block: its lines of the descriptive table', async () => {
    const cohort = run.report.descriptives!.find((d) => d.name === 'cohort')!;
    const at6 = cohort.rows.find((r) => r.label === 'bdi at visit 6')!;
    // `bdi` in `bdi at visit 6`, and `visit` of its level: the same lines
    const md = (await s.hover('bdi at visit 6', 1))!;
    expect(md).toContain('**describe cohort**');
    expect(row(md, 'bdi at visit 6')).toEqual(['n (missing)', `${at6.n} (${at6.missing})`]);
    expect(md).toContain(`| mean ± SD | ${at6.mean!.toFixed(1)} ± ${at6.sd!.toFixed(1)} |`);
    expect(md).not.toContain('bdi at visit 1');
    const numbers = (h: string) => h.split('\n\n---\n\n')[0];
    expect(numbers((await s.hover('bdi at visit 6', 'bdi at '.length + 1))!)).toBe(numbers(md));
    // a categorical variable: its levels with n (%)
    const sex = (await s.hover('age, sex', 'age, '.length + 1))!;
    expect(sex).toContain('| F | 12 (24.5%) |');
    expect(sex).toContain('| M | 37 (75.5%) |');
    // by visit: one column per visit
    const course = (await s.hover('bdi', 1, KETAMINE_SPEC.split('\n').findIndex((l) => l.startsWith('describe course'))))!;
    expect(course).toContain('visit 7 (N = 49)');
  });

  it('inlay hints: the headline of each test, the selection and the analyses', async () => {
    const labels = (await s.hints()).map((h) => String(h.label));
    const t3 = trajectory.type3;
    expect(labels).toEqual([
      `UN (BIC ${trajectory.bic.toFixed(1)})`,
      `F(4,47) = ${t3[0]!.F.toFixed(2)}, ${apaP(t3[0]!.p)}`,
      `F(1,47) = ${t3[1]!.F.toFixed(2)}, ${apaP(t3[1]!.p)}`,
      'F(4,47) = 4.81, p = .0025',
      't(35) = \u22123.92, p = .0004',
      'r = \u22120.07, p = .70',
    ]);
  });

  it('code lenses: ▶ Run and Results above each model, analysis and describe block', async () => {
    const lenses = (await s.Study.lsp.CodeLensProvider!.provideCodeLens(s.document, { textDocument: { uri: s.uri } }))!;
    expect(lenses.map((l) => [l.command!.title, l.command!.command, l.command!.arguments])).toEqual([
      ['▶ Run', 'study.runModel', [s.uri, 'trajectory']],
      ['Results', 'study.showResults', [s.uri]],
      ['▶ Run', 'study.runModel', [s.uri]],
      ['Results', 'study.showResults', [s.uri]],
      // describe cohort, describe course: the whole spec
      ['▶ Run', 'study.runModel', [s.uri]],
      ['Results', 'study.showResults', [s.uri]],
      ['▶ Run', 'study.runModel', [s.uri]],
      ['Results', 'study.showResults', [s.uri]],
      // the three sensitivity variants: each on its own
      ...['sex_adjusted', 'bmi_adjusted', 'full_dose'].flatMap((v) => [
        ['▶ Run', 'study.runModel', [s.uri, v]],
        ['Results', 'study.showResults', [s.uri]],
      ]),
    ]);
  });

  it('study/results returns the last run; unchanged input is answered from the cache', async () => {
    expect(s.results.results(s.uri)).toMatchObject({ uri: s.uri, stale: false, version: 1 });
    const again = await s.results.run({ uri: s.uri });
    expect(again.report).toEqual(run.report);
    expect(run.cached).toBe(false);
    expect(again.cached).toBe(true);
  });

  it('a changed data file is fitted again, not answered from the cache', async () => {
    const csv = path.join(s.dir, 'ketamine.csv');
    const original = readFileSync(csv, 'utf8');
    // one BDI value of the first patient at visit 2 changes (22 -> 23)
    writeFileSync(csv, original.replace('P001,2,infusion2,0.5,22,', 'P001,2,infusion2,0.5,23,'));
    try {
      const changed = await s.results.run({ uri: s.uri });
      expect(changed.cached).toBe(false);
      expect(changed.report.models[0].minus2ll).not.toBe(run.report.models[0].minus2ll);
    } finally {
      writeFileSync(csv, original);
    }
    const restored = await s.results.run({ uri: s.uri });
    expect(restored.cached).toBe(false);
    expect(restored.report.models[0].minus2ll).toBe(run.report.models[0].minus2ll);
    expect((await s.results.run({ uri: s.uri })).cached).toBe(true);
  });

  it('results become stale when the data file changes, and when the spec text changes', async () => {
    const csv = path.join(s.dir, 'ketamine.csv');
    const original = readFileSync(csv, 'utf8');
    appendFileSync(csv, '');
    expect(s.results.isStale(s.uri)).toBe(false); // same content: still current
    writeFileSync(csv, original.replace(/\n$/, '') + '\n' + original.trim().split('\n').at(-1)!.replace(/^\d+/, '9999') + '\n');
    expect(s.results.isStale(s.uri)).toBe(true);
    expect((await s.hover('covariate age', 'covariate '.length + 1))!).toMatch(/^\*\*Results are stale\*\*/);
    expect((await s.hints()).every((h) => String(h.label).endsWith(' (stale)'))).toBe(true);
    writeFileSync(csv, original);
    expect(s.results.isStale(s.uri)).toBe(false);
    s.edit(KETAMINE_SPEC + '\n// edited\n');
    expect(s.results.isStale(s.uri)).toBe(true);
    s.edit(KETAMINE_SPEC);
  });

  it('a spec with errors: the run is refused with the first error and its line', async () => {
    const bad = await setup(KETAMINE_SPEC.replace('covariate age', 'covariate agee'));
    const line = KETAMINE_SPEC.split('\n').findIndex((l) => l.includes('covariate age')) + 1;
    await expect(bad.results.run({ uri: bad.uri })).rejects.toThrow(new RegExp(`agee.*\\(line ${line}\\)`));
    expect(bad.results.results(bad.uri)).toBeNull();
  });

  it('runs one model alone (no analyses) when asked', async () => {
    const one = await setup();
    const r = await one.results.run({ uri: one.uri, model: 'trajectory' });
    expect(r.report.models.map((m) => m.name)).toEqual(['trajectory']);
    expect(r.report.other).toEqual([]);
    await expect(one.results.run({ uri: one.uri, model: 'nosuch' })).rejects.toThrow(/no model named 'nosuch'/);
  });
});

describe('hover on `predict random effects`', () => {
  it('shows the Solution for Random Effects of the run', async () => {
    const text = 'data "ketamine.csv"\nsubject patient\n\nmodel ri {\n    outcome bdi\n    factor visit\n    random intercept by patient\n    predict random effects\n}\n';
    const s = await setup(text);
    const run = await s.results.run({ uri: s.uri });
    const blups = run.report.models[0]!.randomSolution!;
    expect(blups.length).toBe(49);
    const md = (await s.hover('predict random effects', 1))!;
    expect(md).toContain('Solution for random effects (EBLUPs)');
    for (const b of blups) expect(md).toContain(`| Intercept | ${b.subject} | ${num(b.estimate)} | ${num(b.se)} |`);
  });
});

describe('fit notes as diagnostics', () => {
  it('puts non-convergence and Hessian notes on the model name after a run, and drops them when stale', async () => {
    const text = [
      'data "ketamine.csv"',
      'subject patient',
      'let pct_change = percent change of bdi from visit 1',
      'model shaky {',
      '    outcome pct_change',
      '    repeated visit 2..6',
      '    factor sex',
      '    random intercept by patient',
      '    cov CS',
      '}',
    ].join('\n');
    const s = await setup(text);
    expect((await s.revalidate()).filter((d) => d.code === 'fit-note')).toEqual([]);
    const run = await s.results.run({ uri: s.uri });
    expect(run.report.models[0]!.notes.length).toBeGreaterThan(0);
    // the response carries them, positioned on the model's name (1-based)
    expect(run.diagnostics.filter((d) => d.code === 'fit-note').map((d) => [d.line, d.column])).toContainEqual([4, 7]);
    const notes = (await s.revalidate()).filter((d) => d.code === 'fit-note');
    expect(notes.length).toBe(run.report.models[0]!.notes.length);
    expect(notes[0]!.range.start).toEqual({ line: 3, character: 6 });
    expect(notes.map((d) => d.message).join('\n')).toMatch(/did not converge/i);
    // the data change: the notes are no longer about these data
    const csv = path.join(s.dir, 'ketamine.csv');
    const original = readFileSync(csv, 'utf8');
    writeFileSync(csv, original.replace(/\n$/, '') + '\n' + original.trim().split('\n').at(-1)!.replace(/^\d+/, '9999') + '\n');
    expect((await s.revalidate()).filter((d) => d.code === 'fit-note')).toEqual([]);
  });
});
