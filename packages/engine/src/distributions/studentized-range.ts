/**
 * The studentized range distribution, for Tukey(-Kramer) adjusted p-values and critical values.
 *
 * A port of the algorithm in R's nmath ptukey.c / qtukey.c (Copenhaver & Holland 1988, J. Statist.
 * Comput. Simul. 30:1-15; initial quantile from Odeh & Evans 1974, AS 70), keeping R's constants,
 * quadrature orders and cut-offs so that the numbers agree with R (emmeans, and SAS's ADJUST=TUKEY)
 * to rounding. Like R, the upper tail is 1 − (lower tail): its absolute accuracy is ~1e-14, so
 * adjusted p-values far below that are not resolved (neither are they in R).
 */
import { logGamma, normalCdf } from './central.js';

const ONE_OVER_SQRT_2PI = 0.398942280401432677939946059934;

/** 12-point Gauss-Legendre half-nodes and weights (Stroud & Secrest), used in wprob. */
const XLEG = [
  0.981560634246719250690549090149, 0.904117256370474856678465866119, 0.769902674194304687036893833213,
  0.587317954286617447296702418941, 0.367831498998180193752691536644, 0.125233408511468915472441369464,
];
const ALEG = [
  0.047175336386511827194615961485, 0.106939325995318430960254718194, 0.160078328543346226334652529543,
  0.20316742672306592174906445581, 0.233492536538354808760849898925, 0.249147045813402785000562436043,
];
/** 16-point Gauss-Legendre half-nodes and weights, used for the integral over the df density. */
const XLEGQ = [
  0.98940093499164993259615417345, 0.944575023073232576077988415535, 0.865631202387831743880467897712,
  0.755404408355003033895101194847, 0.617876244402643748446671764049, 0.458016777657227386342419442984,
  0.28160355077925891323046050146, 0.095012509837637440185319335425,
];
const ALEGQ = [
  0.027152459411754094851780572456, 0.0622535239386478928628438369944, 0.0951585116824927848099251076022,
  0.124628971255533872052476282192, 0.149595988816576732081501730547, 0.16915651939500253818931207903,
  0.182603415044923588866763667969, 0.189450610455068496285396723208,
];

/**
 * P(range of `nmeans` standard normals < w), raised to the power `nranges`
 * (Hartley's form of the range integral; df = ∞).
 */
function rangeProbability(w: number, nranges: number, nmeans: number): number {
  const qsqz = w * 0.5;
  // beyond w = 16 the probability is 1 to double precision for nmeans <= 20
  if (qsqz >= 8) return 1;

  // first term of Hartley's form: (2Φ(w/2) − 1)^nmeans
  let pr = 2 * normalCdf(qsqz) - 1;
  pr = pr >= Math.exp(-50 / nmeans) ? Math.pow(pr, nmeans) : 0;

  // second term: ∫_{w/2}^{8} over 2 (large w) or 3 equal intervals by Legendre quadrature
  const nIntervals = w > 3 ? 2 : 3;
  let lowerLimit = qsqz;
  const width = (8 - qsqz) / nIntervals;
  let upperLimit = lowerLimit + width;
  let integral = 0;
  const cc1 = nmeans - 1;
  // (R computes the cut-off in the loop; the same number)
  const rinsumFloor = Math.exp(-30 / cc1);
  for (let interval = 1; interval <= nIntervals; interval++) {
    let sum = 0;
    const mid = 0.5 * (upperLimit + lowerLimit);
    const half = 0.5 * (upperLimit - lowerLimit);
    for (let jj = 1; jj <= 12; jj++) {
      let j: number;
      let xx: number;
      if (6 < jj) {
        j = 12 - jj + 1;
        xx = XLEG[j - 1]!;
      } else {
        j = jj;
        xx = -XLEG[j - 1]!;
      }
      const ac = mid + half * xx;
      const qexpo = ac * ac;
      // exp(-qexpo/2) < 9e-14: no contribution from here on
      if (qexpo > 60) break;
      const pplus = 2 * normalCdf(ac);
      const pminus = 2 * normalCdf(ac - w);
      let rinsum = pplus * 0.5 - pminus * 0.5;
      if (rinsum >= rinsumFloor) {
        rinsum = ALEG[j - 1]! * Math.exp(-(0.5 * qexpo)) * Math.pow(rinsum, cc1);
        sum += rinsum;
      }
    }
    sum *= 2 * half * nmeans * ONE_OVER_SQRT_2PI;
    integral += sum;
    lowerLimit = upperLimit;
    upperLimit += width;
  }

  pr += integral;
  if (pr <= Math.exp(-30 / nranges)) return 0;
  pr = Math.pow(pr, nranges);
  return pr >= 1 ? 1 : pr;
}

/** Lower-tail P(Q < q) of the studentized range, R's algorithm. */
function studentizedRangeLower(q: number, nmeans: number, df: number, nranges: number): number {
  if (q <= 0) return 0;
  if (q === Infinity) return 1;
  if (df > 25000 || df === Infinity) return rangeProbability(q, nranges, nmeans);

  // log of the leading constant of the scaled chi density of s
  const f2 = df * 0.5;
  let f2lf = f2 * Math.log(df) - df * Math.LN2 - logGamma(f2);
  const f21 = f2 - 1;
  const ff4 = df * 0.25;
  // sub-interval length shrinks as the chi density concentrates
  const ulen = df <= 100 ? 1 : df <= 800 ? 0.5 : df <= 5000 ? 0.25 : 0.125;
  f2lf += Math.log(ulen);

  let ans = 0;
  let otsum = 0;
  for (let i = 1; i <= 50; i++) {
    otsum = 0;
    const twa1 = (2 * i - 1) * ulen;
    for (let jj = 1; jj <= 16; jj++) {
      let j: number;
      let t1: number;
      if (8 < jj) {
        j = jj - 8 - 1;
        t1 = f2lf + f21 * Math.log(twa1 + XLEGQ[j]! * ulen) - (XLEGQ[j]! * ulen + twa1) * ff4;
      } else {
        j = jj - 1;
        t1 = f2lf + f21 * Math.log(twa1 - XLEGQ[j]! * ulen) + (XLEGQ[j]! * ulen - twa1) * ff4;
      }
      // exp(t1) < 9e-14: no contribution
      if (t1 >= -30) {
        const qsqz = 8 < jj ? q * Math.sqrt((XLEGQ[j]! * ulen + twa1) * 0.5) : q * Math.sqrt((-(XLEGQ[j]! * ulen) + twa1) * 0.5);
        const wprb = rangeProbability(qsqz, nranges, nmeans);
        otsum += wprb * ALEGQ[j]! * Math.exp(t1);
      }
    }
    // stop once an interval adds < 1e-14, but integrate at least over (0, 1)
    if (i * ulen >= 1 && otsum <= 1e-14) break;
    ans += otsum;
  }
  return ans > 1 ? 1 : ans;
}

/**
 * Distribution function of the studentized range (R's ptukey).
 * @param q value of the studentized range (for a Tukey-Kramer pairwise test: |t|·√2)
 * @param nmeans number of means compared (k)
 * @param df error degrees of freedom (>= 2; Infinity allowed)
 * @param nranges number of ranges (1 for ordinary Tukey)
 * @param lowerTail P(Q <= q) when true (default), P(Q > q) otherwise
 */
export function ptukey(q: number, nmeans: number, df: number, nranges = 1, lowerTail = true): number {
  if ([q, nmeans, df, nranges].some(Number.isNaN)) return NaN;
  if (df < 2 || nranges < 1 || nmeans < 2) return NaN;
  const lower = studentizedRangeLower(q, nmeans, df, nranges);
  return lowerTail ? lower : 0.5 - lower + 0.5;
}

/** Odeh & Evans (AS 70) approximation of the quantile: the secant method's starting point. */
function initialQuantile(p: number, nmeans: number, df: number): number {
  const p0 = 0.322232421088;
  const q0 = 0.099348462606;
  const p1 = -1.0;
  const q1 = 0.588581570495;
  const p2 = -0.342242088547;
  const q2 = 0.531103462366;
  const p3 = -0.204231210125;
  const q3 = 0.10353775285;
  const p4 = -0.453642210148e-4;
  const q4 = 0.38560700634e-2;
  const c1 = 0.8832;
  const c2 = 0.2368;
  const c3 = 1.214;
  const c4 = 1.208;
  const c5 = 1.4142;
  const vmax = 120.0;
  const ps = 0.5 - 0.5 * p;
  const yi = Math.sqrt(Math.log(1.0 / (ps * ps)));
  let t = yi + ((((yi * p4 + p3) * yi + p2) * yi + p1) * yi + p0) / ((((yi * q4 + q3) * yi + q2) * yi + q1) * yi + q0);
  if (df < vmax) t += (t * t * t + t) / df / 4.0;
  let q = c1 - c2 * t;
  if (df < vmax) q += -c3 / df + (c4 * t) / df;
  return t * (q * Math.log(nmeans - 1.0) + c5);
}

/**
 * Quantile of the studentized range (R's qtukey: secant iterations from the AS 70 start, stopping
 * when successive iterates differ by < 1e-4, exactly as R does so the values agree with R's).
 * @param p probability (lower tail unless lowerTail = false)
 */
export function qtukey(p: number, nmeans: number, df: number, nranges = 1, lowerTail = true): number {
  if ([p, nmeans, df, nranges].some(Number.isNaN)) return NaN;
  if (p < 0 || p > 1) return NaN;
  if (df < 2 || nranges < 1 || nmeans < 2) return NaN;
  const pLower = lowerTail ? p : 0.5 - p + 0.5;
  if (pLower === 1) return Infinity;
  if (pLower === 0) return 0;

  let x0 = initialQuantile(pLower, nmeans, df);
  let valx0 = studentizedRangeLower(x0, nmeans, df, nranges) - pLower;
  let x1 = valx0 > 0 ? Math.max(0, x0 - 1) : x0 + 1;
  let valx1 = studentizedRangeLower(x1, nmeans, df, nranges) - pLower;
  let ans = 0;
  for (let iter = 1; iter < 50; iter++) {
    ans = x1 - (valx1 * (x1 - x0)) / (valx1 - valx0);
    valx0 = valx1;
    x0 = x1;
    if (ans < 0) {
      ans = 0;
      valx1 = -pLower;
    }
    valx1 = studentizedRangeLower(ans, nmeans, df, nranges) - pLower;
    x1 = ans;
    if (Math.abs(x1 - x0) < 0.0001) return ans;
  }
  return ans;
}
