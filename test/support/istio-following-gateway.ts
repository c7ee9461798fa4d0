import { stringify } from "yaml";
import { envoyLikeBackends, istioGatewayConfig } from "./istio-control-plane.js";
import { type L4Gateway, startGateway } from "./l4-gateway.js";
import type { LocalCluster } from "./local-cluster.js";

/** Istio's install names its ingress gateway so: the chart's test.gatewayHost and allowed target. */
const GATEWAY_SERVICE = { namespace: "istio-system", name: "istio-ingressgateway" };
const OBJECTS =
  "services,pods,virtualservices.networking.istio.io,destinationrules.networking.istio.io,gateways.networking.istio.io";
const FOLLOW_MS = 500;

export interface IstioFollowingGateway {
  /** `NODE_IP:PORT`: the gateway as the host reaches it. */
  readonly target: string;
  /** Each split applied, in order: Istio's clusters as `subset=weight` (e.g. `v1=80,v2=20`). */
  readonly applied: string[];
  stop(): Promise<void>;
}

/**
 * A stand-in for Istio's ingress gateway on the local cluster, where no Envoy can run: nginx stream
 * `random` on the node, configured from what istiod's own code (test/istio-control-plane) computes
 * for the gateway's `port` from `namespace`'s objects as the API server holds them, read again every
 * 500 ms, so it follows the VirtualService and DestinationRule a controller rewrites. Pods reach it as
 * Istio's `istio-ingressgateway.istio-system`: a Service without selector whose EndpointSlice is the
 * node's address.
 */
export async function followIstioGateway(
  cluster: LocalCluster,
  namespace: string,
  port: number,
): Promise<IstioFollowingGateway> {
  const applied: string[] = [];
  let gateway: L4Gateway | undefined;
  let current = "";
  let lastError: unknown;
  let stopped = false;

  async function follow() {
    const list = JSON.parse(await cluster.kubectl(["-n", namespace, "get", OBJECTS, "-o", "json"]));
    const manifests = list.items.map((item: unknown) => stringify(item)).join("---\n");
    const listener = (await istioGatewayConfig(manifests, namespace)).listeners.find((l) => l.port === port);
    const clusters = listener?.clusters ?? [];
    // In the node's network namespace nothing listens on port 1: a connection there is refused.
    const backends = envoyLikeBackends(clusters, (e) => ({ host: e.address, port: e.port }), {
      host: "127.0.0.1",
      port: 1,
    });
    const split = clusters.map((c) => `${c.name.split("|")[2]}=${c.weight}`).join(",");
    // The split by subset as well as the backends: after a promotion the stable subset takes over the
    // canary's pods, the same backends under another subset, which Argo may write in either order.
    const key = JSON.stringify([split, backends]);
    if (key === current) return;
    if (gateway) await gateway.reload(backends);
    else gateway = await startGateway("nginx", backends, placement);
    current = key;
    applied.push(split);
  }
  const placement = {
    listenHost: cluster.nodeIp,
    launcher: ["nsenter", `--net=/run/netns/${cluster.netns}`, "--"],
  };

  await follow();
  const loop = (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_MS));
      if (stopped) break;
      await follow().then(
        () => {
          lastError = undefined;
        },
        (error) => {
          lastError = error;
        },
      );
    }
  })();
  await exposeInCluster(cluster, port, (gateway as L4Gateway).port);
  const { port: nodePort } = gateway as L4Gateway;
  return {
    target: `${cluster.nodeIp}:${nodePort}`,
    applied,
    async stop() {
      stopped = true;
      await loop;
      await cluster.kubectl(["delete", "namespace", GATEWAY_SERVICE.namespace, "--ignore-not-found"]);
      await gateway?.stop();
      if (lastError) throw new Error(`the gateway stopped following: ${String(lastError)}`);
    },
  };
}

async function exposeInCluster(cluster: LocalCluster, servicePort: number, port: number) {
  const { namespace, name } = GATEWAY_SERVICE;
  await cluster.kubectl(
    ["apply", "-f", "-"],
    stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } },
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name, namespace },
          spec: { ports: [{ name: "tcp", port: servicePort, targetPort: port }] },
        },
        {
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: { name: `${name}-node`, namespace, labels: { "kubernetes.io/service-name": name } },
          addressType: "IPv4",
          ports: [{ name: "tcp", port, protocol: "TCP" }],
          endpoints: [{ addresses: [cluster.nodeIp], conditions: { ready: true } }],
        },
      ],
    }),
  );
}
