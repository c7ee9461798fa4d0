import mt19937 from "@stdlib/random-base-mt19937";
import { describe, expect, it } from "vitest";
import { logMixtureEvidence } from "../prober/statistics/mixture-evidence.js";

const PRIOR = [
  { weight: 0.8, mean: 0.8, strength: 3200 },
  { weight: 0.2, mean: 0.775, strength: 1000 },
];

describe("one-sided mixture evidence", () => {
  it("stays below 1/alpha at every step in at least 1 - alpha of seeded sequences drawn at the edge (Ville)", () => {
    const alpha = 0.05;
    let rejected = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const integers = mt19937.factory({ seed });
      let successes = 0;
      for (let n = 1; n <= 2000; n++) {
        if (integers() / 4294967296 < 0.75) successes += 1;
        if (n % 10 === 0 && logMixtureEvidence(successes, n, 0.75, "above", PRIOR) >= Math.log(1 / alpha)) {
          rejected += 1;
          break;
        }
      }
    }
    // 400 × 0.05 = 20 allowed; the bound is usually far from tight.
    expect(rejected).toBeLessThanOrEqual(20);
  });

  it("grows without bound for a share beyond the edge", () => {
    const at = (n: number) => logMixtureEvidence(0.8 * n, n, 0.75, "above", PRIOR);
    expect(at(2000)).toBeGreaterThan(at(500));
    expect(at(5000)).toBeGreaterThan(Math.log(1e6));
  });

  it("is evidence for one side only: shares below the edge give none against 'p <= edge'", () => {
    expect(logMixtureEvidence(700, 1000, 0.75, "above", PRIOR)).toBeLessThan(0);
  });
});
