import factorialln from "@stdlib/math-base-special-factorialln";

/** P(X = k) for X ~ Binomial(n, p), through log-factorials. */
const pmf = (n: number, p: number) => (k: number) =>
  Math.exp(factorialln(n) - factorialln(k) - factorialln(n - k) + k * Math.log(p) + (n - k) * Math.log1p(-p));

/** P(X <= k) and P(X >= k) summed exactly. */
function tails(n: number, p: number): { atMost: number[]; atLeast: number[] } {
  const f = pmf(n, p);
  const mass = Array.from({ length: n + 1 }, (_, k) => f(k));
  const atMost: number[] = [];
  const atLeast: number[] = [];
  let below = 0;
  let above = 0;
  for (let k = 0; k <= n; k++) {
    below += mass[k] as number;
    atMost[k] = below;
    above += mass[n - k] as number;
    atLeast[n - k] = above;
  }
  return { atMost, atLeast };
}

/**
 * The smallest n at which the exact fixed-sample test, at level alpha, reaches `power`: two one-sided
 * exact binomial tests (Schuirmann 1987) for equivalence within [low, high] when `truth` is inside,
 * a one-sided exact test against the nearer edge when it is outside. Searched upward from `from`.
 */
export function exactFixedSampleSize(
  truth: number,
  low: number,
  high: number,
  alpha: number,
  power: number,
  from = 10,
): number {
  for (let n = from; n < 100_000; n++) {
    const atLow = tails(n, low);
    const atHigh = tails(n, high);
    const atTruth = tails(n, truth);
    let reached = 0;
    if (truth > low && truth < high) {
      // PASS needs x with P(X >= x | low) <= alpha and P(X <= x | high) <= alpha.
      for (let x = 0; x <= n; x++) {
        if ((atLow.atLeast[x] as number) <= alpha && (atHigh.atMost[x] as number) <= alpha) {
          reached += (atTruth.atMost[x] as number) - (x > 0 ? (atTruth.atMost[x - 1] as number) : 0);
        }
      }
    } else {
      const below = truth <= low;
      for (let x = 0; x <= n; x++) {
        const rejects = below ? (atLow.atMost[x] as number) <= alpha : (atHigh.atLeast[x] as number) <= alpha;
        if (rejects)
          reached += (atTruth.atMost[x] as number) - (x > 0 ? (atTruth.atMost[x - 1] as number) : 0);
      }
    }
    if (reached >= power) return n;
  }
  return Number.NaN;
}
