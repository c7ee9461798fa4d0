import {
  type Endpoint,
  EndpointError,
  parseServiceReference,
  resolveEachAddress,
  type ServiceReference,
} from "../endpoints/index.js";
import { ClusterError } from "../expectations/index.js";
import { resolveTarget } from "../probing/index.js";
import { RequestError } from "./check-request.js";
import { ForbiddenTargetError, type TargetPolicy } from "./target-policy.js";

/** The request's options that make a check verify every replica of a gateway, by their CLI names in camelCase. */
export const FLEET_KEYS = ["targets", "eachAddress", "eachEndpoint", "namespace"] as const;

/** Where a requested fleet's endpoints come from: listed, a name's records, or a Service's EndpointSlices. */
export type FleetRequest =
  | { targets: { host: string; port: number }[] }
  | { eachAddress: { host: string; port: number } }
  | { service: ServiceReference; namespace: string | undefined };

const bad = (message: string) => new RequestError(400, "bad_body", message);

function listOf(value: unknown): string[] {
  if (typeof value === "string")
    return value
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean);
  if (Array.isArray(value) && value.every((t) => typeof t === "string")) return value as string[];
  throw bad("targets must be a list of host:port, or one string of them separated by commas");
}

const targetOf = (text: string) => {
  try {
    return resolveTarget(text, {});
  } catch (error) {
    throw bad((error as Error).message);
  }
};

/** The fleet a request names (undefined for a check of its one target); throws RequestError (400). */
export function fleetRequest(body: Record<string, unknown>): FleetRequest | undefined {
  const { targets, eachAddress, eachEndpoint, namespace, target } = body;
  if (namespace !== undefined && (typeof namespace !== "string" || eachEndpoint === undefined)) {
    throw bad("namespace is a string, and goes with eachEndpoint");
  }
  const given = [
    targets !== undefined,
    eachAddress === true || eachAddress === "true",
    eachEndpoint !== undefined,
  ];
  if (given.filter(Boolean).length > 1) throw bad("give one of targets, eachAddress or eachEndpoint");
  if (eachEndpoint !== undefined) {
    if (target !== undefined) throw bad("eachEndpoint names the targets itself: give no target with it");
    const service = typeof eachEndpoint === "string" ? parseServiceReference(eachEndpoint) : undefined;
    if (service === undefined) throw bad("eachEndpoint must be service/NAME or service/NAME:PORT");
    return { service, namespace: namespace as string | undefined };
  }
  if (given[1]) {
    if (typeof target !== "string") throw bad("eachAddress goes with a target (host:port)");
    return { eachAddress: targetOf(target) };
  }
  if (targets === undefined) return undefined;
  if (target !== undefined) throw bad("give either target or targets");
  const list = listOf(targets);
  if (list.length === 0) throw bad("targets is empty");
  if (new Set(list).size !== list.length) throw bad("a target is given twice");
  return { targets: list.map(targetOf) };
}

async function allowed(
  policy: TargetPolicy,
  host: string,
  port: number,
): Promise<{ host: string; port: number }> {
  try {
    return await policy.authorize(host, port);
  } catch (error) {
    if (error instanceof ForbiddenTargetError) throw new RequestError(403, "forbidden_target", error.message);
    throw error;
  }
}

/** What a failed read of the cluster answers: the request's fault (400), or this server's (500, 503). */
function clusterRefusal(error: ClusterError): RequestError {
  if (error.reason === "not-found" || error.reason === "no-weights") {
    return new RequestError(400, "bad_target", error.message);
  }
  if (error.reason === "forbidden") return new RequestError(500, "cluster_forbidden", error.message);
  return new RequestError(503, "cluster_unavailable", error.message);
}

/**
 * The endpoints of a requested fleet, each allowed by the policy: a listed target as any target; a
 * name's records when the name is allowed (the policy checks every address); a Service's endpoints when
 * the Service is allowed as NAME.NAMESPACE at its port (its endpoints are its own, read from the API).
 */
export async function resolveFleetRequest(fleet: FleetRequest, policy: TargetPolicy): Promise<Endpoint[]> {
  try {
    if ("targets" in fleet) {
      return await Promise.all(fleet.targets.map(({ host, port }) => allowed(policy, host, port)));
    }
    if ("eachAddress" in fleet) {
      const { host, port } = fleet.eachAddress;
      await allowed(policy, host, port);
      return await resolveEachAddress(host, port);
    }
    const { readServiceFleet } = await import("../endpoints/service-endpoints.js");
    const read = await readServiceFleet(fleet.service, { namespace: fleet.namespace });
    await allowed(policy, `${fleet.service.name}.${read.namespace}`, read.servicePort);
    return read.endpoints;
  } catch (error) {
    if (error instanceof ClusterError) throw clusterRefusal(error);
    if (error instanceof EndpointError) throw new RequestError(400, "bad_target", error.message);
    throw error;
  }
}
