import { randomBytes } from "node:crypto";
import type { Interval } from "./confidence-sequence.js";
import {
  judgeSplit,
  METHOD,
  probesToSettle,
  type SplitCriteria,
  type SplitJudgement,
  type SplitObservation,
  type Verdict,
  type VersionEvidence,
} from "./split-verdict.js";
import { type ProbeOutcome, TcpProber } from "./tcp-probe.js";

export interface CampaignOptions extends SplitCriteria {
  host: string;
  port: number;
  /** Probes in flight at once. */
  concurrency: number;
  /** Probe budget: the campaign ends INCONCLUSIVE if it has not settled by then. */
  maxProbes: number;
  /** Time budget in milliseconds. */
  durationMs: number;
  /** Cap on probes started per second; undefined for no cap. */
  rate?: number | undefined;
  connectTimeoutMs: number;
  timeoutMs: number;
  linesPerConnection: number;
  /** Stop as soon as the verdict is settled (the default); false spends the whole budget. */
  stopWhenSettled: boolean;
  /** Replaces the TCP probe, e.g. with a seeded simulation; gets the probe's id and an abort signal. */
  probe?: ((id: string, signal: AbortSignal) => Promise<ProbeOutcome>) | undefined;
  /** Called after every finished probe with the running totals. */
  onProgress?: ((progress: CampaignProgress) => void) | undefined;
}

export interface CampaignProgress {
  probes: number;
  maxProbes: number;
  counts: Record<string, number>;
  failedProbes: number;
}

export type StopReason = "settled" | "max-probes" | "duration" | "errors" | "interrupted";

export interface LatencySummary {
  p50: number;
  p99: number;
}

/** Everything the CLI prints, as data; documented field by field in the README. */
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
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** True at the probe counts where the verdict is re-checked: every probe up to 100, then about every 1%. */
export function isCheckpoint(probes: number): boolean {
  return probes <= 100 || probes % Math.ceil(probes / 100) === 0;
}

/** Real probes over TCP; all in flight end at once when the campaign aborts. */
function tcpProbes(options: CampaignOptions, abort: AbortSignal): (id: string) => Promise<ProbeOutcome> {
  const prober = new TcpProber(options);
  abort.addEventListener("abort", () => prober.abortAll(), { once: true });
  return (id) => prober.probe(id);
}

/**
 * Runs probes against the target until the verdict settles or a budget (probes, time) runs out, and
 * returns the report. Checking the verdict as probes arrive keeps its error rates: the confidence
 * sequences behind it hold at every probe count at once.
 */
export async function runProbeCampaign(
  options: CampaignOptions,
  interrupt?: AbortSignal,
): Promise<CampaignReport> {
  const runId = randomBytes(4).toString("hex");
  const observation: SplitObservation = { counts: {}, unexpected: {}, errors: {} };
  for (const label of options.expected.labels) observation.counts[label] = 0;
  const latencies = new Map<string, number[]>();
  const stickiness = { connections: 0, sameVersion: 0 };
  const controller = new AbortController();
  const started = performance.now();
  let startedProbes = 0;
  let finished = 0;
  let failed = 0;
  let replies = 0;
  let stoppedBy: StopReason | undefined;
  let judged: SplitJudgement | undefined;

  // A settled verdict stops new probes but lets those in flight finish and count: dropping them would
  // drop exactly the slow ones (a backend that hangs), biasing the shares. Other stops abort them.
  const stop = (reason: StopReason) => {
    stoppedBy ??= reason;
    if (reason !== "settled") controller.abort();
  };
  const onInterrupt = () => stop("interrupted");
  interrupt?.addEventListener("abort", onInterrupt, { once: true });
  const deadline = setTimeout(() => stop("duration"), options.durationMs);
  const probe = options.probe ?? tcpProbes(options, controller.signal);

  const record = (outcome: ProbeOutcome) => {
    finished += 1;
    if (outcome.kind === "error") {
      failed += 1;
      observation.errors[outcome.error] = (observation.errors[outcome.error] ?? 0) + 1;
    } else {
      const known = outcome.prefix in observation.counts;
      const bucket = known ? observation.counts : observation.unexpected;
      bucket[outcome.prefix] = (bucket[outcome.prefix] ?? 0) + 1;
      if (known) replies += 1;
      const list = latencies.get(outcome.prefix) ?? [];
      if (list.length === 0) latencies.set(outcome.prefix, list);
      list.push(outcome.latencyMs);
      if (options.linesPerConnection > 1) {
        stickiness.connections += 1;
        if (outcome.sameVersion) stickiness.sameVersion += 1;
      }
    }
    options.onProgress?.({
      probes: finished,
      maxProbes: options.maxProbes,
      counts: observation.counts,
      failedProbes: failed,
    });
    if (stoppedBy !== undefined) return;
    if (failed > options.maxErrorRate * options.maxProbes || (failed >= 10 && replies === 0)) stop("errors");
    else if (isCheckpoint(finished)) {
      judged = judgeSplit(observation, options, judged);
      if (options.stopWhenSettled && judged.settled) stop("settled");
    }
    if (finished >= options.maxProbes) stop("max-probes");
  };

  const worker = async () => {
    while (stoppedBy === undefined && startedProbes < options.maxProbes) {
      const sequence = startedProbes++;
      if (options.rate !== undefined) {
        const due = started + (sequence * 1000) / options.rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (stoppedBy !== undefined) break;
      }
      const outcome = await probe(`probe run=${runId} seq=${sequence} t=${Date.now()}`, controller.signal);
      // Probes cut short by an abort (time budget, interrupt, too many errors) are not counted.
      if (!controller.signal.aborted) record(outcome);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(options.concurrency, options.maxProbes)) }, worker),
  );
  clearTimeout(deadline);
  interrupt?.removeEventListener("abort", onInterrupt);

  const durationMs = performance.now() - started;
  const judgement = judgeSplit(observation, options, judged);
  const fit = judgement.goodnessOfFit;
  const byLabel = <T>(pick: (version: VersionEvidence) => T) =>
    Object.fromEntries(judgement.versions.map((v) => [v.label, pick(v)])) as Record<string, T>;
  const latencyMs: Record<string, LatencySummary> = {};
  for (const [label, list] of latencies) {
    list.sort((a, b) => a - b);
    latencyMs[label] = { p50: percentile(list, 0.5), p99: percentile(list, 0.99) };
  }
  let { verdict, reason } = judgement;
  if (stoppedBy === "interrupted" && verdict === "INCONCLUSIVE") reason = `interrupted: ${reason}`;
  if (verdict === "INCONCLUSIVE" && judgement.probes > 0 && stoppedBy !== "interrupted") {
    reason = `${stoppedBy === "duration" ? "time" : "probe"} budget spent, ${reason}`;
  }
  const settleAt = verdict === "INCONCLUSIVE" ? probesToSettle(observation, options) : undefined;
  return {
    verdict,
    reason,
    target: `${options.host}:${options.port}`,
    method: METHOD,
    confidence: options.confidence,
    tolerance: options.tolerance,
    expected: byLabel((v) => v.expectedShare),
    counts: { ...observation.counts },
    shares: byLabel((v) => v.observedShare),
    intervals: byLabel((v) => v.interval),
    latencyMs,
    unexpected: observation.unexpected,
    errors: observation.errors,
    probes: judgement.probes,
    durationMs,
    probesPerSecond: durationMs > 0 ? (judgement.probes * 1000) / durationMs : 0,
    stoppedBy: stoppedBy ?? "max-probes",
    goodnessOfFit: fit ? { ...fit } : null,
    pValue: fit ? fit.pValue : null,
    probesToSettle: settleAt ?? null,
    stickiness: options.linesPerConnection > 1 ? stickiness : null,
  };
}
