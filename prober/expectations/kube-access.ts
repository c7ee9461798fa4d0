// How the prober reaches the API server, as kubectl does; loaded only with the Kubernetes client.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { type ApiException, KubeConfig } from "@kubernetes/client-node";
import { ClusterError } from "./cluster-reference.js";

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/** KUBECONFIG, ~/.kube/config, or the pod's service account, as kubectl looks; none is an error, not localhost. */
export function loadConfig(): { config: KubeConfig; namespace: string } {
  const config = new KubeConfig();
  const fromFile =
    process.env.KUBECONFIG ||
    (existsSync(join(homedir(), ".kube", "config")) ? join(homedir(), ".kube", "config") : "");
  if (fromFile) {
    config.loadFromDefault();
    const context = config.getContextObject(config.getCurrentContext());
    return { config, namespace: context?.namespace ?? "default" };
  }
  if (process.env.KUBERNETES_SERVICE_HOST) {
    config.loadFromCluster();
    const namespace = existsSync(SERVICE_ACCOUNT_NAMESPACE)
      ? readFileSync(SERVICE_ACCOUNT_NAMESPACE, "utf8").trim()
      : "default";
    return { config, namespace };
  }
  throw new ClusterError(
    "no-cluster",
    "no cluster configured: set KUBECONFIG, create ~/.kube/config, or run in a pod with a service account",
  );
}

export const statusMessage = (error: ApiException<unknown>) => {
  try {
    const body = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
    return String((body as { message?: unknown }).message ?? error.message);
  } catch {
    return error.message;
  }
};
