import { resolveCampaignOptions } from "../campaign/index.js";
import { ProberOptionError } from "../errors.js";
import { type Expectation, expectationFromWeights } from "../expectations/index.js";
import type { ProbeOutcome } from "../probe-outcome.js";
import { formatTarget, type ProbeFunction, ProbeLoop, TcpProber } from "../probing/index.js";
import {
  ChangeDetector,
  DEFAULT_CHANGE_DETECTOR,
  type Interval,
  isCheckpoint,
  judgeSplit,
  SegmentHalves,
  type SplitJudgement,
  type SplitObservation,
  splitBounds,
  type Verdict,
} from "../statistics/index.js";

export interface WatchOptions {
  host: string;
  port: number;
  /** The splits the gateway should pass through, in order; one for a split that should hold still. */
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
  confidence: 0.99,
  tolerance: 0.05,
  maxErrorRate: 0.01,
  rate: 150,
  concurrency: 16,
  intervalMs: 1000,
  persistMs: 3000,
  connectTimeoutMs: 2000,
  timeoutMs: 2000,
} as const;

/** The shares of one stretch of probes, by version label. */
export type Shares = Record<string, number>;

export type WatchEvent =
  | {
      event: "window";
      atMs: number;
      /** Probes counted in this window, and failed among them. */
      probes: number;
      failed: number;
      shares: Shares;
      /** The split since the last change: its start, probes, shares and each share's bounds. */
      segment: { startMs: number; probes: number; shares: Shares; intervals: Record<string, Interval> };
    }
  | { event: "change"; atMs: number; detectedAtMs: number; before: Shares; after: Shares }
  | { event: "step"; atMs: number; step: number; split: string; missed: string[] }
  | { event: "expected"; atMs: number; split: string; source: string }
  | ({ event: "summary" } & WatchSummary);

export interface WatchSummary {
  verdict: Verdict;
  reason: string;
  target: string;
  probes: number;
  durationMs: number;
  changes: number;
  /** With several steps: each step's split and when it was PASSed (null: not seen, or missed). */
  steps: { split: string; passedAtMs: number | null; missed: boolean }[];
  stoppedBy: "steps" | "no-step" | "errors" | "duration" | "interrupted";
  /** Where the split judged last came from, when it was read from a cluster object; else null. */
  expectationSource: string | null;
}

const describeSplit = (expectation: Expectation) => expectation.weights.join(":");
const sharesOf = (labels: string[], counts: number[]): Shares => {
  const total = labels.reduce((sum, _, i) => sum + (counts[i] ?? 0), 0);
  return Object.fromEntries(labels.map((label, i) => [label, total === 0 ? 0 : (counts[i] ?? 0) / total]));
};

/** Every step over the same labels (the union, in order of first use), missing ones at weight 0. */
function alignSteps(steps: Expectation[]): { labels: string[]; steps: Expectation[] } {
  const labels = [...new Set(steps.flatMap((step) => step.labels))];
  return {
    labels,
    steps: steps.map((step) =>
      expectationFromWeights(
        labels.map((label) => [label, step.weights[step.labels.indexOf(label)] ?? 0]),
        describeSplit(step),
      ),
    ),
  };
}

/**
 * Watches a split continuously at a polite rate: reports each interval's shares, announces each change
 * of the split (ChangeDetector: a generalized likelihood ratio over recent change points), and, given
 * several steps, checks that the split passes through them in order, each PASSed by the campaign's own
 * test on the probes since the last change. Segment k of the watch spends alpha / 2^k, shared among the
 * steps it is tested against; a change restarts the evidence at the moment it is detected.
 */
type ResolvedWatchOptions = WatchOptions & Record<keyof typeof WATCH_DEFAULTS, number>;

/** The options with their defaults, each checked; throws ProberOptionError naming the option. */
export function resolveWatchOptions(watchOptions: WatchOptions): ResolvedWatchOptions {
  const options = { ...WATCH_DEFAULTS, ...withoutUndefined(watchOptions) } as ResolvedWatchOptions;
  const [first] = options.steps;
  if (first === undefined) throw new ProberOptionError("steps", "must hold at least one split");
  if (!(options.intervalMs > 0)) throw new ProberOptionError("intervalMs", "must be a number > 0");
  if (!(options.persistMs >= 0)) throw new ProberOptionError("persistMs", "must be a number >= 0");
  if (options.followExpectation && options.steps.length > 1) {
    throw new ProberOptionError("followExpectation", "follows one expected split, not steps");
  }
  // The options it shares with a campaign are checked by the same rules.
  resolveCampaignOptions({ ...options, expected: first, followExpectation: undefined });
  return options;
}

export async function runWatch(watchOptions: WatchOptions): Promise<WatchSummary> {
  const options = resolveWatchOptions(watchOptions);
  let { labels, steps } = alignSteps(options.steps);
  const several = steps.length > 1;
  const criteria = (expected: Expectation) => ({
    expected,
    confidence: options.confidence,
    tolerance: options.tolerance,
    maxErrorRate: options.maxErrorRate,
  });
  const emit = (event: WatchEvent) => options.onEvent?.(event);
  const stepStates = steps.map((step) => ({
    split: describeSplit(step),
    passedAtMs: null as number | null,
    missed: false,
  }));
  let next = 0;
  let changes = 0;
  let segmentIndex = 1;
  let stoppedBy: WatchSummary["stoppedBy"] | undefined;
  let final: { verdict: Verdict; reason: string } | undefined;
  let lastStartedMs = 0;

  const newObservation = (): SplitObservation => ({
    counts: Object.fromEntries(labels.map((label) => [label, 0])),
    unexpected: {},
    errors: {},
  });
  const newSegment = (startMs: number) => ({
    startMs,
    probes: 0,
    observation: newObservation(),
    judgements: new Map<number, SplitJudgement>(),
    halves: new SegmentHalves(),
    noStepSinceMs: undefined as number | undefined,
  });
  let segment = newSegment(0);

  const newDetector = () => new ChangeDetector({ ...DEFAULT_CHANGE_DETECTOR, categories: labels.length + 1 });
  let detector = newDetector();
  let boundaryTimes = new Map<number, number>();
  let window = { probes: 0, failed: 0, counts: labels.map(() => 0) };

  const finish = (reason: WatchSummary["stoppedBy"], verdict?: Verdict, why?: string) => {
    stoppedBy ??= reason;
    if (verdict && why && final === undefined) final = { verdict, reason: why };
    loop.stop(true);
  };
  /** Steps the current segment may still be shown to be: the one last seen (still holding) onward. */
  const candidates = () => {
    const from = several ? Math.max(0, next - 1) : 0;
    return steps.map((_, i) => i).filter((i) => i >= from);
  };
  const judgeSegment = () => {
    const tested = candidates();
    const alpha = (1 - options.confidence) / 2 ** segmentIndex / tested.length;
    // A reload passes through a blend of old and new workers: neither a PASS nor a "no step" FAIL while
    // the segment's halves disagree.
    const unsteady = segment.halves.differAt(labels.map((label) => segment.observation.counts[label] ?? 0));
    for (const i of tested) {
      const previous = segment.judgements.get(i);
      segment.judgements.set(
        i,
        judgeSplit(segment.observation, criteria(steps[i] as Expectation), { previous, alpha, unsteady }),
      );
    }
    const judged = tested.map((i) => [i, segment.judgements.get(i) as SplitJudgement] as const);
    const errors = judged.find(([, j]) => j.errorsShownAbove);
    if (errors) {
      finish("errors", "ERROR", errors[1].reason);
      return;
    }
    if (!several) return;
    const passed = judged.find(([i, j]) => i >= next && j.verdict === "PASS");
    if (passed) {
      const [i] = passed;
      const missed = stepStates.slice(next, i).map((state) => state.split);
      for (const state of stepStates.slice(next, i)) state.missed = true;
      (stepStates[i] as (typeof stepStates)[number]).passedAtMs = lastStartedMs;
      emit({ event: "step", atMs: lastStartedMs, step: i, split: stepStates[i]?.split ?? "", missed });
      next = i + 1;
      if (next === steps.length) {
        const skipped = stepStates.filter((state) => state.missed).map((state) => state.split);
        if (skipped.length > 0)
          finish("steps", "FAIL", `every step after ${skipped.join(", ")} was seen, but not these`);
        else
          finish(
            "steps",
            "PASS",
            `the split passed through every step in order: ${stepStates.map((s) => s.split).join(" → ")}`,
          );
      }
      return;
    }
    const matchesNone = !unsteady && judged.every(([, j]) => j.verdict === "FAIL" && !j.contradicted);
    // A reload's blend of old and new workers can look like no step for a moment: only one that holds
    // for persistMs with no change detected counts.
    segment.noStepSinceMs = matchesNone ? (segment.noStepSinceMs ?? lastStartedMs) : undefined;
    if (matchesNone && lastStartedMs - (segment.noStepSinceMs as number) >= options.persistMs) {
      const shares = sharesOf(
        labels,
        labels.map((label) => segment.observation.counts[label] ?? 0),
      );
      const seen = labels.map((label) => `${label} ${((shares[label] ?? 0) * 100).toFixed(1)}%`).join(", ");
      finish(
        "no-step",
        "FAIL",
        `the split holds at ${seen}, which matches no remaining step (${tested.map((i) => stepStates[i]?.split).join(", ")})`,
      );
    }
  };

  const record = (outcome: ProbeOutcome, startedMs: number) => {
    lastStartedMs = startedMs;
    const { observation } = segment;
    let category = labels.length;
    window.probes += 1;
    if (outcome.kind === "error") {
      observation.errors[outcome.error] = (observation.errors[outcome.error] ?? 0) + 1;
      window.failed += 1;
    } else if (outcome.prefix in observation.counts) {
      category = labels.indexOf(outcome.prefix);
      observation.counts[outcome.prefix] = (observation.counts[outcome.prefix] as number) + 1;
      window.counts[category] = (window.counts[category] as number) + 1;
    } else {
      observation.unexpected[outcome.prefix] = (observation.unexpected[outcome.prefix] ?? 0) + 1;
    }
    const index = segment.probes;
    segment.probes += 1;
    if (index % DEFAULT_CHANGE_DETECTOR.blockSize === 0) {
      boundaryTimes.set(index, startedMs);
      boundaryTimes.delete(
        index - (DEFAULT_CHANGE_DETECTOR.candidates + 1) * DEFAULT_CHANGE_DETECTOR.blockSize,
      );
    }
    const change = detector.add(category);
    if (change) {
      changes += 1;
      emit({
        event: "change",
        atMs: boundaryTimes.get(change.before) ?? startedMs,
        detectedAtMs: startedMs,
        before: sharesOf(labels, change.beforeCounts),
        after: sharesOf(labels, change.afterCounts),
      });
      restart(startedMs);
      return;
    }
    if (isCheckpoint(segment.probes)) judgeSegment();
  };
  /** A new segment from now: after a change of the split, or of what is expected of it. */
  const restart = (atMs: number) => {
    segmentIndex += 1;
    segment = newSegment(atMs);
    detector = newDetector();
    boundaryTimes = new Map();
  };

  const prober = new TcpProber({ ...options, linesPerConnection: 1 });
  const loop: ProbeLoop = new ProbeLoop({
    probe: options.probe ?? ((id) => prober.probe(id)),
    concurrency: options.concurrency,
    rate: options.rate,
    maxProbes: Number.MAX_SAFE_INTEGER,
    onOutcome: record,
  });
  loop.signal.addEventListener("abort", () => prober.abortAll(), { once: true });

  const reference = () => steps[several ? Math.max(0, next - 1) : 0] as Expectation;
  const report = () => {
    if (window.probes === 0 && stoppedBy !== undefined) return;
    const judgement = judgeSplit(segment.observation, criteria(reference()));
    emit({
      event: "window",
      atMs: performance.now() - loop.began,
      probes: window.probes,
      failed: window.failed,
      shares: sharesOf(labels, window.counts),
      segment: {
        startMs: segment.startMs,
        probes: segment.probes,
        shares: sharesOf(
          labels,
          labels.map((label) => segment.observation.counts[label] ?? 0),
        ),
        intervals: splitBounds(judgement, criteria(reference())),
      },
    });
    window = { probes: 0, failed: 0, counts: labels.map(() => 0) };
  };
  const ticker = setInterval(report, options.intervalMs);
  const following = new AbortController();
  let expectationSource = options.expectationSource ?? null;
  options.followExpectation?.((expected, description) => {
    expectationSource = description;
    ({ labels, steps } = alignSteps([expected]));
    stepStates.splice(0, stepStates.length, {
      split: describeSplit(expected),
      passedAtMs: null,
      missed: false,
    });
    window = { probes: 0, failed: 0, counts: labels.map(() => 0) };
    restart(lastStartedMs);
    emit({ event: "expected", atMs: lastStartedMs, split: describeSplit(expected), source: description });
  }, following.signal);
  const onInterrupt = () => finish("interrupted");
  options.signal?.addEventListener("abort", onInterrupt, { once: true });
  if (options.signal?.aborted) finish("interrupted");
  const deadline =
    options.durationMs === undefined ? undefined : setTimeout(() => finish("duration"), options.durationMs);
  await loop.run();
  following.abort();
  clearInterval(ticker);
  clearTimeout(deadline);
  options.signal?.removeEventListener("abort", onInterrupt);
  report();

  if (final === undefined) {
    if (several) {
      const pending = stepStates
        .filter((state) => state.passedAtMs === null && !state.missed)
        .map((s) => s.split);
      final = {
        verdict: "INCONCLUSIVE",
        reason: `${stoppedBy === "interrupted" ? "interrupted" : "time budget spent"} before every step was seen; not yet: ${pending.join(", ")}`,
      };
    } else {
      const judgement = judgeSplit(segment.observation, criteria(reference()), {
        previous: segment.judgements.get(0),
      });
      const since = changes === 0 ? "since the start" : "since the last change";
      final = { verdict: judgement.verdict, reason: `${since}: ${judgement.reason}` };
    }
  }
  const summary: WatchSummary = {
    ...final,
    target: formatTarget(options.host, options.port),
    probes: loop.counted,
    durationMs: performance.now() - loop.began,
    changes,
    steps: stepStates,
    stoppedBy: stoppedBy ?? "duration",
    expectationSource,
  };
  emit({ event: "summary", ...summary });
  return summary;
}

function withoutUndefined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T;
}
