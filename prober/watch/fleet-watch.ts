import { judgeMembers } from "../campaign/index.js";
import {
  type Endpoint,
  type EndpointFollower,
  endpointName,
  fanOut,
  runFleet,
  shareOut,
} from "../endpoints/index.js";
import type { ProbeOutcome } from "../probe-outcome.js";
import { endpointConfidence, type Verdict } from "../statistics/index.js";
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
  const shared: WatchOptions = {
    ...watch,
    host: "fleet",
    port: 1,
    confidence: endpointConfidence(watch.confidence ?? WATCH_DEFAULTS.confidence, k),
    ...shareOut(k, watch.rate ?? WATCH_DEFAULTS.rate, watch.concurrency ?? WATCH_DEFAULTS.concurrency),
  };
  resolveWatchOptions(shared);
  const following = new AbortController();
  const expectation = fanOut(watch.followExpectation, following.signal);
  const fleet = await runFleet({
    endpoints,
    followEndpoints,
    signal: watch.signal,
    run: (endpoint, stop) =>
      runWatch({
        ...shared,
        host: endpoint.host,
        port: endpoint.port,
        signal: stop,
        followExpectation: expectation && ((update) => expectation(update)),
        probe: probe && ((id, signal) => probe(endpoint, id, signal)),
        onEvent: (event) => onEvent?.({ ...event, endpoint: endpointName(endpoint) }),
      }),
    decides: ({ verdict }) => verdict === "FAIL" || verdict === "ERROR",
  });
  following.abort();
  const summaries = fleet.members.map((m) => ({
    ...m.result,
    endpoint: endpointName(m.endpoint),
    goneAtMs: m.goneAtMs,
  }));
  const judgement = judgeMembers(
    summaries.map((s) => ({ ...s, name: s.endpoint })),
    fleet.appeared,
  );
  const summary: FleetWatchSummary = {
    verdict: judgement.verdict,
    reason: judgement.reason,
    endpoints: summaries,
    steps: stepsReached(summaries.map((s) => ({ name: s.endpoint, steps: s.steps }))),
    appeared: fleet.appeared,
    endpointConfidence: shared.confidence as number,
    durationMs: fleet.durationMs,
  };
  onEvent?.({ event: "fleet-summary", ...summary });
  return summary;
}
