import { ApiException, CustomObjectsApi } from "@kubernetes/client-node";
import { ClusterError, type ClusterReference, type ClusterSource } from "./cluster-reference.js";
import type { Expectation } from "./expectation.js";
import { loadConfig, statusMessage } from "./kube-access.js";
import { expectationFromResource } from "./manifest-expectation.js";

/** Group, plural, and the versions tried in turn (TCPRoute: v1 from Gateway API 1.6, else experimental v1alpha2). */
const RESOURCES = {
  VirtualService: {
    group: "networking.istio.io",
    plural: "virtualservices",
    versions: ["v1", "v1beta1", "v1alpha3"],
  },
  TCPRoute: { group: "gateway.networking.k8s.io", plural: "tcproutes", versions: ["v1", "v1alpha2"] },
} as const;

const isUnservedVersion = (error: unknown) =>
  error instanceof ApiException &&
  error.code === 404 &&
  /the server could not find the requested resource/.test(statusMessage(error));

/** A failed read of `what` (a `resource` object) as the ClusterError the CLI maps to its exit code. */
function readError(error: unknown, what: string, resource: string, server: string | undefined): ClusterError {
  if (!(error instanceof ApiException)) {
    return new ClusterError(
      "unreachable",
      `cannot reach ${server ?? "the API server"}: ${(error as Error).message}`,
    );
  }
  const message = statusMessage(error);
  if (error.code === 404) return new ClusterError("not-found", `${what}: not found`);
  if (error.code === 403) {
    return new ClusterError("forbidden", `forbidden: ${message} (the prober needs get on ${resource})`);
  }
  return new ClusterError("unreachable", `${what}: the API server answered ${error.code}: ${message}`);
}

/**
 * Reads the expected split from a live VirtualService or TCPRoute through the API server, with the
 * official client: `namespace` defaults to the kubeconfig context's, or the pod's own in a cluster.
 * Throws ClusterError for an object not found, a missing permission (naming the verb and resource), no
 * cluster configured, an API server that does not answer, or an object without tcp weights.
 */
export async function readClusterExpectation(
  reference: ClusterReference,
  options: { namespace?: string | undefined; map?: Map<string, string> | undefined } = {},
): Promise<{ expected: Expectation; source: ClusterSource }> {
  const { config, namespace: contextNamespace } = loadConfig();
  const namespace = options.namespace ?? contextNamespace;
  const api = config.makeApiClient(CustomObjectsApi);
  const { group, plural, versions } = RESOURCES[reference.kind];
  const what = `${plural}.${group} ${reference.name} in namespace ${namespace}`;
  for (const version of versions) {
    let object: Record<string, unknown>;
    try {
      object = (await api.getNamespacedCustomObject({
        group,
        version,
        namespace,
        plural,
        name: reference.name,
      })) as Record<string, unknown>;
    } catch (error) {
      // A version the API server does not serve answers 404 too, with a different message.
      if (isUnservedVersion(error)) continue;
      throw readError(error, what, `${plural}.${group}`, config.getCurrentCluster()?.server);
    }
    const metadata = (object.metadata ?? {}) as { resourceVersion?: string };
    const source: ClusterSource = {
      kind: reference.kind,
      name: reference.name,
      namespace,
      apiVersion: `${group}/${version}`,
      resourceVersion: metadata.resourceVersion ?? "",
    };
    try {
      return {
        expected: expectationFromResource(
          object,
          `${reference.kind.toLowerCase()}/${reference.name}`,
          options.map,
        ),
        source,
      };
    } catch (error) {
      throw new ClusterError("no-weights", (error as Error).message);
    }
  }
  throw new ClusterError(
    "not-found",
    `${what}: the API server serves no ${plural}.${group} (are the CRDs installed?)`,
  );
}

/**
 * Reads the object again every `intervalMs` until `signal` aborts, and calls `onChange` when its
 * resourceVersion moved and its weights with it. A read that fails keeps the last weights and is told to
 * `onError` (the watch goes on; the API server may be restarting).
 */
export function followClusterExpectation(
  reference: ClusterReference,
  options: { namespace?: string | undefined; map?: Map<string, string> | undefined; intervalMs: number },
  last: ClusterSource,
  onChange: (expected: Expectation, source: ClusterSource) => void,
  onError: (error: Error) => void,
  signal: AbortSignal,
): void {
  let seen = last;
  const poll = async () => {
    if (signal.aborted) return;
    try {
      const { expected, source } = await readClusterExpectation(reference, options);
      if (source.resourceVersion !== seen.resourceVersion) {
        seen = source;
        onChange(expected, source);
      }
    } catch (error) {
      onError(error as Error);
    }
    if (!signal.aborted) timer = setTimeout(poll, options.intervalMs);
  };
  let timer = setTimeout(poll, options.intervalMs);
  signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
}
