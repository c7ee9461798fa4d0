import { spawn } from "node:child_process";
import { once } from "node:events";
import type { GatewayBackend } from "./l4-gateway.js";
import { preparedTool } from "./test-tools.js";

/** An Envoy endpoint of a cluster, with the pod it is (the tool derives a pod per Deployment replica). */
export interface IstioEndpoint {
  address: string;
  port: number;
  pod: string;
  labels: Record<string, string>;
}

/** What istiod's code tells the ingress gateway's Envoy for one TCP listener. */
export interface IstioTcpListener {
  name: string;
  port: number;
  /** The tcp_proxy's weighted clusters (one cluster at weight 100 when the route has one destination). */
  clusters: { name: string; weight: number; endpoints: IstioEndpoint[] }[];
}

export interface IstioGatewayConfig {
  listeners: IstioTcpListener[];
  warnings: string[];
}

export interface IstioAnalysis {
  messages: { code: string; level: "Info" | "Warning" | "Error"; origin: string; text: string }[];
  skipped: string[];
}

/**
 * Runs test/istio-control-plane (Istio's own discovery server and analyzers, built by
 * scripts/build-go-tools.sh) on rendered manifests; rejects with its one-line error.
 */
async function runTool(command: "gateway" | "analyze", manifests: string, namespace: string) {
  const child = spawn(preparedTool("istio-control-plane"), [command, "--namespace", namespace], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  child.stdin.end(manifests);
  const [code] = await once(child, "close");
  if (code !== 0) throw new Error(`istio-control-plane ${command} exited ${code}: ${stderr.trim()}`);
  return JSON.parse(stdout);
}

export const istioGatewayConfig = (manifests: string, namespace = "default"): Promise<IstioGatewayConfig> =>
  runTool("gateway", manifests, namespace);

export const istioAnalysis = (manifests: string, namespace = "default"): Promise<IstioAnalysis> =>
  runTool("analyze", manifests, namespace);

/**
 * Gateway backends that reproduce Envoy's tcp_proxy over Istio's clusters: a cluster by its weight, then
 * one of its endpoints (each endpoint weighted its cluster's weight over its endpoints, in whole numbers).
 * `place` says where each endpoint answers; a cluster without endpoints keeps its share at `refused`, an
 * address where every connection fails, as Envoy's fail.
 */
export function envoyLikeBackends(
  clusters: IstioTcpListener["clusters"],
  place: (endpoint: IstioEndpoint) => { host?: string; port: number },
  refused: { host?: string; port: number },
): GatewayBackend[] {
  const common = clusters.reduce((lcm, c) => lcmOf(lcm, Math.max(c.endpoints.length, 1)), 1);
  return clusters.flatMap((c) =>
    c.endpoints.length === 0
      ? [{ name: `${c.name}-no-endpoints`, ...refused, weight: c.weight * common }]
      : c.endpoints.map((e) => ({
          name: e.pod,
          ...place(e),
          weight: (c.weight * common) / c.endpoints.length,
        })),
  );
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcmOf = (a: number, b: number) => (a * b) / gcd(a, b);
