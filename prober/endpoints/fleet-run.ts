import {
  type Endpoint,
  type EndpointFollower,
  endpointChanges,
  endpointKey,
  endpointName,
} from "./endpoint.js";

/** How one endpoint's run of a fleet ended, beside its own result. */
export interface FleetMember<R> {
  endpoint: Endpoint;
  result: R;
  /** When the endpoint left the fleet, in ms since the start; null if it stayed. */
  goneAtMs: number | null;
  /** The endpoint whose decided result stopped this one's run, if one did. */
  stoppedFor: string | undefined;
}

/** What a fleet run gives: each endpoint's, and the endpoints that joined while it ran. */
export interface FleetRun<R> {
  members: FleetMember<R>[];
  appeared: { target: string; pod: string | null; atMs: number }[];
  durationMs: number;
}

/** The shell around one run per endpoint: each endpoint's run, its stop, the fleet's follower and signal. */
export interface FleetRunOptions<R> {
  endpoints: Endpoint[];
  followEndpoints?: EndpointFollower | undefined;
  /** Stops every endpoint's run, as SIGINT does. */
  signal?: AbortSignal | undefined;
  /** One endpoint's run, to end when `stop` aborts (the endpoint left, another decided, or the signal). */
  run: (endpoint: Endpoint, stop: AbortSignal, index: number) => Promise<R>;
  /** A result that decides the fleet (a settled FAIL): the others are then stopped. */
  decides: (result: R) => boolean;
}

/**
 * Runs one run per endpoint at once: the check's and the watch's shared driver. An endpoint that leaves
 * the fleet (followEndpoints) has its run stopped and is marked gone; one that joins is reported,
 * never run; a result that decides the fleet stops the others, which are told by whom.
 */
export async function runFleet<R>(options: FleetRunOptions<R>): Promise<FleetRun<R>> {
  const began = performance.now();
  const stops = options.endpoints.map(() => new AbortController());
  const gone = new Map<string, number>();
  const stoppedFor = new Map<number, string>();
  const appeared: FleetRun<R>["appeared"] = [];
  const following = new AbortController();
  options.followEndpoints?.((next) => {
    const changes = endpointChanges(options.endpoints, next);
    const atMs = performance.now() - began;
    for (const e of changes.appeared) {
      if (!appeared.some((a) => a.target === endpointKey(e))) {
        appeared.push({ target: endpointKey(e), pod: e.pod ?? null, atMs });
      }
    }
    options.endpoints.forEach((e, i) => {
      if (!gone.has(endpointKey(e)) && changes.gone.some((g) => endpointKey(g) === endpointKey(e))) {
        gone.set(endpointKey(e), atMs);
        stops[i]?.abort();
      }
    });
  }, following.signal);
  const stopAll = (decidedBy?: number) => {
    stops.forEach((stop, i) => {
      if (decidedBy !== undefined && i !== decidedBy && !stop.signal.aborted) {
        stoppedFor.set(i, endpointName(options.endpoints[decidedBy] as Endpoint));
      }
      stop.abort();
    });
  };
  const interrupt = () => stopAll();
  options.signal?.addEventListener("abort", interrupt, { once: true });
  if (options.signal?.aborted) interrupt();
  const results = await Promise.all(
    options.endpoints.map(async (endpoint, i) => {
      const result = await options.run(endpoint, (stops[i] as AbortController).signal, i);
      if (options.decides(result)) stopAll(i);
      return result;
    }),
  );
  following.abort();
  options.signal?.removeEventListener("abort", interrupt);
  return {
    members: options.endpoints.map((endpoint, i) => ({
      endpoint,
      result: results[i] as R,
      goneAtMs: gone.get(endpointKey(endpoint)) ?? null,
      stoppedFor: stoppedFor.get(i),
    })),
    appeared,
    durationMs: performance.now() - began,
  };
}

/** A rate and a concurrency shared out evenly over k endpoints (each at least one probe in flight). */
export function shareOut(k: number, rate: number | undefined, concurrency: number) {
  return {
    rate: rate === undefined ? undefined : rate / k,
    concurrency: Math.max(1, Math.ceil(concurrency / k)),
  };
}

/**
 * One followed source handed to every endpoint's run (one reader of a cluster object, not k): calls
 * `follow` once with an update that fans out, and gives each run a function to register its own.
 */
export function fanOut<A extends unknown[]>(
  follow: ((update: (...args: A) => void, signal: AbortSignal) => void) | undefined,
  signal: AbortSignal,
): ((update: (...args: A) => void) => void) | undefined {
  if (follow === undefined) return undefined;
  const listeners: ((...args: A) => void)[] = [];
  follow((...args) => {
    for (const listener of listeners) listener(...args);
  }, signal);
  return (update) => {
    listeners.push(update);
  };
}
