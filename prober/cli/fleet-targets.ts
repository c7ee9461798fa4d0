import { exitWithError, UsageError } from "../../common/cli-failure.js";
import { EXIT_CODES } from "../../common/exit-codes.js";
import {
  type Endpoint,
  EndpointError,
  type EndpointFollower,
  parseServiceReference,
  pollEndpoints,
  resolveEachAddress,
  type ServiceReference,
} from "../endpoints/index.js";
import { ClusterError, parseClusterReference } from "../expectations/index.js";
import { resolveTarget } from "../probing/index.js";
import { clusterExitCode, type ExpectationArguments } from "./shared-options.js";

/** The options that make a check verify every replica of a gateway on its own. */
export const FLEET_OPTIONS = {
  targets: {
    type: "string",
    describe:
      "comma-separated host:port of several gateway replicas, each verified on its own (as several positional targets)",
  },
  "each-address": {
    type: "boolean",
    default: false,
    describe:
      "verify every address the target's name resolves to (A and AAAA) on its own: a headless Service, several gateway VMs",
  },
  "each-endpoint": {
    type: "string",
    describe:
      "verify every ready endpoint of a Service on its own: service/NAME[:PORT] (from its EndpointSlices, at the port's target port; --endpoints-namespace)",
  },
  "endpoints-namespace": {
    type: "string",
    describe:
      "with --each-endpoint: the Service's namespace (default: --namespace, else the kubeconfig context's or the pod's own)",
  },
} as const;

export interface FleetArguments {
  target?: (string | number)[] | undefined;
  targets?: string | undefined;
  eachAddress: boolean;
  eachEndpoint?: string | undefined;
  endpointsNamespace?: string | undefined;
  namespace?: string | undefined;
}

/** Where a fleet's endpoints come from: given, a name's records, or a Service's EndpointSlices. */
export type FleetSource =
  | { endpoints: Endpoint[] }
  | { name: { host: string; port: number } }
  | { service: ServiceReference; namespace: string | undefined };

/** The fleet the arguments name, or undefined for a check of one target. */
export function fleetSource(args: FleetArguments, env: NodeJS.ProcessEnv): FleetSource | undefined {
  const positional = (args.target ?? []).map(String);
  const listed =
    args.targets === undefined
      ? []
      : args.targets
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean);
  if (args.eachEndpoint !== undefined) {
    if (positional.length > 0 || listed.length > 0 || args.eachAddress) {
      throw new UsageError(
        "--each-endpoint names the targets itself: give no host:port, --targets or --each-address with it",
      );
    }
    const service = parseServiceReference(args.eachEndpoint);
    if (service === undefined) {
      throw new UsageError(
        `invalid --each-endpoint "${args.eachEndpoint}": expected service/NAME or service/NAME:PORT`,
      );
    }
    return { service, namespace: args.endpointsNamespace ?? args.namespace };
  }
  if (args.endpointsNamespace !== undefined)
    throw new UsageError("--endpoints-namespace goes with --each-endpoint");
  if (args.eachAddress) {
    if (positional.length > 1 || listed.length > 0)
      throw new UsageError("--each-address takes one host:port");
    return { name: resolveTarget(positional[0], env) };
  }
  const all = [...positional, ...listed];
  if (all.length <= 1 && args.targets === undefined) return undefined;
  const endpoints = all.map((text) => resolveTarget(text, env));
  const keys = new Set(all);
  if (keys.size !== all.length) throw new UsageError("a target is given twice");
  return { endpoints };
}

/**
 * The arguments the expectation is read with: with --each-endpoint, --namespace may be the Service's
 * alone (with --expect, or --expect-from a file), so it is left out unless a cluster object uses it.
 */
export function expectationArguments<A extends ExpectationArguments>(
  args: A,
  fleet: FleetSource | undefined,
): A {
  const clusterObject = args.expectFrom !== undefined && parseClusterReference(args.expectFrom) !== undefined;
  return fleet !== undefined && "service" in fleet && !clusterObject
    ? { ...args, namespace: undefined }
    : args;
}

/** How often a fleet's endpoints are read again while a run goes on. */
const FOLLOW_INTERVAL_MS = 2000;

/** The fleet's endpoints now, and a follower that reads them again during the run; a failure is one line and its exit code. */
export async function resolveFleet(
  program: string,
  source: FleetSource,
): Promise<{ endpoints: Endpoint[]; follow: EndpointFollower | undefined }> {
  if ("endpoints" in source) return { endpoints: source.endpoints, follow: undefined };
  const warn = (error: Error) =>
    process.stderr.write(
      `${program}: reading the endpoints again failed, keeping the last: ${error.message}\n`,
    );
  try {
    if ("name" in source) {
      const { host, port } = source.name;
      const read = () => resolveEachAddress(host, port);
      return { endpoints: await read(), follow: pollEndpoints(read, FOLLOW_INTERVAL_MS, warn) };
    }
    const { readServiceEndpoints } = await import("../endpoints/service-endpoints.js");
    const read = () => readServiceEndpoints(source.service, { namespace: source.namespace });
    return { endpoints: await read(), follow: pollEndpoints(read, FOLLOW_INTERVAL_MS, warn) };
  } catch (error) {
    if (error instanceof ClusterError) exitWithError(program, error.message, clusterExitCode(error));
    if (error instanceof EndpointError) exitWithError(program, error.message, EXIT_CODES.NO_HOST);
    throw error;
  }
}
