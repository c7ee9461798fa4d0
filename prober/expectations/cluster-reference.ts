// What names a cluster object to read weights from, and why reading it failed: light enough for the CLI
// to load on every run (the Kubernetes client itself is loaded only when an object is read).

/** An object to read the weights from: kubectl's kind/name form. */
export interface ClusterReference {
  kind: "VirtualService" | "TCPRoute";
  name: string;
}

/** What the weights were read from, for the report: the object and the version of it verified. */
export interface ClusterSource {
  kind: ClusterReference["kind"];
  name: string;
  namespace: string;
  apiVersion: string;
  resourceVersion: string;
}

/** Why the weights could not be read from the cluster; `reason` picks the exit code. */
export class ClusterError extends Error {
  override readonly name = "ClusterError";
  constructor(
    readonly reason: "not-found" | "forbidden" | "no-cluster" | "unreachable" | "no-weights",
    message: string,
  ) {
    super(message);
  }
}

const KINDS: Record<string, ClusterReference["kind"]> = {
  virtualservice: "VirtualService",
  virtualservices: "VirtualService",
  vs: "VirtualService",
  "virtualservices.networking.istio.io": "VirtualService",
  tcproute: "TCPRoute",
  tcproutes: "TCPRoute",
  "tcproutes.gateway.networking.k8s.io": "TCPRoute",
};

/** `virtualservice/NAME`, `tcproute/NAME` or a long form: the reference; any other text (a path, `-`): undefined. */
export function parseClusterReference(text: string): ClusterReference | undefined {
  const match = /^([a-z.]+)\/([a-z0-9][a-z0-9.-]*)$/.exec(text);
  const kind = match && Object.hasOwn(KINDS, match[1] as string) ? KINDS[match[1] as string] : undefined;
  return kind === undefined ? undefined : { kind, name: match?.[2] as string };
}
