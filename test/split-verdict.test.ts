import { describe, expect, it } from "vitest";
import { ProberOptionError } from "../prober/errors.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import { goodnessOfFit } from "../prober/statistics/goodness-of-fit.js";
import {
  judgeSplit,
  probesToSettle,
  type SplitObservation,
  splitBounds,
} from "../prober/statistics/split-verdict.js";

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
  it("PASSes when every share is shown inside its tolerance band", () => {
    const judgement = judgeSplit(seen({ one: 1600, two: 400 }), criteria("80:20"));
    expect(judgement.verdict).toBe("PASS");
    expect(judgement.settled).toBe(true);
  });

  it("is INCONCLUSIVE while a band edge is not yet shown, and says which", () => {
    const judgement = judgeSplit(seen({ one: 80, two: 20 }), criteria("80:20"));
    expect(judgement.verdict).toBe("INCONCLUSIVE");
    expect(judgement.reason).toBe(
      "not settled after 100 replies: one 80.0% not yet shown above 75.0% and below 85.0%; two 20.0% not yet shown above 15.0% and below 25.0%",
    );
  });

  it("FAILs when a share is shown outside its band", () => {
    const judgement = judgeSplit(seen({ one: 500, two: 500 }), criteria("80:20"));
    expect(judgement.verdict).toBe("FAIL");
    expect(judgement.reason).toMatch(/^one 50.0% of 1000 replies: shown below its band's edge 75.0%/);
  });

  it("FAILs on a single reply from a weight-0 version (a strict rule)", () => {
    const judgement = judgeSplit(seen({ one: 5000, two: 1 }), criteria("100:0"));
    expect(judgement.verdict).toBe("FAIL");
    expect(judgement.reason).toBe("weight-0 version answered: two (1 replies)");
  });

  it("FAILs on a reply with an unexpected prefix (a strict rule)", () => {
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
    expect(judgement.reason).toBe(
      "100.0% of probes failed (refused 10): shown above the maximum error rate 1.0% at 99% confidence",
    );
  });

  it("is ERROR when the failed share is shown above the maximum error rate, even with a settled split", () => {
    const judgement = judgeSplit(
      seen({ one: 1600, two: 400 }, { errors: { reset: 100 } }),
      criteria("80:20"),
    );
    expect(judgement.verdict).toBe("ERROR");
    expect(judgement.settled).toBe(true);
    expect(judgement.reason).toMatch(
      /^4.8% of probes failed \(reset 100\): shown above the maximum error rate 1.0%/,
    );
  });

  it("holds back PASS while the failed share is above the maximum but not shown above it", () => {
    const judgement = judgeSplit(seen({ one: 1600, two: 400 }, { errors: { reset: 25 } }), criteria("80:20"));
    expect(judgement.verdict).toBe("INCONCLUSIVE");
    expect(judgement.reason).toMatch(/1.2% of probes failed .*not yet shown above it/);
  });

  it("does not call one failed probe in five an ERROR (small budgets)", () => {
    const judgement = judgeSplit(seen({ one: 4, two: 0 }, { errors: { reset: 1 } }), criteria("80:20"));
    expect(judgement.errorsShownAbove).toBe(false);
    expect(judgement.verdict).toBe("INCONCLUSIVE");
  });

  it("PASSes an all-to-one split once the share is shown above 1 - tolerance", () => {
    expect(judgeSplit(seen({ one: 200, two: 0 }), criteria("100:0")).verdict).toBe("PASS");
  });

  it("keeps a settled verdict when later counts alone would not settle", () => {
    const earlier = judgeSplit(seen({ one: 1600, two: 400 }), criteria("80:20"));
    const later = seen({ one: 1900, two: 400 });
    expect(judgeSplit(later, criteria("80:20")).verdict).toBe("INCONCLUSIVE");
    expect(judgeSplit(later, criteria("80:20"), { previous: earlier }).verdict).toBe("PASS");
  });

  it("reports later evidence against a settled verdict as a contradiction instead of flipping it", () => {
    const earlier = judgeSplit(seen({ one: 1600, two: 400 }), criteria("80:20"));
    const later = judgeSplit(seen({ one: 2600, two: 1400 }), criteria("80:20"), { previous: earlier });
    expect(later.verdict).toBe("PASS");
    expect(later.contradicted).toBe(true);
  });

  it("judges the counts it is given, not those of earlier calls, unless handed the earlier judgement", () => {
    judgeSplit(seen({ one: 1600, two: 400 }), criteria("80:20"));
    expect(judgeSplit(seen({ one: 80, two: 20 }), criteria("80:20")).verdict).toBe("INCONCLUSIVE");
  });

  it("holds back a PASS while the segment's halves disagree", () => {
    const judgement = judgeSplit(seen({ one: 1600, two: 400 }), criteria("80:20"), { unsteady: true });
    expect(judgement.verdict).toBe("INCONCLUSIVE");
    expect(judgement.reason).toMatch(/the split may be moving/);
  });

  it("holds back a PASS until the probes asked for by minProbes are in", () => {
    const observation = seen({ one: 1600, two: 400 });
    const judgement = judgeSplit(observation, { ...criteria("80:20"), minProbes: 3000 });
    expect(judgement.verdict).toBe("INCONCLUSIVE");
    expect(judgement.reason).toContain("a PASS needs 3000 probes (--min-probes)");
    expect(judgeSplit(observation, { ...criteria("80:20"), minProbes: 2000 }).verdict).toBe("PASS");
  });

  it("FAILs before minProbes: the rule holds back only a PASS", () => {
    const judgement = judgeSplit(seen({ one: 500, two: 500 }), { ...criteria("80:20"), minProbes: 3000 });
    expect(judgement.verdict).toBe("FAIL");
  });

  it("needs more evidence for a smaller alpha (a later segment of --wait)", () => {
    const observation = seen({ one: 600, two: 150 });
    expect(judgeSplit(observation, criteria("80:20")).verdict).toBe("PASS");
    expect(judgeSplit(observation, criteria("80:20"), { alpha: 0.0001 }).verdict).toBe("INCONCLUSIVE");
  });
});

describe("splitBounds", () => {
  it("lies inside the band exactly when the verdict is PASS", () => {
    const pass = judgeSplit(seen({ one: 1600, two: 400 }), criteria("80:20"));
    const open = judgeSplit(seen({ one: 400, two: 100 }), criteria("80:20"));
    const inside = (b: { lower: number; upper: number }) => b.lower >= 0.75 && b.upper <= 0.85;
    expect(inside(splitBounds(pass, criteria("80:20")).one as { lower: number; upper: number })).toBe(true);
    expect(open.verdict).toBe("INCONCLUSIVE");
    expect(inside(splitBounds(open, criteria("80:20")).one as { lower: number; upper: number })).toBe(false);
  });

  it("contains the observed share and narrows as replies accumulate", () => {
    const widths = [100, 1000, 10_000].map((n) => {
      const judgement = judgeSplit(seen({ one: 0.8 * n, two: 0.2 * n }), criteria("80:20"));
      const { lower, upper } = splitBounds(judgement, criteria("80:20")).one as {
        lower: number;
        upper: number;
      };
      expect(lower).toBeLessThan(0.8);
      expect(upper).toBeGreaterThan(0.8);
      return upper - lower;
    });
    expect(widths[1]).toBeLessThan(widths[0] as number);
    expect(widths[2]).toBeLessThan(widths[1] as number);
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
    expect(estimate).toBeGreaterThan(400);
    expect(estimate).toBeLessThan(1500);
  });

  it("is undefined when the observed share sits on the band's edge", () => {
    expect(probesToSettle(seen({ one: 75, two: 25 }), criteria("80:20"), 1_000_000)).toBeUndefined();
  });
});

describe("the public judging entries, given criteria built by hand", () => {
  const handBuilt = { labels: ["one", "two"], weights: [50, 30], shares: [0.5, 0.3], source: "by hand" };
  const criteria = { expected: handBuilt, confidence: 0.99, tolerance: 0.05, maxErrorRate: 0.01 };

  it("refuse shares that do not sum to 1, as runProbeCampaign does, naming the field", () => {
    expect(() => judgeSplit(seen({ one: 500, two: 500 }), criteria)).toThrow(
      new ProberOptionError("expected", "has shares summing to 0.8, not 1"),
    );
  });

  it("refuse a confidence of 1 in splitBounds and probesToSettle too", () => {
    const valid = { ...criteria, expected: parseExpectation("50:50"), confidence: 1 };
    const judgement = { replies: 0, versions: [] } as unknown as Parameters<typeof splitBounds>[0];
    expect(() => splitBounds(judgement, valid)).toThrow(ProberOptionError);
    expect(() => probesToSettle(seen({ one: 5, two: 5 }), valid)).toThrow(
      /confidence: must be a fraction > 0 and < 1/,
    );
  });
});
