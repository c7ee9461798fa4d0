import { CAMPAIGN_DEFAULTS, resolveCampaignOptions, withoutUndefined } from "../campaign/index.js";
import { ProberOptionError } from "../errors.js";
import { type Expectation, expectationFromWeights, expectationProblem } from "../expectations/index.js";
import { formatTarget, type ProbeFunction, ProbeLoop, TcpProber } from "../probing/index.js";
import {
  advanceWatch,
  concludeWatch,
  type StopCause,
  startWatch,
  type WatchEvent,
  type WatchInput,
  type WatchSummary,
} from "./watch-machine.js";

export type { Shares, WatchEvent, WatchSummary } from "./watch-machine.js";

export interface WatchOptions {
  host: string;
  port: number;
  /**
   * The splits the gateway should pass through, in order; one for a split that should hold still; none
   * to monitor (windows and changes only, PASS unless errors).
   */
  steps: Expectation[];
  confidence?: number | undefined;
  tolerance?: number | undefined;
  maxErrorRate?: number | undefined;
  /** Probes started per second (default 150: polite to a production gateway). */
  rate?: number | undefined;
  concurrency?: number | undefined;
  /** How long a split that matches no remaining step must hold, with no change seen, before it FAILs (default 3000 ms). */
  persistMs?: number | undefined;
  /** How often a `window` event reports the shares, in ms (default 1000). */
  intervalMs?: number | undefined;
  /** Time budget in ms; undefined watches until `signal` aborts. */
  durationMs?: number | undefined;
  connectTimeoutMs?: number | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Replaces the TCP probe (a seeded simulation in tests and the benchmark). */
  probe?: ProbeFunction | undefined;
  /**
   * With one expected split: called once at the start with a function that replaces it (weights read
   * live from a cluster object that changed); the watch then judges the new split from a new segment.
   */
  followExpectation?:
    | ((update: (expected: Expectation, description: string) => void, signal: AbortSignal) => void)
    | undefined;
  /** Where the steps came from (a cluster object and its resourceVersion), for the summary. */
  expectationSource?: string | undefined;
  /** Every event as it happens: windows, changes, steps and, last, the summary. */
  onEvent?: ((event: WatchEvent) => void) | undefined;
}

export const WATCH_DEFAULTS = {
  confidence: CAMPAIGN_DEFAULTS.confidence,
  tolerance: CAMPAIGN_DEFAULTS.tolerance,
  maxErrorRate: CAMPAIGN_DEFAULTS.maxErrorRate,
  rate: 150,
  concurrency: CAMPAIGN_DEFAULTS.concurrency,
  intervalMs: 1000,
  persistMs: 3000,
  connectTimeoutMs: CAMPAIGN_DEFAULTS.connectTimeoutMs,
  timeoutMs: CAMPAIGN_DEFAULTS.timeoutMs,
} as const;

type ResolvedWatchOptions = WatchOptions & Record<keyof typeof WATCH_DEFAULTS, number>;

/** The options with their defaults, each checked; throws ProberOptionError naming the option. */
export function resolveWatchOptions(watchOptions: WatchOptions): ResolvedWatchOptions {
  const options = { ...WATCH_DEFAULTS, ...withoutUndefined(watchOptions) } as ResolvedWatchOptions;
  // No steps: a monitor. The options it shares with a campaign are checked with a stand-in split.
  const first = options.steps[0] ?? expectationFromWeights([["one", 1]], "monitor");
  options.steps.forEach((step, i) => {
    const problem = expectationProblem(step);
    if (problem !== undefined) throw new ProberOptionError(`steps[${i}]`, problem);
  });
  if (!(options.intervalMs > 0)) throw new ProberOptionError("intervalMs", "must be a number > 0");
  if (!(options.persistMs >= 0)) throw new ProberOptionError("persistMs", "must be a number >= 0");
  if (options.followExpectation && options.steps.length > 1) {
    throw new ProberOptionError("followExpectation", "follows one expected split, not steps");
  }
  // The options it shares with a campaign are checked by the same rules.
  resolveCampaignOptions({ ...options, expected: first, followExpectation: undefined });
  return options;
}

/**
 * Watches a split continuously at a polite rate: reports each interval's shares, announces each change
 * of the split (ChangeDetector: a generalized likelihood ratio over recent change points), and, given
 * several steps, checks that the split passes through them in order, each PASSed by the campaign's own
 * test on the probes since the last change. Segment k of the watch spends alpha / 2^k, shared among the
 * steps it is tested against; a change restarts the evidence at the moment it is detected. The judging
 * is the pure machine of watch-machine.ts; this drives it with the probe loop, a window timer and the
 * cluster follower.
 */
export async function runWatch(watchOptions: WatchOptions): Promise<WatchSummary> {
  const options = resolveWatchOptions(watchOptions);
  let state = startWatch(options, options.expectationSource ?? null);
  let stoppedBy: StopCause | undefined;
  const stopped = () => stoppedBy !== undefined || state.decided !== undefined;
  const feed = (input: WatchInput) => {
    const [next, events] = advanceWatch(state, input);
    state = next;
    for (const event of events) options.onEvent?.(event);
    if (state.decided) loop.stop(true);
  };
  const stop = (cause: StopCause) => {
    if (!stopped()) stoppedBy = cause;
    loop.stop(true);
  };

  const prober = new TcpProber({ ...options, linesPerConnection: 1 });
  const loop: ProbeLoop = new ProbeLoop({
    probe: options.probe ?? ((id) => prober.probe(id)),
    concurrency: options.concurrency,
    rate: options.rate,
    maxProbes: Number.MAX_SAFE_INTEGER,
    onOutcome: (outcome, startedMs) => feed({ kind: "outcome", outcome, startedMs }),
  });
  loop.signal.addEventListener("abort", () => prober.abortAll(), { once: true });

  const tick = () => {
    if (state.window.probes === 0 && stopped()) return;
    feed({ kind: "tick", atMs: performance.now() - loop.began });
  };
  const ticker = setInterval(tick, options.intervalMs);
  const following = new AbortController();
  options.followExpectation?.(
    (expected, source) => feed({ kind: "expected", expected, source }),
    following.signal,
  );
  const onInterrupt = () => stop("interrupted");
  options.signal?.addEventListener("abort", onInterrupt, { once: true });
  if (options.signal?.aborted) stop("interrupted");
  const deadline =
    options.durationMs === undefined ? undefined : setTimeout(() => stop("duration"), options.durationMs);
  await loop.run();
  following.abort();
  clearInterval(ticker);
  clearTimeout(deadline);
  options.signal?.removeEventListener("abort", onInterrupt);
  tick();

  const summary: WatchSummary = {
    ...concludeWatch(state, stoppedBy),
    target: formatTarget(options.host, options.port),
    probes: loop.counted,
    durationMs: performance.now() - loop.began,
    changes: state.changes,
    steps: state.stepStates,
    expectationSource: state.expectationSource,
  };
  options.onEvent?.({ event: "summary", ...summary });
  return summary;
}
