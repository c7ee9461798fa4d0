import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll } from "vitest";
import { spawnTracked } from "./child-processes.js";
import { preparedTool } from "./test-tools.js";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/local-cluster.sh", import.meta.url));
const STATE = "/var/lib/tcp-echo-cluster";

/** The single-node cluster of scripts/local-cluster.sh, up for the tests of one file. */
export interface LocalCluster {
  /** The admin's kubeconfig (system:masters), server at the node's address. */
  readonly kubeconfig: string;
  /** The node's address, as the host reaches it. */
  readonly nodeIp: string;
  /** The node's network namespace (under /run/netns), where pods' and ClusterIP addresses answer. */
  readonly netns: string;
  /** The node's name, and the Services' address range. */
  readonly nodeName: string;
  readonly serviceCidr: string;
  /** Traefik's TCP entry point on the node (a NodePort): where the chart's Gateway listens. */
  readonly gatewayPort: number;
  kubectl(args: string[], stdin?: string): Promise<string>;
  helm(args: string[]): Promise<string>;
  /** Runs a command on the node (in the cluster's network namespace, where ClusterIPs answer) to its end. */
  onNode(
    command: string,
    args: string[],
    env?: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/**
 * Runs a command; resolves with stdout, or rejects with the command line, its stderr and the end of its
 * stdout (where `helm test --logs` puts the failed test pod's report).
 */
async function runTool(command: string, args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string) {
  const child = run(command, args, { env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  try {
    return (await child).stdout;
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    const output = stdout?.trim() ? `\nstdout: ${stdout.trim().slice(-2000)}` : "";
    throw new Error(
      `${command.split("/").pop()} ${args.join(" ")}: ${(stderr ?? String(error)).trim()}${output}`,
    );
  }
}

/** Starts the cluster before the file's tests and removes all of it after them, even when they fail. */
export function useLocalCluster(): LocalCluster {
  let env: Record<string, string> = {};
  beforeAll(async () => {
    await runTool("bash", [SCRIPT, "up"]);
    env = Object.fromEntries(
      readFileSync(`${STATE}/cluster.env`, "utf8")
        .trim()
        .split("\n")
        .map((line) => line.split("=", 2) as [string, string]),
    );
  }, 900_000);
  afterAll(async () => {
    await runTool("bash", [SCRIPT, "down"]);
  }, 300_000);
  const kubeEnv = () => ({ KUBECONFIG: env.KUBECONFIG, HOME: STATE });
  return {
    get kubeconfig() {
      return env.KUBECONFIG as string;
    },
    get nodeIp() {
      return env.NODE_IP as string;
    },
    get netns() {
      return env.NETNS as string;
    },
    get nodeName() {
      return env.NODE_NAME as string;
    },
    get serviceCidr() {
      return env.SERVICE_CIDR as string;
    },
    get gatewayPort() {
      return Number(env.GATEWAY_PORT);
    },
    kubectl: (args, stdin) => runTool(preparedTool("kubectl"), args, kubeEnv(), stdin),
    helm: (args) => runTool(preparedTool("helm"), args, kubeEnv()),
    onNode: async (command, args, extra = {}) => {
      const proc = spawnTracked("nsenter", [`--net=/run/netns/${env.NETNS}`, "--", command, ...args], extra);
      const code = await proc.exited;
      return { code, stdout: proc.lines.join("\n"), stderr: proc.stderr() };
    },
  };
}
