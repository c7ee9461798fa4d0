import { betaBinomialConfidenceSequence, type Interval } from "./confidence-sequence.js";
import type { Expectation } from "./expectation.js";
import { type GoodnessOfFit, goodnessOfFit } from "./goodness-of-fit.js";

export type Verdict = "PASS" | "FAIL" | "INCONCLUSIVE" | "ERROR";

/** What the probes saw so far. */
export interface SplitObservation {
  /** Replies by version label (only labels of the expectation). */
  counts: Record<string, number>;
  /** Replies whose prefix is no expected version, by prefix. */
  unexpected: Record<string, number>;
  /** Probes that got no valid reply, by kind (refused, reset, read-timeout, ...). */
  errors: Record<string, number>;
}

export interface SplitCriteria {
  expected: Expectation;
  /** Simultaneous confidence over all versions, e.g. 0.99. */
  confidence: number;
  /** Equivalence margin on each share, e.g. 0.05 for ±5 percentage points. */
  tolerance: number;
  /** Largest share of failed probes that still gives a PASS or FAIL verdict. */
  maxErrorRate: number;
}

export interface VersionEvidence {
  label: string;
  expectedShare: number;
  count: number;
  observedShare: number;
  /** Anytime-valid interval for the share, at the per-version level that makes them simultaneous. */
  interval: Interval;
}

export interface SplitJudgement {
  verdict: Verdict;
  reason: string;
  /** True when more probes cannot change the verdict's evidence: a settled PASS or FAIL. */
  settled: boolean;
  versions: VersionEvidence[];
  probes: number;
  replies: number;
  failedProbes: number;
  errorRate: number;
  goodnessOfFit: GoodnessOfFit | undefined;
}

export const METHOD =
  "equivalence test with anytime-valid beta-binomial confidence sequences (Robbins 1970; Howard et al. 2021), Bonferroni over versions";

const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const describe = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([key, count]) => `${key} ${count}`)
    .join(", ");

/** Replies from the expected versions (unexpected prefixes and failed probes not counted). */
const expectedReplies = (observation: SplitObservation, expected: Expectation) =>
  expected.labels.reduce((total, label) => total + (observation.counts[label] ?? 0), 0);

/** The common part of two intervals; the newer one alone if they are disjoint (a < alpha event). */
function intersect(current: Interval, earlier: Interval): Interval {
  const lower = Math.max(current.lower, earlier.lower);
  const upper = Math.min(current.upper, earlier.upper);
  return lower <= upper ? { lower, upper } : current;
}

/**
 * The verdict on a split from counts alone (pure: the same counts always give the same verdict).
 *
 * PASS when every version with a nonzero weight has its confidence interval inside
 * [expected - tolerance, expected + tolerance]; FAIL when some interval lies wholly outside that band, a
 * weight-0 version answered, or an unexpected prefix appeared; ERROR when no probe got a reply or the
 * error rate is above `maxErrorRate`; otherwise INCONCLUSIVE. The intervals hold simultaneously at
 * `confidence` however often this is called as probes arrive.
 *
 * Given the judgement of an earlier call on the same run, each interval is intersected with the earlier
 * one: every interval of the sequence covers the truth at once, so their intersection does too, and a
 * verdict once settled stays settled as more probes arrive.
 */
export function judgeSplit(
  observation: SplitObservation,
  criteria: SplitCriteria,
  previous?: SplitJudgement,
): SplitJudgement {
  const { expected, confidence, tolerance, maxErrorRate } = criteria;
  const replies = expectedReplies(observation, expected);
  const unexpectedReplies = sum(observation.unexpected);
  const failedProbes = sum(observation.errors);
  const probes = replies + unexpectedReplies + failedProbes;
  const errorRate = probes === 0 ? 0 : failedProbes / probes;

  const active = expected.labels.filter((_, i) => (expected.weights[i] as number) > 0);
  // With two versions one share is 1 minus the other, so one interval covers both.
  const alpha = (1 - confidence) / (active.length <= 2 ? 1 : active.length);
  const versions = expected.labels.map((label, i): VersionEvidence => {
    const count = observation.counts[label] ?? 0;
    const expectedShare = expected.shares[i] as number;
    const current = betaBinomialConfidenceSequence(count, replies, alpha, expectedShare);
    const earlier = previous?.versions[i]?.interval;
    const interval = earlier ? intersect(current, earlier) : current;
    return { label, expectedShare, count, observedShare: replies === 0 ? 0 : count / replies, interval };
  });
  const fit = goodnessOfFit(
    versions.filter((v) => v.expectedShare > 0).map((v) => v.count),
    versions.filter((v) => v.expectedShare > 0).map((v) => v.expectedShare),
  );
  const judged = (verdict: Verdict, reason: string, settled: boolean): SplitJudgement => ({
    verdict,
    reason,
    settled,
    versions,
    probes,
    replies,
    failedProbes,
    errorRate,
    goodnessOfFit: fit,
  });

  if (unexpectedReplies > 0) {
    return judged("FAIL", `replies with unexpected prefixes: ${describe(observation.unexpected)}`, true);
  }
  const zeroAnswered = versions.filter((v) => v.expectedShare === 0 && v.count > 0);
  if (zeroAnswered.length > 0) {
    const which = zeroAnswered.map((v) => `${v.label} (${v.count} replies)`).join(", ");
    return judged("FAIL", `weight-0 version answered: ${which}`, true);
  }
  if (replies === 0) {
    return failedProbes > 0
      ? judged("ERROR", `no probe got a reply: ${describe(observation.errors)}`, false)
      : judged("INCONCLUSIVE", "no probes yet", false);
  }

  const band = (v: VersionEvidence) =>
    [Math.max(0, v.expectedShare - tolerance), Math.min(1, v.expectedShare + tolerance)] as const;
  const outside = versions.find((v) => {
    const [low, high] = band(v);
    return v.expectedShare > 0 && (v.interval.upper < low || v.interval.lower > high);
  });
  const crossing = versions.filter((v) => {
    const [low, high] = band(v);
    return v.expectedShare > 0 && (v.interval.lower < low || v.interval.upper > high);
  });
  const level = `${(confidence * 100).toFixed(confidence >= 0.999 ? 2 : 0)}%`;
  const show = (v: VersionEvidence) => {
    const [low, high] = band(v);
    return `${v.label} ${percent(v.observedShare)}, ${level} interval [${percent(v.interval.lower)}, ${percent(v.interval.upper)}] vs band [${percent(low)}, ${percent(high)}]`;
  };

  if (errorRate > maxErrorRate) {
    return judged(
      "ERROR",
      `${percent(errorRate)} of probes failed (${describe(observation.errors)}), above --max-error-rate ${percent(maxErrorRate)}`,
      outside !== undefined || crossing.length === 0,
    );
  }
  if (outside) return judged("FAIL", `${show(outside)}: outside the tolerance band`, true);
  if (crossing.length === 0) {
    return judged(
      "PASS",
      `every version within ±${(tolerance * 100).toFixed(1)} pp of its weight at ${level} confidence after ${replies} replies`,
      true,
    );
  }
  return judged(
    "INCONCLUSIVE",
    `not settled after ${replies} replies: ${crossing.map(show).join("; ")}`,
    false,
  );
}

/**
 * How many probes in all would likely settle the verdict if the observed shares held: the smallest total
 * at which the same proportions would give PASS or FAIL. Undefined when no total up to `limit` would.
 */
export function probesToSettle(
  observation: SplitObservation,
  criteria: SplitCriteria,
  limit = 10_000_000,
): number | undefined {
  const replies = expectedReplies(observation, criteria.expected);
  if (replies === 0) return undefined;
  const settlesAt = (total: number) => {
    const counts: Record<string, number> = {};
    for (const label of criteria.expected.labels) {
      counts[label] = Math.round(((observation.counts[label] ?? 0) * total) / replies);
    }
    return judgeSplit({ counts, unexpected: {}, errors: {} }, { ...criteria, maxErrorRate: 1 }).settled;
  };
  let high = Math.max(replies, 1);
  while (!settlesAt(high)) {
    if (high >= limit) return undefined;
    high = Math.min(high * 2, limit);
  }
  let low = Math.floor(high / 2);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (settlesAt(mid)) high = mid;
    else low = mid;
  }
  return high;
}
