import { ApiException, CoreV1Api, DiscoveryV1Api, type V1ServicePort } from "@kubernetes/client-node";
import { ClusterError } from "../expectations/index.js";
import { loadConfig, statusMessage } from "../expectations/kube-access.js";
import { type Endpoint, endpointKey } from "./endpoint.js";
import type { ServiceReference } from "./service-reference.js";

/** What reading a Service's endpoints needs from RBAC, told when the API server refuses. */
const PERMISSIONS = "get on services and list on endpointslices.discovery.k8s.io";

function apiFailure(error: unknown, what: string, server: string): ClusterError {
  if (!(error instanceof ApiException)) {
    return new ClusterError("unreachable", `cannot reach ${server}: ${(error as Error).message}`);
  }
  const message = statusMessage(error);
  if (error.code === 404) return new ClusterError("not-found", `${what}: not found`);
  if (error.code === 403) {
    return new ClusterError("forbidden", `forbidden: ${message} (the prober needs ${PERMISSIONS})`);
  }
  return new ClusterError("unreachable", `${what}: the API server answered ${error.code}: ${message}`);
}

function pickPort(ports: V1ServicePort[], wanted: string | undefined, what: string): V1ServicePort {
  const names = ports.map((p) => (p.name ? `${p.name} (${p.port})` : String(p.port))).join(", ");
  if (wanted === undefined) {
    if (ports.length === 1) return ports[0] as V1ServicePort;
    throw new ClusterError(
      "no-weights",
      `${what} has ${ports.length} ports (${names}): name one, as service/NAME:PORT`,
    );
  }
  const port = ports.find((p) => p.name === wanted || String(p.port) === wanted);
  if (port === undefined)
    throw new ClusterError("not-found", `${what} has no port ${wanted} (its ports: ${names})`);
  return port;
}

/**
 * The ready endpoints of a Service from its EndpointSlices, each at the target port of the Service's
 * port named (by name or number), with the pod behind it: what kube-proxy spreads connections over.
 * Throws ClusterError for a Service or port not found, a missing permission, or no API server.
 */
export async function readServiceEndpoints(
  reference: ServiceReference,
  options: { namespace?: string | undefined } = {},
): Promise<Endpoint[]> {
  return (await readServiceFleet(reference, options)).endpoints;
}

/** The Service's namespace and port number, with its ready endpoints (readServiceEndpoints'). */
export async function readServiceFleet(
  reference: ServiceReference,
  options: { namespace?: string | undefined } = {},
): Promise<{ namespace: string; servicePort: number; endpoints: Endpoint[] }> {
  const { config, namespace: contextNamespace } = loadConfig();
  const namespace = options.namespace ?? contextNamespace;
  const what = `service ${reference.name} in namespace ${namespace}`;
  const server = config.getCurrentCluster()?.server ?? "the API server";
  let servicePort: V1ServicePort;
  try {
    const service = await config
      .makeApiClient(CoreV1Api)
      .readNamespacedService({ name: reference.name, namespace });
    servicePort = pickPort(service.spec?.ports ?? [], reference.port, what);
  } catch (error) {
    throw error instanceof ClusterError ? error : apiFailure(error, what, server);
  }
  let slices: Awaited<ReturnType<DiscoveryV1Api["listNamespacedEndpointSlice"]>>;
  try {
    slices = await config.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({
      namespace,
      labelSelector: `kubernetes.io/service-name=${reference.name}`,
    });
  } catch (error) {
    throw apiFailure(error, `the endpointslices of ${what}`, server);
  }
  const found = new Map<string, Endpoint>();
  for (const slice of slices.items) {
    if (slice.addressType === "FQDN") continue;
    // A slice names the Service's port by its name ("" when unnamed) and carries its target port.
    const port = slice.ports?.find((p) => (p.name ?? "") === (servicePort.name ?? ""))?.port;
    if (port === undefined) continue;
    for (const endpoint of slice.endpoints) {
      // A missing ready condition means ready (the API's own rule); terminating endpoints are not.
      if (endpoint.conditions?.ready === false) continue;
      const host = endpoint.addresses[0];
      if (host === undefined) continue;
      const pod = endpoint.targetRef?.kind === "Pod" ? endpoint.targetRef.name : undefined;
      const candidate: Endpoint = { host, port, pod };
      found.set(endpointKey(candidate), candidate);
    }
  }
  const endpoints = [...found.values()].sort((a, b) => endpointKey(a).localeCompare(endpointKey(b)));
  return { namespace, servicePort: servicePort.port, endpoints };
}
