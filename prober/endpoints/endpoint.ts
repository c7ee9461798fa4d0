import { formatTarget } from "../probing/index.js";

/** One address of a gateway to probe on its own: a replica behind a Service, or one of a name's records. */
export interface Endpoint {
  host: string;
  port: number;
  /** The pod behind the address, when it was read from Kubernetes. */
  pod?: string | undefined;
}

/** `host:port`: what tells two endpoints apart. */
export const endpointKey = (endpoint: Endpoint) => formatTarget(endpoint.host, endpoint.port);

/** How reports name a target: `10.232.0.14:31400 (traefik-6d9c-x2k)`, or the address alone. */
export const namedTarget = (target: string, pod: string | null | undefined) =>
  pod ? `${target} (${pod})` : target;

/** How reports name an endpoint (namedTarget of its address and pod). */
export const endpointName = (endpoint: Endpoint) => namedTarget(endpointKey(endpoint), endpoint.pod);

/** Endpoints in `next` not in `previous` (appeared), and the other way round (gone), by address. */
export function endpointChanges(
  previous: readonly Endpoint[],
  next: readonly Endpoint[],
): { appeared: Endpoint[]; gone: Endpoint[] } {
  const before = new Set(previous.map(endpointKey));
  const after = new Set(next.map(endpointKey));
  return {
    appeared: next.filter((e) => !before.has(endpointKey(e))),
    gone: previous.filter((e) => !after.has(endpointKey(e))),
  };
}

/** Hands on a fleet's endpoints as they change, until `signal` aborts (an EndpointSlice, a DNS name). */
export type EndpointFollower = (update: (endpoints: Endpoint[]) => void, signal: AbortSignal) => void;

/** Calls `read` every `intervalMs` until `signal` aborts and hands on what it read; a failed read is told to `onError`. */
export function pollEndpoints(
  read: () => Promise<Endpoint[]>,
  intervalMs: number,
  onError: (error: Error) => void,
): EndpointFollower {
  return (update, signal) => {
    let timer: NodeJS.Timeout;
    const poll = async () => {
      if (signal.aborted) return;
      try {
        const endpoints = await read();
        if (!signal.aborted) update(endpoints);
      } catch (error) {
        onError(error as Error);
      }
      if (!signal.aborted) timer = setTimeout(poll, intervalMs);
    };
    timer = setTimeout(poll, intervalMs);
    signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  };
}
