/**
 * Small dense linear algebra on row-major Float64Arrays.
 *
 * The likelihood works on many small matrices (one V block per pattern of observed visits, p x p
 * cross-products), where allocating ml-matrix objects would cost more than the arithmetic. These
 * helpers stay allocation-light and make no attempt at generality beyond what the fit needs.
 */

/** Lower-triangular Cholesky factor of a symmetric n x n matrix; null when not positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
    // A relative threshold: a pivot this small means V (or X'V^-1X) is numerically singular.
    if (!(d > 1e-13 * Math.abs(a[j * n + j])) || !Number.isFinite(d)) return null;
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / ljj;
    }
  }
  return L;
}

/** log|A| from its Cholesky factor. */
export function logDetFromCholesky(L: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L[i * n + i]);
  return 2 * s;
}

/** A^-1 from the Cholesky factor of A (A = L L', so A^-1 = L^-T L^-1). */
export function inverseFromCholesky(L: Float64Array, n: number): Float64Array {
  const Linv = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    Linv[j * n + j] = 1 / L[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k] * Linv[k * n + j];
      Linv[i * n + j] = s / L[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Linv[k * n + i] * Linv[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

/** C = A B with A (r x k), B (k x c). */
export function multiply(a: Float64Array, b: Float64Array, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let t = 0; t < k; t++) {
      const ait = a[i * k + t];
      if (ait === 0) continue;
      const bo = t * c;
      const oo = i * c;
      for (let j = 0; j < c; j++) out[oo + j] += ait * b[bo + j];
    }
  }
  return out;
}

/** The non-zeros of a k x c matrix in row-major order (for multiplySparse). */
export interface SparseEntries {
  rowOf: Int32Array;
  columnOf: Int32Array;
  value: Float64Array;
}

/** The non-zeros of B (k x c), or null when more than half of it is non-zero (multiply is then the faster). */
export function sparseEntries(b: Float64Array, k: number, c: number): SparseEntries | null {
  let nnz = 0;
  for (let s = 0; s < k * c; s++) if (b[s] !== 0) nnz++;
  if (2 * nnz > k * c) return null;
  const rowOf = new Int32Array(nnz);
  const columnOf = new Int32Array(nnz);
  const value = new Float64Array(nnz);
  for (let s = 0, e = 0; s < k * c; s++) {
    if (b[s] === 0) continue;
    rowOf[e] = (s / c) | 0;
    columnOf[e] = s % c;
    value[e++] = b[s];
  }
  return { rowOf, columnOf, value };
}

/**
 * A B exactly as multiply(a, b, r, k, c) computes it, B given by its non-zeros (the derivative of an unstructured
 * V block by one of its parameters has one or two): each entry is the same sum in the same order (t ascending)
 * without the products of B's zeros, which add nothing (a sum that starts at +0 never becomes -0, and x + ±0 is
 * x), so the same numbers to the bit for finite A, with r entries per non-zero instead of r x c per row of B.
 */
export function multiplySparse(a: Float64Array, b: SparseEntries, r: number, k: number, c: number): Float64Array {
  const { rowOf, columnOf, value } = b;
  const nnz = value.length;
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    const ao = i * k;
    const oo = i * c;
    for (let e = 0; e < nnz; e++) {
      const ait = a[ao + rowOf[e]];
      if (ait !== 0) out[oo + columnOf[e]] += ait * value[e];
    }
  }
  return out;
}

/** A B as multiply computes it, through multiplySparse when B is mostly zeros. */
export function multiplySparseRight(a: Float64Array, b: Float64Array, r: number, k: number, c: number): Float64Array {
  const entries = sparseEntries(b, k, c);
  return entries ? multiplySparse(a, entries, r, k, c) : multiply(a, b, r, k, c);
}

/** tr(A B) for square n x n matrices. */
export function traceProduct(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += a[i * n + j] * b[j * n + i];
  return s;
}

/** sum_ij A_ij B_ij (= tr(A B') ). */
export function elementwiseDot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Solve A x = b for symmetric positive definite A given its Cholesky factor. */
export function solveCholesky(L: Float64Array, n: number, b: Float64Array): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * z[k];
    z[i] = s / L[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}

/**
 * Inverse of a symmetric matrix that may be indefinite (a Hessian away from the optimum):
 * Gauss-Jordan with partial pivoting. Null when singular.
 */
export function inverseGeneral(a: Float64Array, n: number): Float64Array | null {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(a[i]));
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]) > Math.abs(m[piv * n + col])) piv = r;
    const pv = m[piv * n + col];
    if (!(Math.abs(pv) > 1e-14 * scale)) return null;
    if (piv !== col) {
      for (let j = 0; j < n; j++) {
        let t = m[col * n + j];
        m[col * n + j] = m[piv * n + j];
        m[piv * n + j] = t;
        t = inv[col * n + j];
        inv[col * n + j] = inv[piv * n + j];
        inv[piv * n + j] = t;
      }
    }
    for (let j = 0; j < n; j++) {
      m[col * n + j] /= pv;
      inv[col * n + j] /= pv;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r * n + col];
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        m[r * n + j] -= f * m[col * n + j];
        inv[r * n + j] -= f * inv[col * n + j];
      }
    }
  }
  return inv;
}
