import { ProberOptionError } from "../errors.js";
import { type Expectation, expectationProblem } from "../expectations/index.js";
import { type GoodnessOfFit, goodnessOfFit } from "./goodness-of-fit.js";
import { type BetaComponent, logMixtureEvidence, mixtureBound, type Side } from "./mixture-evidence.js";
import { countIn, emptyRecord, type SplitObservation } from "./observation.js";

export type { SplitObservation } from "./observation.js";

export type Verdict = "PASS" | "FAIL" | "INCONCLUSIVE" | "ERROR";

/** A two-sided interval for a share in [0, 1]. */
export interface Interval {
  lower: number;
  upper: number;
}

/** What the probes saw so far. */
/** A weight's band: its share ± the tolerance, within [0, 1]. */
export const bandOf = (share: number, tolerance: number): Interval => ({
  lower: Math.max(0, share - tolerance),
  upper: Math.min(1, share + tolerance),
});

export interface SplitCriteria {
  expected: Expectation;
  /** Confidence of each verdict, e.g. 0.99: a wrong PASS, FAIL or ERROR has probability at most 1 - confidence. */
  confidence: number;
  /** Equivalence margin on each share, e.g. 0.05 for ±5 percentage points. */
  tolerance: number;
  /** Largest share of failed probes that still gives a PASS or FAIL verdict. */
  maxErrorRate: number;
  /** No PASS before this many probes (0 or undefined: none required). */
  minProbes?: number | undefined;
  /**
   * How many checks are judged together (a fleet's endpoints; 1 or undefined: this one alone): the FAIL
   * and ERROR tests run at alpha / family (Bonferroni: any of them may fire falsely), the PASS tests at
   * alpha (intersection-union: the fleet PASSes only when every check does).
   */
  family?: number | undefined;
}

/**
 * Which nulls the current counts reject for one version, each at its own level. Not carried over from
 * earlier checks: two edges shown at different times may have been shown under two different splits
 * (carrying them over settles a still 80:20 in 784 probes instead of 828, but PASSes 1.7% of runs whose
 * split moves from 90:10 to 70:30).
 */
export interface EdgeFindings {
  /** The share is shown above the band's lower edge (PASS side). */
  aboveLower: boolean;
  /** The share is shown below the band's upper edge (PASS side). */
  belowUpper: boolean;
  /** The share is shown below the band (FAIL side). */
  belowBand: boolean;
  /** The share is shown above the band (FAIL side). */
  aboveBand: boolean;
}

export interface VersionEvidence {
  label: string;
  expectedShare: number;
  count: number;
  observedShare: number;
  /** [expected - tolerance, expected + tolerance], clipped to [0, 1]. */
  band: Interval;
  shown: EdgeFindings;
}

export interface SplitJudgement {
  verdict: Verdict;
  reason: string;
  /** True once the verdict is decided by the evidence (PASS, FAIL or ERROR): more probes cannot change it. */
  settled: boolean;
  versions: VersionEvidence[];
  probes: number;
  replies: number;
  failedProbes: number;
  errorRate: number;
  /** The failed share is shown above `maxErrorRate`. */
  errorsShownAbove: boolean;
  /** Evidence for both a settled verdict and its opposite: under a fixed split a < alpha event, so most likely the split moved. */
  contradicted: boolean;
  goodnessOfFit: GoodnessOfFit | undefined;
}

export const METHOD =
  "equivalence test by one-sided mixture sequential probability ratio tests per band edge (Robbins 1970; Howard et al. 2021), intersection-union for PASS, Bonferroni for FAIL";

/**
 * The mixing priors, tuned by seeded simulation (docs/statistics.md). PASS side: mostly
 * concentrated on the expected share, where the truth is expected, with a tenth near the edge for truths
 * inside the band but close to it. FAIL side: centred one tolerance beyond the edge, with a broad part so
 * that a split far off (50:50 for 80:20) fails within tens of probes.
 */
const passPrior = (expectedShare: number, edge: number, side: Side, tolerance: number): BetaComponent[] => [
  { weight: 0.9, mean: expectedShare, strength: 6400 },
  { weight: 0.1, mean: side === "above" ? edge + tolerance / 2 : edge - tolerance / 2, strength: 1000 },
];
const failPrior = (edge: number, side: Side, tolerance: number): BetaComponent[] => {
  const mean = side === "above" ? edge + tolerance : edge - tolerance;
  return [
    { weight: 0.8, mean, strength: 1000 },
    { weight: 0.2, mean, strength: 30 },
  ];
};
/** The failed share: centred at twice the limit, with a broad part so that a dead target errs in a few probes. */
const errorPrior = (maxErrorRate: number): BetaComponent[] => [
  { weight: 0.8, mean: 2 * maxErrorRate, strength: 2 / maxErrorRate },
  { weight: 0.2, mean: (1 + maxErrorRate) / 2, strength: 2 },
];

const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const listing = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([key, count]) => `${key} ${count}`)
    .join(", ");

/** Replies from the expected versions (unexpected prefixes and failed probes not counted). */
const expectedReplies = (observation: SplitObservation, expected: Expectation) =>
  expected.labels.reduce((total, label) => total + countIn(observation.counts, label), 0);

const NOTHING_SHOWN: EdgeFindings = {
  aboveLower: false,
  belowUpper: false,
  belowBand: false,
  aboveBand: false,
};

/**
 * The criteria of a public entry checked as runProbeCampaign checks its options: a hand-built
 * expectation whose shares sum to 0.8 would otherwise PASS an observed 50:50 against [0.5, 0.3].
 * Throws ProberOptionError naming the field.
 */
function checkCriteria(criteria: SplitCriteria): void {
  const problem = expectationProblem(criteria.expected);
  if (problem !== undefined) throw new ProberOptionError("expected", problem);
  const fraction = (name: string, value: number, lowest: "open" | "closed") => {
    if (!(lowest === "open" ? value > 0 : value >= 0) || !(value < 1)) {
      throw new ProberOptionError(name, `must be a fraction ${lowest === "open" ? ">" : ">="} 0 and < 1`);
    }
  };
  fraction("confidence", criteria.confidence, "open");
  fraction("tolerance", criteria.tolerance, "open");
  fraction("maxErrorRate", criteria.maxErrorRate, "closed");
}

/** What a judgement may know beyond the counts. */
export interface JudgementContext {
  /** The judgement of an earlier call on the same segment: a verdict once settled stays. */
  previous?: SplitJudgement | undefined;
  /** The error budget of this segment (default 1 - confidence; spent over segments with --wait). */
  alpha?: number | undefined;
  /** The counts disagree between the segment's halves or drift along it: hold back a PASS, which may rest on a blend of two splits or lag behind a ramp. */
  unsteady?: boolean | undefined;
}

/** With two versions one share is 1 minus the other: one version's tests decide both. */
const independentVersions = (active: number) => (active <= 2 ? 1 : active);

function shownFor(
  count: number,
  replies: number,
  expectedShare: number,
  band: Interval,
  tolerance: number,
  alpha: number,
  failAlpha: number,
): EdgeFindings {
  const evidence = (edge: number, side: Side, prior: BetaComponent[]) =>
    logMixtureEvidence(count, replies, edge, side, prior);
  const passBar = Math.log(1 / alpha);
  const failBar = Math.log(1 / failAlpha);
  const hasLower = band.lower > 0;
  const hasUpper = band.upper < 1;
  return {
    aboveLower:
      !hasLower ||
      evidence(band.lower, "above", passPrior(expectedShare, band.lower, "above", tolerance)) >= passBar,
    belowUpper:
      !hasUpper ||
      evidence(band.upper, "below", passPrior(expectedShare, band.upper, "below", tolerance)) >= passBar,
    belowBand:
      hasLower && evidence(band.lower, "below", failPrior(band.lower, "below", tolerance)) >= failBar,
    aboveBand:
      hasUpper && evidence(band.upper, "above", failPrior(band.upper, "above", tolerance)) >= failBar,
  };
}

/** What the PASS and FAIL tests show for each expected version, at `alpha` (FAIL at Bonferroni's share of it). */
function versionEvidence(
  observation: SplitObservation,
  criteria: SplitCriteria,
  replies: number,
  alpha: number,
): VersionEvidence[] {
  const { expected, tolerance } = criteria;
  const active = expected.shares.filter((share) => share > 0).length;
  const failAlpha = alpha / (2 * independentVersions(active) * (criteria.family ?? 1));
  // Two versions: the second's tests are the first's mirrored (its share is 1 minus the first's).
  const mirrored = expected.labels.length === 2 && active === 2;
  const versions: VersionEvidence[] = [];
  expected.labels.forEach((label, i) => {
    const count = countIn(observation.counts, label);
    const expectedShare = expected.shares[i] as number;
    const band = bandOf(expectedShare, tolerance);
    const first = versions[0]?.shown;
    const shown =
      mirrored && i === 1 && first
        ? {
            aboveLower: first.belowUpper,
            belowUpper: first.aboveLower,
            belowBand: first.aboveBand,
            aboveBand: first.belowBand,
          }
        : expectedShare > 0 && replies > 0
          ? shownFor(count, replies, expectedShare, band, tolerance, alpha, failAlpha)
          : NOTHING_SHOWN;
    versions.push({
      label,
      expectedShare,
      count,
      observedShare: replies === 0 ? 0 : count / replies,
      band,
      shown,
    });
  });
  return versions;
}

/** The ERROR test: the failed share shown above `maxErrorRate` at `alpha` (any failure when the limit is 0). */
function errorsShownAboveLimit(
  failedProbes: number,
  probes: number,
  maxErrorRate: number,
  alpha: number,
): boolean {
  if (failedProbes === 0) return false;
  if (maxErrorRate === 0) return true;
  return (
    maxErrorRate < 1 &&
    logMixtureEvidence(failedProbes, probes, maxErrorRate, "above", errorPrior(maxErrorRate)) >=
      Math.log(1 / alpha)
  );
}

/** Everything the verdict is composed from: counts, each version's evidence and the error test. */
interface Findings {
  observation: SplitObservation;
  criteria: SplitCriteria;
  versions: VersionEvidence[];
  replies: number;
  probes: number;
  unexpectedReplies: number;
  failedProbes: number;
  errorRate: number;
  errorsShownAbove: boolean;
  unsteady: boolean;
  /** A weighted version shown outside its band (FAIL), if any. */
  outside: VersionEvidence | undefined;
  /** Every weighted version shown inside its band (PASS). */
  inside: boolean;
}

/** A verdict with its reason, and whether it is settled (may stop the run). */
interface Decision {
  verdict: Verdict;
  reason: string;
  settled: boolean;
}

const decision = (verdict: Verdict, reason: string, settled: boolean): Decision => ({
  verdict,
  reason,
  settled,
});

/** A FAIL's or an ERROR's confidence: a fleet's share of it for each endpoint (99.8%, never read as 100%). */
const failLevel = (criteria: SplitCriteria) =>
  `${Number((100 - (100 - criteria.confidence * 100) / (criteria.family ?? 1)).toPrecision(6))}%`;

/** The strict rules, then the errors: a reply no version may give, or failures shown above the limit. */
function repliesOrErrorsDecision(findings: Findings): Decision | undefined {
  const { observation, criteria, versions, replies, failedProbes, errorRate } = findings;
  if (findings.unexpectedReplies > 0) {
    return decision("FAIL", `replies with unexpected prefixes: ${listing(observation.unexpected)}`, true);
  }
  const zeroAnswered = versions.filter((v) => v.expectedShare === 0 && v.count > 0);
  if (zeroAnswered.length > 0) {
    const which = zeroAnswered.map((v) => `${v.label} (${v.count} replies)`).join(", ");
    return decision("FAIL", `weight-0 version answered: ${which}`, true);
  }
  if (findings.errorsShownAbove) {
    return decision(
      "ERROR",
      `${percent(errorRate)} of probes failed (${listing(observation.errors)}): shown above the maximum error rate ${percent(criteria.maxErrorRate)} at ${failLevel(criteria)} confidence`,
      true,
    );
  }
  if (replies === 0) {
    return failedProbes > 0
      ? decision("ERROR", `no probe got a reply: ${listing(observation.errors)}`, false)
      : decision("INCONCLUSIVE", "no probes yet", false);
  }
  return undefined;
}

/** The band tests: FAIL outside, then what holds a PASS back, PASS; else INCONCLUSIVE with what is still open. */
function bandDecision(findings: Findings): Decision {
  const { observation, criteria, versions, replies, errorRate, outside, inside } = findings;
  const { tolerance, maxErrorRate } = criteria;
  const within = `every version within ±${(tolerance * 100).toFixed(1)} pp of its weight`;
  if (outside && errorRate <= maxErrorRate) {
    const [side, edge] = outside.shown.belowBand
      ? ["below", outside.band.lower]
      : ["above", outside.band.upper];
    return decision(
      "FAIL",
      `${outside.label} ${percent(outside.observedShare)} of ${replies} replies: shown ${side} its band's edge ${percent(edge)} (weight ${percent(outside.expectedShare)} ± ${percent(tolerance)}) at ${failLevel(criteria)} confidence`,
      true,
    );
  }
  if (errorRate > maxErrorRate) {
    return decision(
      "INCONCLUSIVE",
      `${percent(errorRate)} of probes failed (${listing(observation.errors)}), above the maximum error rate ${percent(maxErrorRate)} but not yet shown above it`,
      false,
    );
  }
  if (inside && findings.unsteady) {
    return decision(
      "INCONCLUSIVE",
      `the shares moved during the ${replies} replies (their halves differ, or they drift from first to last): the split may be moving`,
      false,
    );
  }
  const minProbes = criteria.minProbes ?? 0;
  if (inside && findings.probes < minProbes) {
    return decision(
      "INCONCLUSIVE",
      `${within} after ${replies} replies, but a PASS needs ${minProbes} probes (--min-probes)`,
      false,
    );
  }
  if (inside) {
    const passLevel = `${Number((criteria.confidence * 100).toPrecision(6))}%`;
    return decision("PASS", `${within} at ${passLevel} confidence after ${replies} replies`, true);
  }
  const open = versions
    .filter((v) => v.expectedShare > 0 && !(v.shown.aboveLower && v.shown.belowUpper))
    .map((v) => {
      const pending = [
        v.shown.aboveLower ? [] : [`above ${percent(v.band.lower)}`],
        v.shown.belowUpper ? [] : [`below ${percent(v.band.upper)}`],
      ].flat();
      return `${v.label} ${percent(v.observedShare)} not yet shown ${pending.join(" and ")}`;
    });
  return decision("INCONCLUSIVE", `not settled after ${replies} replies: ${open.join("; ")}`, false);
}

/**
 * The verdict from the findings, in order of precedence: the strict rules, ERROR, FAIL, too many failures
 * to judge, an unsteady segment, PASS; else INCONCLUSIVE with what is still open.
 */
const composeVerdict = (findings: Findings): Decision =>
  repliesOrErrorsDecision(findings) ?? bandDecision(findings);

/**
 * The verdict on a split from counts alone: the same counts (and the same earlier judgement) always give
 * the same verdict.
 *
 * For each version with a nonzero weight and its band [w - tolerance, w + tolerance], four one-sided
 * mixture tests, each valid however often it is checked. PASS when every version is shown above its
 * lower edge and below its upper edge, each test at alpha = 1 - confidence (an intersection-union test:
 * a split outside the band must beat the one test whose null is true). FAIL when some version is shown
 * below or above its band, each test at alpha / (2 × versions) (Bonferroni: any of them may fire
 * falsely). ERROR when the failed share is shown above `maxErrorRate` at alpha, or when nothing but
 * errors came back. Strict rules, outside these error rates: any reply from a weight-0 version or with
 * an unexpected prefix is a FAIL.
 *
 * PASS and FAIL also need the observed failed share at most `maxErrorRate`: failures may hide a version.
 * Given the judgement of an earlier call on the same segment, a settled verdict stays as it was; evidence
 * for the opposite later sets `contradicted` instead of flipping it.
 */
export function judgeSplit(
  observation: SplitObservation,
  criteria: SplitCriteria,
  context: JudgementContext = {},
): SplitJudgement {
  checkCriteria(criteria);
  return judgeChecked(observation, criteria, context);
}

/**
 * The first settled verdict stands (its reason told with today's counts when they still show it); evidence
 * for another one, or for PASS and FAIL at once (`bothShown`), is reported as a contradiction, not obeyed.
 */
function standing(
  now: Decision,
  previous: SplitJudgement | undefined,
  bothShown: boolean,
): Decision & { contradicted: boolean } {
  const contradictsItself = now.verdict !== "ERROR" && bothShown;
  if (!previous?.settled) {
    return { ...now, contradicted: (previous?.contradicted ?? false) || (now.settled && contradictsItself) };
  }
  const contradicted =
    previous.contradicted || (now.settled && now.verdict !== previous.verdict) || contradictsItself;
  const kept = now.verdict !== previous.verdict || !now.settled ? previous : now;
  return { verdict: kept.verdict, reason: kept.reason, settled: true, contradicted };
}

/** judgeSplit on criteria already checked: probesToSettle's search calls it many times on the same ones. */
function judgeChecked(
  observation: SplitObservation,
  criteria: SplitCriteria,
  context: JudgementContext = {},
): SplitJudgement {
  const { previous, alpha = 1 - criteria.confidence, unsteady = false } = context;
  const replies = expectedReplies(observation, criteria.expected);
  const unexpectedReplies = sum(observation.unexpected);
  const failedProbes = sum(observation.errors);
  const probes = replies + unexpectedReplies + failedProbes;
  const errorRate = probes === 0 ? 0 : failedProbes / probes;
  const versions = versionEvidence(observation, criteria, replies, alpha);
  const errorsShownAbove =
    (previous?.errorsShownAbove ?? false) ||
    errorsShownAboveLimit(failedProbes, probes, criteria.maxErrorRate, alpha / (criteria.family ?? 1));
  const weighted = versions.filter((v) => v.expectedShare > 0);
  const outside = weighted.find((v) => v.shown.belowBand || v.shown.aboveBand);
  const inside = weighted.every((v) => v.shown.aboveLower && v.shown.belowUpper);
  const { verdict, reason, settled, contradicted } = standing(
    composeVerdict({
      observation,
      criteria,
      versions,
      replies,
      probes,
      unexpectedReplies,
      failedProbes,
      errorRate,
      errorsShownAbove,
      unsteady,
      outside,
      inside,
    }),
    previous,
    outside !== undefined && inside,
  );
  return {
    verdict,
    reason,
    settled,
    versions,
    probes,
    replies,
    failedProbes,
    errorRate,
    errorsShownAbove,
    contradicted,
    goodnessOfFit: goodnessOfFit(
      weighted.map((v) => v.count),
      weighted.map((v) => v.expectedShare),
    ),
  };
}

/**
 * Each version's one-sided bounds from the PASS-side tests at `alpha`, as in the two one-sided tests
 * (Schuirmann 1987): PASS exactly when every version's [lower, upper] lies inside its band. Together a
 * 1 - 2 alpha two-sided interval; anytime-valid like the tests.
 */
export function splitBounds(
  judgement: SplitJudgement,
  criteria: SplitCriteria,
  alpha = 1 - criteria.confidence,
): Record<string, Interval> {
  checkCriteria(criteria);
  const prior = (expectedShare: number, side: Side) => (edge: number) =>
    passPrior(expectedShare, edge, side, criteria.tolerance);
  return Object.fromEntries(
    judgement.versions.map((v) => [
      v.label,
      judgement.replies === 0
        ? { lower: 0, upper: 1 }
        : {
            lower: mixtureBound(v.count, judgement.replies, alpha, "above", prior(v.expectedShare, "above")),
            upper: mixtureBound(v.count, judgement.replies, alpha, "below", prior(v.expectedShare, "below")),
          },
    ]),
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
  checkCriteria(criteria);
  const replies = expectedReplies(observation, criteria.expected);
  if (replies === 0) return undefined;
  const settlesAt = (total: number) => {
    const counts = emptyRecord();
    for (const label of criteria.expected.labels) {
      counts[label] = Math.round((countIn(observation.counts, label) * total) / replies);
    }
    return judgeChecked(
      { counts, unexpected: emptyRecord(), errors: emptyRecord() },
      { ...criteria, maxErrorRate: 0.99 },
    ).settled;
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
