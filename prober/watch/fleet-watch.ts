import {
  type Endpoint,
  type EndpointFollower,
  endpointChanges,
  endpointKey,
  endpointName,
} from "../endpoints/index.js";
import type { Expectation } from "../expectations/index.js";
import type { ProbeOutcome } from "../probe-outcome.js";
import { endpointConfidence, judgeFleet, type Verdict } from "../statistics/index.js";
import { type StepReach, stepsReached } from "./fleet-rollout.js";
import { resolveWatchOptions, runWatch, WATCH_DEFAULTS, type WatchOptions } from "./split-watch.js";
import type { WatchEvent, WatchSummary } from "./watch-machine.js";

/** A watch of every endpoint of a fleet: the watch's options, with the endpoints instead of one target. */
export interface FleetWatchOptions extends Omit<WatchOptions, "host" | "port" | "probe" | "onEvent"> {
  endpoints: Endpoint[];
  /** Called once at the start; hands on the fleet's endpoints whenever they are read again. */
  followEndpoints?: EndpointFollower | undefined;
  probe?: ((endpoint: Endpoint, id: string, signal: AbortSignal) => Promise<ProbeOutcome>) | undefined;
  /** Every endpoint's events as they happen, each with the endpoint's name; the fleet's summary last. */
  onEvent?: ((event: FleetWatchEvent) => void) | undefined;
}

/** An endpoint's own event, named; or the fleet's summary. */
export type FleetWatchEvent =
  | (WatchEvent & { endpoint: string })
  | ({ event: "fleet-summary" } & FleetWatchSummary);

export interface FleetWatchSummary {
  verdict: Verdict;
  reason: string;
  /** Each endpoint's own summary, with its name and when it left the fleet (null if it stayed). */
  endpoints: (WatchSummary & { endpoint: string; goneAtMs: number | null })[];
  /** Each step: how many replicas took it, when the first and the last did, which never did. */
  steps: StepReach[];
  appeared: { target: string; pod: string | null; atMs: number }[];
  endpointConfidence: number;
  durationMs: number;
}

/**
 * Watches each endpoint of a fleet on its own, all at once, under one rate (shared out evenly): each
 * endpoint's events as they come, then when each step reached every replica. The fleet's verdict is
 * judgeFleet's over the endpoints' (each at 1 - alpha / k); one endpoint's FAIL stops the others.
 */
export async function runFleetWatch(options: FleetWatchOptions): Promise<FleetWatchSummary> {
  const { endpoints, followEndpoints, probe, onEvent, ...watch } = options;
  const k = Math.max(1, endpoints.length);
  const began = performance.now();
  const rate = (watch.rate ?? WATCH_DEFAULTS.rate) / k;
  const shared: WatchOptions = {
    ...watch,
    host: "fleet",
    port: 1,
    confidence: endpointConfidence(watch.confidence ?? WATCH_DEFAULTS.confidence, k),
    rate,
    concurrency: Math.max(1, Math.ceil((watch.concurrency ?? WATCH_DEFAULTS.concurrency) / k)),
  };
  resolveWatchOptions(shared);
  const stops = endpoints.map(() => new AbortController());
  const gone = new Map<string, number>();
  const appeared: FleetWatchSummary["appeared"] = [];
  const following = new AbortController();
  const listeners: ((expected: Expectation, description: string) => void)[] = [];
  watch.followExpectation?.((expected, description) => {
    for (const listener of listeners) listener(expected, description);
  }, following.signal);
  followEndpoints?.((next) => {
    const changes = endpointChanges(endpoints, next);
    const atMs = performance.now() - began;
    for (const e of changes.appeared) {
      if (!appeared.some((a) => a.target === endpointKey(e)))
        appeared.push({ target: endpointKey(e), pod: e.pod ?? null, atMs });
    }
    endpoints.forEach((e, i) => {
      if (!gone.has(endpointKey(e)) && changes.gone.some((g) => endpointKey(g) === endpointKey(e))) {
        gone.set(endpointKey(e), atMs);
        stops[i]?.abort();
      }
    });
  }, following.signal);
  const stopAll = () => {
    for (const stop of stops) stop.abort();
  };
  watch.signal?.addEventListener("abort", stopAll, { once: true });
  if (watch.signal?.aborted) stopAll();
  const summaries = await Promise.all(
    endpoints.map(async (endpoint, i) => {
      const name = endpointName(endpoint);
      const summary = await runWatch({
        ...shared,
        host: endpoint.host,
        port: endpoint.port,
        signal: stops[i]?.signal,
        followExpectation: watch.followExpectation && ((update) => listeners.push(update)),
        probe: probe && ((id, signal) => probe(endpoint, id, signal)),
        onEvent: (event) => onEvent?.({ ...event, endpoint: name }),
      });
      if (summary.verdict === "FAIL" || summary.verdict === "ERROR") stopAll();
      return { ...summary, endpoint: name, goneAtMs: gone.get(endpointKey(endpoint)) ?? null };
    }),
  );
  following.abort();
  watch.signal?.removeEventListener("abort", stopAll);
  const judgement = judgeFleet(
    summaries.map((s) => ({
      name: s.endpoint,
      verdict: s.verdict,
      reason: s.reason,
      present: s.goneAtMs === null,
    })),
    appeared.map((a) => (a.pod ? `${a.target} (${a.pod})` : a.target)),
  );
  const summary: FleetWatchSummary = {
    verdict: judgement.verdict,
    reason: judgement.reason,
    endpoints: summaries,
    steps: stepsReached(summaries.map((s) => ({ name: s.endpoint, steps: s.steps }))),
    appeared,
    endpointConfidence: shared.confidence as number,
    durationMs: performance.now() - began,
  };
  onEvent?.({ event: "fleet-summary", ...summary });
  return summary;
}
