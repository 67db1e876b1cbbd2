/**
 * Normal, t and F distributions, accurate in the far tails.
 *
 * p-values are computed from the tail they describe (regularized incomplete beta with both x and
 * 1 - x supplied), never as 1 - cdf, so a p-value of 1e-30 keeps its relative accuracy. The normal
 * CDF follows Cody (1993, ACM TOMS 715) with R's constants, because the studentized range
 * integrand needs a CDF that agrees with R's pnorm to the last bits.
 */

const LN_SQRT_2PI = 0.918938533204672741780329736406;
const ONE_OVER_SQRT_2PI = 0.398942280401432677939946059934;
const SQRT_32 = 5.656854249492380195206754896838;

/**
 * Stirling-series remainder δ(x) = log Γ(x) − [(x − ½) log x − x + log √(2π)], for x >= 10
 * (terms through B20; truncation error < 1e-25 there).
 */
function stirlingRemainder(x: number): number {
  const z2 = 1 / (x * x);
  // Bernoulli-number coefficients B_{2k} / (2k (2k-1)), k = 1..10
  return (
    (1 / 12 +
      z2 *
        (-1 / 360 +
          z2 *
            (1 / 1260 +
              z2 *
                (-1 / 1680 +
                  z2 *
                    (1 / 1188 +
                      z2 *
                        (-691 / 360360 +
                          z2 * (1 / 156 + z2 * (-3617 / 122400 + z2 * (43867 / 244188 + z2 * (-174611 / 125400)))))))))) /
    x
  );
}

/** log Γ(x) for x > 0: shift x up to >= 15 with the recurrence, then the Stirling series. */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  if (!Number.isFinite(x)) return Infinity;
  let shift = 0;
  let z = x;
  while (z < 15) {
    shift += Math.log(z);
    z += 1;
  }
  return (z - 0.5) * Math.log(z) - z + LN_SQRT_2PI + stirlingRemainder(z) - shift;
}

/**
 * log B(a, b). For large arguments the three log Γ terms nearly cancel, so (as in R's lbeta) the
 * leading Stirling terms are combined analytically and only the small remainders are subtracted.
 */
export function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (p >= 10) {
    const corr = stirlingRemainder(p) + stirlingRemainder(q) - stirlingRemainder(p + q);
    return -0.5 * Math.log(q) + LN_SQRT_2PI + corr + (p - 0.5) * Math.log(p / (p + q)) + q * Math.log1p(-p / (p + q));
  }
  if (q >= 10) {
    const corr = stirlingRemainder(q) - stirlingRemainder(p + q);
    return logGamma(p) + corr + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

// Cody's coefficients (R's pnorm.c), made once: the studentized range calls Φ ~10^5 times per Tukey table
const PNORM_A = [2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582, 18154.981253343561249, 0.065682337918207449113];
const PNORM_B = [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
const PNORM_C = [
  0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979, 597.27027639480026226, 2494.5375852903726711,
  6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218, 1.0765576773720192317e-8,
];
const PNORM_D = [
  22.266688044328115691, 235.38790178262499861, 1519.377599407554805, 6485.558298266760755, 18615.571640885098091,
  34900.952721145977266, 38912.003286093271411, 19685.429676859990727,
];
const PNORM_P = [0.21589853405795699, 0.1274011611602473639, 0.022235277870649807, 0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303];
const PNORM_Q = [1.28426009614491121, 0.468238212480865118, 0.0659881378689285515, 0.00378239633202758244, 7.29751555083966205e-5];

/** Φ(x) and 1 − Φ(x) into out[0], out[1], each computed directly (Cody's rational approximations, R's pnorm_both). */
function pnormInto(x: number, out: Float64Array): void {
  if (Number.isNaN(x)) return set(out, NaN, NaN);
  if (x === Infinity) return set(out, 1, 0);
  if (x === -Infinity) return set(out, 0, 1);
  const y = Math.abs(x);
  let cum: number;
  let ccum: number;
  if (y <= 0.66291) {
    const xsq = y > Number.EPSILON * 0.5 ? x * x : 0;
    let xnum = PNORM_A[4]! * xsq;
    let xden = xsq;
    for (let i = 0; i < 3; i++) {
      xnum = (xnum + PNORM_A[i]!) * xsq;
      xden = (xden + PNORM_B[i]!) * xsq;
    }
    const temp = (x * (xnum + PNORM_A[3]!)) / (xden + PNORM_B[3]!);
    return set(out, 0.5 + temp, 0.5 - temp);
  }
  // the tail of the side away from 0 is computed; the other is its complement
  let tail: number;
  if (y <= SQRT_32) {
    let xnum = PNORM_C[8]! * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + PNORM_C[i]!) * y;
      xden = (xden + PNORM_D[i]!) * y;
    }
    tail = (xnum + PNORM_C[7]!) / (xden + PNORM_D[7]!);
  } else if (y < 38.5) {
    const xsq = 1 / (x * x);
    let xnum = PNORM_P[5]! * xsq;
    let xden = xsq;
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + PNORM_P[i]!) * xsq;
      xden = (xden + PNORM_Q[i]!) * xsq;
    }
    tail = (xsq * (xnum + PNORM_P[4]!)) / (xden + PNORM_Q[4]!);
    tail = (ONE_OVER_SQRT_2PI - tail) / y;
  } else {
    return x > 0 ? set(out, 1, 0) : set(out, 0, 1);
  }
  // exp(-y²/2) split so that the rounding of y² does not cost accuracy (Cody's trick)
  const xsq = Math.floor(y * 16) / 16;
  const del = (y - xsq) * (y + xsq);
  tail = Math.exp(-xsq * xsq * 0.5) * Math.exp(-del * 0.5) * tail;
  cum = tail;
  ccum = 1 - tail;
  if (x > 0) {
    const t = cum;
    cum = ccum;
    ccum = t;
  }
  set(out, cum < Number.MIN_VALUE ? 0 : cum, ccum < Number.MIN_VALUE ? 0 : ccum);
}

function set(out: Float64Array, lower: number, upper: number): void {
  out[0] = lower;
  out[1] = upper;
}

const scratch = new Float64Array(2);

/** Φ(x) and 1 − Φ(x), each computed directly (Cody's rational approximations, R's pnorm_both). */
export function normalCdfBoth(x: number): { lower: number; upper: number } {
  pnormInto(x, scratch);
  return { lower: scratch[0]!, upper: scratch[1]! };
}

/**
 * Φ(x): normalCdfBoth(x).lower, the same operations in the same order (pnormInto's loops written out, only the
 * lower tail kept), so the same number to the bit; the studentized range calls it ~4,000 times per p-value, and
 * most of them run before V8 has optimised anything.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const y = Math.abs(x);
  if (y <= 0.66291) {
    const xsq = y > Number.EPSILON * 0.5 ? x * x : 0;
    const xnum = ((((0.065682337918207449113 * xsq + 2.2352520354606839287) * xsq + 161.02823106855587881) * xsq + 1067.6894854603709582) * xsq);
    const xden = (((xsq + 47.20258190468824187) * xsq + 976.09855173777669322) * xsq + 10260.932208618978205) * xsq;
    return 0.5 + (x * (xnum + 18154.981253343561249)) / (xden + 45507.789335026729956);
  }
  let tail: number;
  if (y <= SQRT_32) {
    const xnum =
      (((((((1.0765576773720192317e-8 * y + 0.39894151208813466764) * y + 8.8831497943883759412) * y + 93.506656132177855979) * y +
        597.27027639480026226) * y + 2494.5375852903726711) * y + 6848.1904505362823326) * y + 11602.651437647350124) * y;
    const xden =
      (((((((y + 22.266688044328115691) * y + 235.38790178262499861) * y + 1519.377599407554805) * y + 6485.558298266760755) * y +
        18615.571640885098091) * y + 34900.952721145977266) * y + 38912.003286093271411) * y;
    tail = (xnum + 9842.7148383839780218) / (xden + 19685.429676859990727);
  } else if (y < 38.5) {
    const xsq = 1 / (x * x);
    const xnum = ((((0.02307344176494017303 * xsq + 0.21589853405795699) * xsq + 0.1274011611602473639) * xsq + 0.022235277870649807) * xsq + 0.001421619193227893466) * xsq;
    const xden = ((((xsq + 1.28426009614491121) * xsq + 0.468238212480865118) * xsq + 0.0659881378689285515) * xsq + 0.00378239633202758244) * xsq;
    tail = (xsq * (xnum + 2.9112874951168792e-5)) / (xden + 7.29751555083966205e-5);
    tail = (ONE_OVER_SQRT_2PI - tail) / y;
  } else {
    return x > 0 ? 1 : 0;
  }
  const xsq = Math.floor(y * 16) / 16;
  const del = (y - xsq) * (y + xsq);
  tail = Math.exp(-xsq * xsq * 0.5) * Math.exp(-del * 0.5) * tail;
  const lower = x > 0 ? 1 - tail : tail;
  return lower < Number.MIN_VALUE ? 0 : lower;
}

/** Standard normal quantile: Acklam's approximation polished by Newton steps on the exact CDF. */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  let x: number;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - pl) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  for (let k = 0; k < 3; k++) {
    const density = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
    if (!(density > 0)) break;
    x -= (normalCdf(x) - p) / density;
  }
  return x;
}

/**
 * Continued fraction for I_x(a, b) (modified Lentz), valid for x < (a + 1) / (a + b + 2).
 * `y` is 1 − x, passed separately so that x near 1 loses nothing.
 */
function betaContinuedFraction(x: number, y: number, a: number, b: number): number {
  const tiny = 1e-300;
  const eps = 1e-16;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < eps) break;
  }
  const logFront = a * Math.log(x) + b * Math.log(y) - logBeta(a, b);
  return (Math.exp(logFront) * h) / a;
}

/**
 * Regularized incomplete beta I_x(a, b), with y = 1 − x given explicitly (pass it when it is
 * computed without cancellation, e.g. t²/(df + t²)).
 */
export function regularizedBeta(x: number, a: number, b: number, y: number = 1 - x): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  if (x < (a + 1) / (a + b + 2)) return betaContinuedFraction(x, y, a, b);
  return 1 - betaContinuedFraction(y, x, b, a);
}

/** P(T > t) for Student's t with df degrees of freedom (df may be fractional or Infinity). */
export function studentTUpper(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (df === Infinity) return normalCdfBoth(t).upper;
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  const t2 = t * t;
  // P(|T| > |t|) = I_{df/(df+t²)}(df/2, 1/2)
  const twoSided = regularizedBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
  return t > 0 ? twoSided / 2 : 1 - twoSided / 2;
}

/** Two-sided p-value 2 P(T > |t|). */
export function studentTTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (df === Infinity) return 2 * normalCdfBoth(-Math.abs(t)).lower;
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  return Math.min(1, regularizedBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2)));
}

export function studentTCdf(t: number, df: number): number {
  return studentTUpper(-t, df);
}

function studentTDensity(t: number, df: number): number {
  if (df === Infinity) return ONE_OVER_SQRT_2PI * Math.exp(-t * t / 2);
  return Math.exp(-((df + 1) / 2) * Math.log1p((t * t) / df) - 0.5 * Math.log(df) - logBeta(df / 2, 0.5));
}

/**
 * Quantile t such that P(T <= t) = p. Bracketing plus Newton steps on the tail that is small, so
 * extreme probabilities keep full relative accuracy.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p >= 0 && p <= 1) || !(df > 0)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const upper = p > 0.5;
  const target = upper ? 1 - p : p; // tail probability beyond |t|
  // solve P(T > x) = target for x > 0
  let lo = 0;
  let hi = 1;
  while (studentTUpper(hi, df) > target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) break;
  }
  let x = (lo + hi) / 2;
  for (let it = 0; it < 200; it++) {
    const f = studentTUpper(x, df) - target;
    if (f > 0) lo = x;
    else hi = x;
    const dens = studentTDensity(x, df);
    let next = x + f / dens;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * Math.max(1, Math.abs(x))) {
      x = next;
      break;
    }
    x = next;
  }
  return upper ? x : -x;
}

/** P(F > f) for the F(df1, df2) distribution (df2 may be Infinity: chi-square / df1). */
export function fisherFUpper(f: number, df1: number, df2: number): number {
  if (Number.isNaN(f) || !(df1 > 0) || !(df2 > 0)) return NaN;
  if (f <= 0) return 1;
  if (f === Infinity) return 0;
  if (df2 === Infinity) return chiSquareUpper(f * df1, df1);
  // P(F > f) = I_{df2/(df2 + df1 f)}(df2/2, df1/2)
  const den = df2 + df1 * f;
  return regularizedBeta(df2 / den, df2 / 2, df1 / 2, (df1 * f) / den);
}

export function fisherFCdf(f: number, df1: number, df2: number): number {
  if (f <= 0) return 0;
  const den = df2 + df1 * f;
  return regularizedBeta((df1 * f) / den, df1 / 2, df2 / 2, df2 / den);
}

/** Upper regularized gamma Q(a, x) (series / continued fraction), for the chi-square tail. */
function regularizedGammaUpper(a: number, x: number): number {
  if (x <= 0) return 1;
  const logFront = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 100000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-17) break;
    }
    return 1 - sum * Math.exp(logFront);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(logFront) * h;
}

export function chiSquareUpper(x: number, df: number): number {
  return regularizedGammaUpper(df / 2, x / 2);
}

/** Quantile x such that P(X <= x) = p for a chi-square with df degrees of freedom (bisection on the upper tail). */
export function chiSquareQuantile(p: number, df: number): number {
  if (!(p >= 0 && p <= 1) || !(df > 0)) return NaN;
  if (p === 0) return 0;
  if (p === 1) return Infinity;
  const target = 1 - p;
  let lo = 0;
  let hi = Math.max(1, df);
  while (chiSquareUpper(hi, df) > target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) break;
  }
  for (let it = 0; it < 400; it++) {
    const mid = (lo + hi) / 2;
    if (chiSquareUpper(mid, df) > target) lo = mid;
    else hi = mid;
    if (hi - lo <= 1e-15 * hi) break;
  }
  return (lo + hi) / 2;
}

/** Quantile f such that P(F <= f) = p, by bisection and secant steps on the relevant tail. */
export function fisherFQuantile(p: number, df1: number, df2: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return 0;
  if (p === 1) return Infinity;
  const target = 1 - p;
  let lo = 0;
  let hi = 1;
  while (fisherFUpper(hi, df1, df2) > target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) break;
  }
  for (let it = 0; it < 300; it++) {
    const mid = (lo + hi) / 2;
    if (fisherFUpper(mid, df1, df2) > target) lo = mid;
    else hi = mid;
    if (hi - lo <= 1e-15 * hi) break;
  }
  return (lo + hi) / 2;
}
