import { ProberOptionError } from "../errors.js";
import { type ClusterSource, type Expectation, expectationProblem } from "../expectations/index.js";
import type { ProbeOutcome } from "../probe-outcome.js";

export interface CampaignProgress {
  probes: number;
  maxProbes: number;
  counts: Record<string, number>;
  failedProbes: number;
}

/** What a campaign needs: where, what is expected, and budgets; every budget has a default (CAMPAIGN_DEFAULTS). */
export interface CampaignOptions {
  host: string;
  port: number;
  expected: Expectation;
  /** Confidence of each verdict: a wrong PASS, FAIL or ERROR has probability at most 1 - confidence. */
  confidence?: number | undefined;
  /** Allowed distance of each share from its weight (0.05: ±5 percentage points). */
  tolerance?: number | undefined;
  /** Largest share of failed probes that still gives a PASS or FAIL verdict. */
  maxErrorRate?: number | undefined;
  /** Probes in flight at once. */
  concurrency?: number | undefined;
  /** Probe budget: the campaign ends INCONCLUSIVE if it has not settled by then (default 20,000; no limit with followChanges). */
  maxProbes?: number | undefined;
  /**
   * No PASS before the segment it rests on holds this many probes (default 0): a leak to a weight-0
   * version of share q is then seen with probability 1 - (1 - q)^minProbes, and a slow ramp has time to show.
   */
  minProbes?: number | undefined;
  /** Time budget in milliseconds (with followChanges: how long to wait for the split to hold). */
  durationMs?: number | undefined;
  /** Cap on probes started per second; undefined for no cap (with followChanges: FOLLOW_CHANGES_RATE; Infinity for none). */
  rate?: number | undefined;
  connectTimeoutMs?: number | undefined;
  timeoutMs?: number | undefined;
  linesPerConnection?: number | undefined;
  /** Stop as soon as the verdict is settled (the default); false spends the whole budget. */
  stopWhenSettled?: boolean | undefined;
  /** Follow a split that changes (new weights on their way): probe until it PASSes or the budget ends. */
  followChanges?: boolean | undefined;
  /** Where `expected` was read from (a cluster object), carried into the report. */
  expectedFrom?: ClusterSource | undefined;
  /**
   * With followChanges: called once at the start with a function that replaces the expected split (a
   * followed cluster object changed); the run then judges the new split from a new segment.
   */
  followExpectation?:
    | ((update: (expected: Expectation, source: ClusterSource) => void, signal: AbortSignal) => void)
    | undefined;
  /**
   * How many checks are judged together (runFleetCampaign's endpoints): FAIL and ERROR at
   * (1 - confidence) / family, PASS at 1 - confidence (default 1: this check alone).
   */
  family?: number | undefined;
  /** Record each version's share and bounds at every checkpoint in `report.trace` (for the HTML report). */
  trace?: boolean | undefined;
  /** Ends the campaign early, as SIGINT does: the report covers what was seen. */
  signal?: AbortSignal | undefined;
  /** Replaces the TCP probe, e.g. with a seeded simulation; gets the probe's id and an abort signal. */
  probe?: ((id: string, signal: AbortSignal) => Promise<ProbeOutcome>) | undefined;
  /** Called after every probe counted, in start order, with the running totals. */
  onProgress?: ((progress: CampaignProgress) => void) | undefined;
}

export const CAMPAIGN_DEFAULTS = {
  confidence: 0.99,
  tolerance: 0.05,
  maxErrorRate: 0.01,
  concurrency: 16,
  maxProbes: 20_000,
  minProbes: 0,
  durationMs: 60_000,
  connectTimeoutMs: 2000,
  timeoutMs: 2000,
  linesPerConnection: 1,
  stopWhenSettled: true,
  followChanges: false,
  trace: false,
  family: 1,
} as const;

/** Probes started per second when following changes and no rate is given. */
export const FOLLOW_CHANGES_RATE = 500;

type Hooks = "rate" | "signal" | "probe" | "onProgress" | "expectedFrom" | "followExpectation";
export type ResolvedCampaignOptions = {
  [K in Exclude<keyof CampaignOptions, Hooks>]-?: Exclude<CampaignOptions[K], undefined>;
} & Pick<CampaignOptions, Hooks>;

/** Node's timers fire at once beyond this (2^31 - 1 ms, about 24.8 days). */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

function check(option: string, ok: boolean, rule: string): void {
  if (!ok) throw new ProberOptionError(option, `must be ${rule}`);
}

/** The options with their defaults filled in, each checked; throws ProberOptionError naming the option. */
export function resolveCampaignOptions(options: CampaignOptions): ResolvedCampaignOptions {
  // Following changes, the wait is the budget: a probe count would end it early on a fast gateway.
  const budget = options.followChanges ? Number.MAX_SAFE_INTEGER : CAMPAIGN_DEFAULTS.maxProbes;
  // And a rate cap: unbounded for a minute's wait, a fast gateway would take hundreds of thousands of
  // connections, and the prober's host would run out of ephemeral ports.
  const cap = options.followChanges ? FOLLOW_CHANGES_RATE : undefined;
  const resolved = {
    ...CAMPAIGN_DEFAULTS,
    maxProbes: budget,
    rate: cap,
    ...withoutUndefined(options),
  } as ResolvedCampaignOptions;
  const { confidence, tolerance, maxErrorRate, concurrency, maxProbes, durationMs, rate } = resolved;
  const problem = expectationProblem(resolved.expected);
  if (problem !== undefined) throw new ProberOptionError("expected", problem);
  check("port", Number.isInteger(resolved.port) && resolved.port >= 1 && resolved.port <= 65535, "1-65535");
  check("confidence", confidence > 0 && confidence < 1, "a fraction > 0 and < 1");
  check("tolerance", tolerance > 0 && tolerance < 1, "a fraction > 0 and < 1");
  check("maxErrorRate", maxErrorRate >= 0 && maxErrorRate < 1, "a fraction >= 0 and < 1");
  check("concurrency", Number.isInteger(concurrency) && concurrency > 0, "a whole number > 0");
  check("maxProbes", Number.isInteger(maxProbes) && maxProbes > 0, "a whole number > 0");
  check(
    "minProbes",
    Number.isInteger(resolved.minProbes) && resolved.minProbes >= 0 && resolved.minProbes <= maxProbes,
    "a whole number from 0 to the probe budget",
  );
  check(
    "durationMs",
    durationMs > 0 && durationMs <= LONGEST_TIMER_MS,
    `a number > 0 and <= ${LONGEST_TIMER_MS}`,
  );
  check("rate", rate === undefined || rate > 0, "a number > 0");
  check("family", Number.isInteger(resolved.family) && resolved.family >= 1, "a whole number >= 1");
  check("connectTimeoutMs", resolved.connectTimeoutMs > 0, "a number > 0");
  check("timeoutMs", resolved.timeoutMs > 0, "a number > 0");
  check(
    "linesPerConnection",
    Number.isInteger(resolved.linesPerConnection) && resolved.linesPerConnection > 0,
    "a whole number > 0",
  );
  return resolved;
}

/** The options without their undefined fields: `{ rate: undefined }` must not hide a default. */
export function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
