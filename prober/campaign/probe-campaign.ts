import type { ClusterSource } from "../expectations/index.js";
import type { ProbeOutcome } from "../probe-outcome.js";
import { formatTarget, ProbeLoop, TcpProber } from "../probing/index.js";
import {
  type Interval,
  isCheckpoint,
  METHOD,
  probesToSettle,
  type Segment,
  SegmentedSplitTest,
  type SplitJudgement,
  splitBounds,
  type Verdict,
  type VersionEvidence,
} from "../statistics/index.js";
import {
  type CampaignOptions,
  type CampaignProgress,
  type ResolvedCampaignOptions,
  resolveCampaignOptions,
} from "./campaign-options.js";

export type StopReason = "settled" | "max-probes" | "duration" | "changed" | "interrupted";

export interface LatencySummary {
  p50: number;
  p99: number;
}

/** A segment as reported: where it began and what it showed. */
export interface SegmentReport {
  startProbe: number;
  startMs: number;
  probes: number;
  counts: Record<string, number>;
  verdict: Verdict;
  endedBy: "change" | "contradiction" | "expectation" | null;
  changeAtProbe: number | null;
  changeAtMs: number | null;
}

/** One checkpoint of a traced campaign: the current segment's shares and bounds. */
export interface TracePoint {
  probes: number;
  atMs: number;
  segment: number;
  shares: Record<string, number>;
  bounds: Record<string, Interval>;
}

/** Everything the CLI prints, as data; documented field by field in docs/prober.md. */
export interface CampaignReport {
  verdict: Verdict;
  reason: string;
  target: string;
  method: string;
  confidence: number;
  tolerance: number;
  expected: Record<string, number>;
  counts: Record<string, number>;
  shares: Record<string, number>;
  intervals: Record<string, Interval>;
  latencyMs: Record<string, LatencySummary>;
  unexpected: Record<string, number>;
  errors: Record<string, number>;
  probes: number;
  durationMs: number;
  probesPerSecond: number;
  stoppedBy: StopReason;
  goodnessOfFit: { method: string; statistic: number; degreesOfFreedom: number; pValue: number } | null;
  pValue: number | null;
  /** For INCONCLUSIVE: about how many probes in all would settle it if the observed shares held. */
  probesToSettle: number | null;
  /** With --lines-per-connection > 1: connections whose lines all reached one version. */
  stickiness: { connections: number; sameVersion: number } | null;
  /** The stretches of the run over which the split was taken as fixed; the verdict rests on the last. */
  segments: SegmentReport[];
  /** When the split the verdict rests on was first seen, in ms since the start: null if it held from the start. */
  convergedAfterMs: number | null;
  /** The same as a probe number. */
  convergedAfterProbes: number | null;
  /** With `trace`: the shares and bounds at every checkpoint; else null. */
  trace: TracePoint[] | null;
  /** With `--expect-from KIND/NAME`: the object and the resourceVersion verified; else null. */
  expectedFrom: ClusterSource | null;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/**
 * Runs probes against the target until the verdict settles or a budget (probes, time) runs out, and
 * returns the report. Outcomes are judged in the order their probes started, and the verdict may be
 * checked after every one without inflating its error rates: the tests behind it hold at every probe
 * count at once. Throws ProberOptionError for an option out of range.
 */
export async function runProbeCampaign(campaignOptions: CampaignOptions): Promise<CampaignReport> {
  const options = resolveCampaignOptions(campaignOptions);
  const test = new SegmentedSplitTest(options, options.followChanges);
  const latencies = new Map<string, number[]>();
  const stickiness = { connections: 0, sameVersion: 0 };
  let failed = 0;
  let stoppedBy: StopReason | undefined;
  const trace: TracePoint[] = [];

  const count = (outcome: ProbeOutcome, startedMs: number) => {
    test.record(outcome, startedMs);
    // The trace's points are sparser than the checks: bounds cost a bisection each.
    if (options.trace && isCheckpoint(loop.counted, 100)) {
      const { judgement, alpha } = test.current;
      trace.push({
        probes: loop.counted,
        atMs: startedMs,
        segment: test.segments.length - 1,
        shares: Object.fromEntries(judgement.versions.map((v) => [v.label, v.observedShare])),
        bounds: splitBounds(judgement, options, alpha),
      });
    }
    if (outcome.kind === "error") failed += 1;
    else {
      const list = latencies.get(outcome.prefix) ?? [];
      if (list.length === 0) latencies.set(outcome.prefix, list);
      list.push(outcome.latencyMs);
      if (options.linesPerConnection > 1) {
        stickiness.connections += 1;
        if (outcome.sameVersion) stickiness.sameVersion += 1;
      }
    }
    options.onProgress?.({
      probes: loop.counted,
      maxProbes: options.maxProbes,
      counts: test.current.observation.counts,
      failedProbes: failed,
    } satisfies CampaignProgress);
    if (stoppedBy !== undefined) return;
    if (test.changed) stop("changed");
    else if (options.stopWhenSettled && test.decided) stop("settled");
    else if (loop.counted >= options.maxProbes) stop("max-probes");
  };
  const loop: ProbeLoop = new ProbeLoop({
    probe: options.probe ?? ((id) => prober.probe(id)),
    concurrency: options.concurrency,
    rate: options.rate,
    maxProbes: options.maxProbes,
    onOutcome: count,
  });
  const prober = new TcpProber(options);
  loop.signal.addEventListener("abort", () => prober.abortAll(), { once: true });

  // A settled verdict stops new probes but lets those in flight finish and count: dropping them would
  // drop exactly the slow ones (a backend that hangs), biasing the shares. Other stops abort them.
  const stop = (reason: StopReason) => {
    stoppedBy ??= reason;
    loop.stop(reason !== "settled");
  };
  const onInterrupt = () => stop("interrupted");
  options.signal?.addEventListener("abort", onInterrupt, { once: true });
  if (options.signal?.aborted) stop("interrupted");
  const deadline = setTimeout(() => stop("duration"), options.durationMs);
  const following = new AbortController();
  let expectedFrom = options.expectedFrom;
  options.followExpectation?.((expected, source) => {
    expectedFrom = source;
    test.expect(expected);
  }, following.signal);
  await loop.run();
  following.abort();
  clearTimeout(deadline);
  options.signal?.removeEventListener("abort", onInterrupt);
  return buildReport({ ...options, expected: test.expected, expectedFrom }, test, {
    durationMs: performance.now() - loop.began,
    stoppedBy: stoppedBy ?? "max-probes",
    latencies,
    stickiness,
    probes: loop.counted,
    trace: options.trace ? trace : null,
  });
}

function finalReason(
  judgement: SplitJudgement,
  test: SegmentedSplitTest,
  stoppedBy: StopReason,
  options: ResolvedCampaignOptions,
): [Verdict, string] {
  const { verdict, reason } = judgement;
  if (test.changed) {
    const at = `${(test.changed.atMs / 1000).toFixed(1)} s`;
    return [
      "INCONCLUSIVE",
      `the split changed during the run (near probe ${test.changed.atProbe}, ${at} after the start): probe again, or follow the change (--wait)`,
    ];
  }
  if (judgement.contradicted) {
    return [verdict, `${reason}; later evidence contradicts it: the split may have moved during the run`];
  }
  if (verdict === "FAIL" && options.followChanges && stoppedBy !== "settled") {
    return ["FAIL", `still outside the band when the wait ended: ${reason}`];
  }
  if (verdict !== "INCONCLUSIVE" || judgement.probes === 0) return [verdict, reason];
  if (stoppedBy === "interrupted") return [verdict, `interrupted: ${reason}`];
  return [verdict, `${stoppedBy === "duration" ? "time" : "probe"} budget spent, ${reason}`];
}

function segmentReport(segment: Segment): SegmentReport {
  return {
    startProbe: segment.startProbe,
    startMs: segment.startMs,
    probes: segment.judgement.probes,
    counts: { ...segment.observation.counts },
    verdict: segment.judgement.verdict,
    endedBy: segment.endedBy ?? null,
    changeAtProbe: segment.changeAtProbe ?? null,
    changeAtMs: segment.changeAtMs ?? null,
  };
}

/** p50 and p99 of each prefix's latencies (sorted in place). */
function latencySummaries(latencies: Map<string, number[]>): Record<string, LatencySummary> {
  // fromEntries makes own keys of every prefix, `__proto__` included (an assignment would set the prototype).
  return Object.fromEntries(
    [...latencies].map(([label, list]) => {
      list.sort((a, b) => a - b);
      return [label, { p50: percentile(list, 0.5), p99: percentile(list, 0.99) }];
    }),
  );
}

function buildReport(
  options: ResolvedCampaignOptions,
  test: SegmentedSplitTest,
  run: {
    durationMs: number;
    stoppedBy: StopReason;
    latencies: Map<string, number[]>;
    stickiness: { connections: number; sameVersion: number };
    probes: number;
    trace: TracePoint[] | null;
  },
): CampaignReport {
  const judgement = test.judge();
  const { observation, alpha } = test.current;
  const fit = judgement.goodnessOfFit;
  const byLabel = <T>(pick: (version: VersionEvidence) => T) =>
    Object.fromEntries(judgement.versions.map((v) => [v.label, pick(v)])) as Record<string, T>;
  const [verdict, reason] = finalReason(judgement, test, run.stoppedBy, options);
  const settleAt = verdict === "INCONCLUSIVE" ? probesToSettle(observation, options) : undefined;
  // The split the verdict rests on began at the change that opened its segment, or at the segment's start.
  const current = test.current;
  const began =
    test.segments.length === 1
      ? undefined
      : { ms: current.changeAtMs ?? current.startMs, probe: current.changeAtProbe ?? current.startProbe };
  return {
    verdict,
    reason,
    target: formatTarget(options.host, options.port),
    method: METHOD,
    confidence: options.confidence,
    tolerance: options.tolerance,
    expected: byLabel((v) => v.expectedShare),
    counts: { ...observation.counts },
    shares: byLabel((v) => v.observedShare),
    intervals: splitBounds(judgement, options, alpha),
    latencyMs: latencySummaries(run.latencies),
    unexpected: { ...observation.unexpected },
    errors: { ...observation.errors },
    probes: run.probes,
    durationMs: run.durationMs,
    probesPerSecond: run.durationMs > 0 ? (run.probes * 1000) / run.durationMs : 0,
    stoppedBy: run.stoppedBy,
    goodnessOfFit: fit ? { ...fit } : null,
    pValue: fit ? fit.pValue : null,
    probesToSettle: settleAt ?? null,
    stickiness: options.linesPerConnection > 1 ? run.stickiness : null,
    segments: test.segments.map(segmentReport),
    convergedAfterMs: began?.ms ?? null,
    convergedAfterProbes: began?.probe ?? null,
    trace: run.trace,
    expectedFrom: options.expectedFrom ?? null,
  };
}
