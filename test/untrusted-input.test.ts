import { describe, expect, it } from "vitest";
import { simulatedProbe } from "../devtools/simulated-probe.js";
import { parseClusterReference, parseExpectation } from "../prober/expectations/index.js";
import { ProberOptionError, resolveCampaignOptions, runProbeCampaign } from "../prober/index.js";
import type { ProbeOutcome } from "../prober/probe-outcome.js";
import { SegmentedSplitTest } from "../prober/statistics/index.js";
import { advanceWatch, startWatch } from "../prober/watch/index.js";

const PROTOTYPE_KEYS = ["constructor", "toString", "__proto__", "valueOf", "hasOwnProperty"];
const reply = (prefix: string): ProbeOutcome => ({ kind: "reply", prefix, latencyMs: 1, sameVersion: true });

/** A seeded 80:20 split in which probe number `at` answers with `prefix` instead. */
function eightyTwentyWithOne(prefix: string, at: number) {
  const split = simulatedProbe({ one: 80, two: 20 }, 7);
  let started = 0;
  return async () => {
    const outcome = await split();
    started += 1;
    return started === at ? reply(prefix) : outcome;
  };
}

describe("reply prefixes from the network", () => {
  it.each(PROTOTYPE_KEYS)(
    "counts a reply prefixed %s as unexpected, and the 80:20 check FAILs",
    async (prefix) => {
      const report = await runProbeCampaign({
        host: "127.0.0.1",
        port: 1,
        expected: parseExpectation("80:20"),
        concurrency: 1,
        probe: eightyTwentyWithOne(prefix, 5),
      });
      expect(report.verdict).toBe("FAIL");
      expect(Object.entries(report.unexpected)).toEqual([[prefix, 1]]);
    },
  );

  it.each(PROTOTYPE_KEYS)("counts a reply prefixed %s as unexpected in a watch too", (prefix) => {
    const state = startWatch({
      steps: [parseExpectation("80:20")],
      confidence: 0.99,
      tolerance: 0.05,
      maxErrorRate: 0.01,
      persistMs: 3000,
    });
    const [after] = advanceWatch(state, { kind: "outcome", outcome: reply(prefix), startedMs: 0 });
    expect(Object.entries(after.segment.observation.unexpected)).toEqual([[prefix, 1]]);
    expect(Object.values(after.segment.observation.counts)).toEqual([0, 0]);
  });

  it("keeps a reply prefixed __proto__ out of the report's prototype (its latency is an own key)", async () => {
    const report = await runProbeCampaign({
      host: "127.0.0.1",
      port: 1,
      expected: parseExpectation("80:20"),
      concurrency: 1,
      probe: eightyTwentyWithOne("__proto__", 1),
    });
    expect(Object.hasOwn(report.latencyMs, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(report.latencyMs)).toBe(Object.prototype);
  });
});

describe("kinds named on the command line", () => {
  it("takes an inherited member's name for no kind", () => {
    expect(parseClusterReference("constructor/tcp-echo")).toBeUndefined();
  });
});

describe("an expectation built by hand for the library", () => {
  const options = (expected: { labels: string[]; weights: number[]; shares: number[] }) => ({
    host: "127.0.0.1",
    port: 9000,
    expected,
  });

  it("is refused when its shares do not sum to 1", () => {
    expect(() =>
      resolveCampaignOptions(options({ labels: ["one", "two"], weights: [5, 3], shares: [0.5, 0.3] })),
    ).toThrow(ProberOptionError);
  });

  it("is refused, saying why, when weights were given as shares", () => {
    expect(() =>
      resolveCampaignOptions(options({ labels: ["one", "two"], weights: [80, 20], shares: [80, 20] })),
    ).toThrow("expected: has shares outside [0, 1]: 80, 20 (shares are fractions; weights go in weights)");
  });

  it("is refused when a label appears twice", () => {
    expect(() =>
      resolveCampaignOptions(options({ labels: ["one", "one"], weights: [1, 1], shares: [0.5, 0.5] })),
    ).toThrow('expected: has the label "one" twice');
  });

  it("is refused when it has fewer weights than labels", () => {
    expect(() =>
      resolveCampaignOptions(options({ labels: ["one", "two"], weights: [1], shares: [0.5, 0.5] })),
    ).toThrow("expected: needs one weight per label (2)");
  });

  it("is accepted when parsed (the control)", () => {
    expect(() => resolveCampaignOptions(options(parseExpectation("80:20")))).not.toThrow();
  });
});

describe("a settled PASS while following changes", () => {
  it("stays PASS, on the same segment, when a probe still in flight answers with an unexpected prefix", () => {
    const test = new SegmentedSplitTest(
      { expected: parseExpectation("80:20"), confidence: 0.99, tolerance: 0.05, maxErrorRate: 0.01 },
      true,
    );
    let probes = 0;
    while (!test.decided) {
      test.record(reply(probes % 5 === 4 ? "two" : "one"), probes * 10);
      probes += 1;
    }
    test.record(reply("three"), probes * 10);
    const judgement = test.judge();
    expect(test.segments).toHaveLength(1);
    expect(judgement.verdict).toBe("PASS");
    expect(judgement.contradicted).toBe(true);
  });
});
