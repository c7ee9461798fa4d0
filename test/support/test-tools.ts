import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../.cache/bin/", import.meta.url));

/** Path of a tool built by scripts/prepare-test-host.sh; a clear failure when that script has not run. */
export function preparedTool(
  name:
    | "helm"
    | "istio-tcp-echo"
    | "istio-control-plane"
    | "kube-apiserver"
    | "etcd"
    | "kubectl"
    | "flagger"
    | "kube-router",
): string {
  const path = `${BIN}${name}`;
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run scripts/prepare-test-host.sh (the README's test command does)`);
  }
  return path;
}
