/**
 * Type III tests on unbalanced designs with every cell filled (three-way class interaction and
 * covariate x class interactions up to A*B*x), against R: drop1(lm(..., contr.sum), test = "F"),
 * which tests the same hypotheses as SAS Type III when no cell is empty
 * (fixtures written by test/reference/r/type3-general.R).
 * β̂ and Cov(β̂) are ordinary least squares on the engine's design (test scaffolding, V = σ²I).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Matrix, inverse } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { readDataFile } from '../src/data.js';
import { buildDesign } from '../src/design.js';
import type { Design } from '../src/design-types.js';
import type { ModelSpec, Term } from '../src/model-spec.js';
import type { FixedEffectsFit } from '../src/inference/contrasts.js';
import { typeIIITests } from '../src/inference/type3.js';
import { close } from './inference-cases.js';

const data = readDataFile(fileURLToPath(new URL('./fixtures/type3-general.csv', import.meta.url))).rows;
const ref = JSON.parse(readFileSync(new URL('./fixtures/type3-general.json', import.meta.url), 'utf8'));

function olsFit(design: Design): { fit: FixedEffectsFit; dfResidual: number } {
  const free = design.columns.flatMap((c, j) => (c.aliased ? [] : [j]));
  const Xf = design.X.subMatrixColumn(free);
  const y = Matrix.columnVector(Array.from(design.y));
  const XtXinv = inverse(Xf.transpose().mmul(Xf));
  const bf = XtXinv.mmul(Xf.transpose()).mmul(y);
  const resid = y.clone().sub(Xf.mmul(bf));
  const dfResidual = design.n - free.length;
  const sigma2 = resid.transpose().mmul(resid).get(0, 0) / dfResidual;
  const p = design.columns.length;
  const beta = new Float64Array(p);
  const covBeta = new Matrix(p, p);
  free.forEach((j, a) => {
    beta[j] = bf.get(a, 0);
    free.forEach((k, b) => covBeta.set(j, k, sigma2 * XtXinv.get(a, b)));
  });
  return { fit: { beta, covBeta }, dfResidual };
}

const models: Record<string, Term[]> = {
  ABC: [['A'], ['B'], ['A', 'B'], ['C'], ['A', 'C'], ['B', 'C'], ['A', 'B', 'C']],
  AxB_x: [['A'], ['B'], ['A', 'B'], ['x'], ['A', 'x']],
  AB_xAB: [['A'], ['B'], ['A', 'B'], ['x'], ['A', 'x'], ['B', 'x'], ['A', 'B', 'x']],
};

describe('Type III on unbalanced designs (R contr.sum marginal F)', () => {
  for (const m of ref.models as { id: string; residual_df: number; type3: { effect: string; numdf: number; F: number; p: number }[] }[]) {
    it(`${m.id}`, () => {
      const spec: ModelSpec = {
        name: m.id,
        response: 'y',
        classes: ['A', 'B', 'C'],
        fixed: models[m.id]!,
        intercept: true,
        random: [],
        method: 'REML',
        ddfm: 'residual',
        estimates: [],
        lsmeans: [],
      };
      const design = buildDesign(data, spec);
      const { fit, dfResidual } = olsFit(design);
      expect(dfResidual).toBe(m.residual_df);
      const out = typeIIITests(design, fit, () => dfResidual);
      let worst = 0;
      for (const e of m.type3) {
        const got = out.find((r) => r.effect === e.effect);
        expect(got, e.effect).toBeDefined();
        expect(got!.numdf, e.effect).toBe(e.numdf);
        worst = Math.max(worst, close(got!.F, e.F, { rel: 1e-9 }, `${e.effect} F`), close(got!.p, e.p, { rel: 1e-8 }, `${e.effect} p`));
      }
      console.log(`${m.id}: ${m.type3.length} effects, max rel err ${worst.toExponential(2)}`);
    });
  }
});
