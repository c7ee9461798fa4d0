import factorialln from "@stdlib/math-base-special-factorialln";
import chisquareCdf from "@stdlib/stats-base-dists-chisquare-cdf";

export interface GoodnessOfFit {
  method: "chi-square" | "exact multinomial";
  /** Pearson's X² (also given for the exact test, as a description of the distance). */
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
}

/** Exact enumeration is used below this many expected probes in some cell and this many outcomes. */
const EXACT_BELOW_EXPECTED = 5;
const EXACT_MAX_OUTCOMES = 200_000;

function pearson(counts: number[], shares: number[], total: number): number {
  return counts.reduce((sum, count, i) => {
    const expected = total * (shares[i] as number);
    return sum + (count - expected) ** 2 / expected;
  }, 0);
}

function compositions(total: number, parts: number): number {
  let count = 1;
  for (let i = 1; i < parts; i++) count = (count * (total + i)) / i;
  return count;
}

/**
 * p-value of the observed counts against exactly the expected shares: Pearson's chi-square test, or, when
 * an expected count is small and the outcomes are few enough to enumerate, the exact multinomial test
 * (the probability of every outcome no more likely than the one observed).
 */
export function goodnessOfFit(counts: number[], shares: number[]): GoodnessOfFit | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  const parts = counts.length;
  if (parts < 2 || total === 0) return undefined;
  const statistic = pearson(counts, shares, total);
  const degreesOfFreedom = parts - 1;
  const smallestExpected = Math.min(...shares.map((share) => share * total));
  if (smallestExpected < EXACT_BELOW_EXPECTED && compositions(total, parts) <= EXACT_MAX_OUTCOMES) {
    return {
      method: "exact multinomial",
      statistic,
      degreesOfFreedom,
      pValue: exactMultinomial(counts, shares, total),
    };
  }
  return {
    method: "chi-square",
    statistic,
    degreesOfFreedom,
    pValue: 1 - chisquareCdf(statistic, degreesOfFreedom),
  };
}

function exactMultinomial(counts: number[], shares: number[], total: number): number {
  const logShares = shares.map(Math.log);
  const logTotal = factorialln(total);
  const logProbability = (cells: number[]) =>
    cells.reduce((sum, count, i) => sum + count * (logShares[i] as number) - factorialln(count), logTotal);
  const observed = logProbability(counts);
  const tolerance = 1e-9;
  let pValue = 0;
  const cells = new Array<number>(counts.length).fill(0);
  const visit = (index: number, left: number) => {
    if (index === cells.length - 1) {
      cells[index] = left;
      const logP = logProbability(cells);
      if (logP <= observed + tolerance) pValue += Math.exp(logP);
      return;
    }
    for (let count = 0; count <= left; count++) {
      cells[index] = count;
      visit(index + 1, left - count);
    }
  };
  visit(0, total);
  return Math.min(1, pValue);
}
