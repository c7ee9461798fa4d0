import { describe, expect, it } from "vitest";
import { betaBinomialConfidenceSequence } from "../prober/confidence-sequence.js";
import { parseExpectation } from "../prober/expectation.js";
import { goodnessOfFit } from "../prober/goodness-of-fit.js";
import { judgeSplit, probesToSettle, type SplitObservation } from "../prober/split-verdict.js";

const criteria = (expect: string) => ({
  expected: parseExpectation(expect),
  confidence: 0.99,
  tolerance: 0.05,
  maxErrorRate: 0.01,
});
const seen = (counts: Record<string, number>, extra: Partial<SplitObservation> = {}): SplitObservation => ({
  counts,
  unexpected: {},
  errors: {},
  ...extra,
});

describe("judgeSplit", () => {
  it("PASSes when every share's interval lies inside its tolerance band", () => {
    const judgement = judgeSplit(seen({ one: 1600, two: 400 }), criteria("80:20"));
    expect(judgement.verdict).toBe("PASS");
    expect(judgement.settled).toBe(true);
  });

  it("is INCONCLUSIVE while an interval still crosses the band", () => {
    const judgement = judgeSplit(seen({ one: 80, two: 20 }), criteria("80:20"));
    expect(judgement.verdict).toBe("INCONCLUSIVE");
    expect(judgement.reason).toMatch(/^not settled after 100 replies: one 80.0%/);
  });

  it("FAILs when an interval lies wholly outside the band", () => {
    const judgement = judgeSplit(seen({ one: 500, two: 500 }), criteria("80:20"));
    expect(judgement.verdict).toBe("FAIL");
    expect(judgement.reason).toMatch(/outside the tolerance band/);
  });

  it("FAILs on a single reply from a weight-0 version", () => {
    const judgement = judgeSplit(seen({ one: 5000, two: 1 }), criteria("100:0"));
    expect(judgement.verdict).toBe("FAIL");
    expect(judgement.reason).toBe("weight-0 version answered: two (1 replies)");
  });

  it("FAILs on a reply with an unexpected prefix", () => {
    const judgement = judgeSplit(
      seen({ one: 800, two: 200 }, { unexpected: { three: 1 } }),
      criteria("80:20"),
    );
    expect(judgement.verdict).toBe("FAIL");
    expect(judgement.reason).toBe("replies with unexpected prefixes: three 1");
  });

  it("is ERROR when no probe got a reply", () => {
    const judgement = judgeSplit(seen({ one: 0, two: 0 }, { errors: { refused: 10 } }), criteria("80:20"));
    expect(judgement.verdict).toBe("ERROR");
    expect(judgement.reason).toBe("no probe got a reply: refused 10");
  });

  it("is ERROR when failed probes exceed the maximum error rate, even with a settled split", () => {
    const judgement = judgeSplit(
      seen({ one: 1600, two: 400 }, { errors: { reset: 100 } }),
      criteria("80:20"),
    );
    expect(judgement.verdict).toBe("ERROR");
    expect(judgement.reason).toMatch(/^4.8% of probes failed \(reset 100\), above --max-error-rate 1.0%/);
  });

  it("PASSes an all-to-one split once the share is shown above 1 - tolerance", () => {
    expect(judgeSplit(seen({ one: 200, two: 0 }), criteria("100:0")).verdict).toBe("PASS");
  });

  it("keeps a settled PASS when later counts alone would not settle, by intersecting with the earlier intervals", () => {
    const earlier = judgeSplit(seen({ one: 1600, two: 400 }), criteria("80:20"));
    const later = seen({ one: 1850, two: 400 });
    expect(judgeSplit(later, criteria("80:20")).verdict).toBe("INCONCLUSIVE");
    expect(judgeSplit(later, criteria("80:20"), earlier).verdict).toBe("PASS");
  });

  it("gives the same verdict for the same counts (pure)", () => {
    const observation = seen({ one: 812, two: 201 });
    expect(judgeSplit(observation, criteria("80:20"))).toEqual(judgeSplit(observation, criteria("80:20")));
  });
});

describe("betaBinomialConfidenceSequence", () => {
  it("contains the observed share", () => {
    const interval = betaBinomialConfidenceSequence(300, 1000, 0.01, 0.2);
    expect(interval.lower).toBeLessThan(0.3);
    expect(interval.upper).toBeGreaterThan(0.3);
  });

  it("narrows as probes accumulate", () => {
    const widths = [100, 1000, 10_000].map((n) => {
      const { lower, upper } = betaBinomialConfidenceSequence(0.8 * n, n, 0.01, 0.8);
      return upper - lower;
    });
    expect(widths[1]).toBeLessThan(widths[0] as number);
    expect(widths[2]).toBeLessThan(widths[1] as number);
  });

  it("is wider than the fixed-sample Wald interval, the price of validity at every probe count", () => {
    const { lower, upper } = betaBinomialConfidenceSequence(800, 1000, 0.01, 0.8);
    const wald = 2 * 2.5758 * Math.sqrt((0.8 * 0.2) / 1000);
    expect(upper - lower).toBeGreaterThan(wald);
  });

  it("reaches 0 and 1 when no or all trials succeed", () => {
    expect(betaBinomialConfidenceSequence(0, 50, 0.01, 0.2).lower).toBe(0);
    expect(betaBinomialConfidenceSequence(50, 50, 0.01, 0.8).upper).toBe(1);
  });
});

describe("goodnessOfFit", () => {
  it("computes Pearson's chi-square p-value for large counts", () => {
    const fit = goodnessOfFit([1278, 290], [0.8, 0.2]);
    expect(fit?.method).toBe("chi-square");
    expect(fit?.statistic).toBeCloseTo(2.22, 2);
    expect(fit?.pValue).toBeCloseTo(0.1362, 3);
  });

  it("uses the exact multinomial test when an expected count is below 5", () => {
    // 10 probes at 80:20 with 5 and 5: P(X <= 5 or as unlikely) for Binomial(10, 0.2) on the second cell.
    const fit = goodnessOfFit([5, 5], [0.8, 0.2]);
    expect(fit?.method).toBe("exact multinomial");
    expect(fit?.pValue).toBeCloseTo(0.0328, 3);
  });

  it("is undefined with a single version", () => {
    expect(goodnessOfFit([10], [1])).toBeUndefined();
  });
});

describe("probesToSettle", () => {
  it("estimates a total above the current count for an unsettled split", () => {
    const estimate = probesToSettle(seen({ one: 80, two: 20 }), criteria("80:20"));
    expect(estimate).toBeGreaterThan(800);
    expect(estimate).toBeLessThan(1500);
  });

  it("is undefined when the observed share sits on the band's edge", () => {
    expect(probesToSettle(seen({ one: 75, two: 25 }), criteria("80:20"), 1_000_000)).toBeUndefined();
  });
});
