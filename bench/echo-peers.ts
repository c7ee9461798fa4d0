import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { freePort } from "../devtools/free-port.js";
import { PEERS } from "./peer-binaries.js";

/** The server as the image ships it: the bundle from `npm run bundle`. */
const SERVER_BUNDLE = fileURLToPath(new URL("../../bundle/bin/tcp-echo", import.meta.url));

export type ServerKind = "tcp-echo" | "tcp-echo-workers" | "go-tuned" | "istio" | "fortio";

export const SERVER_KINDS: Record<ServerKind, string> = {
  "tcp-echo": "this project (Node 20, the bundled program the image ships), one process: the default",
  "tcp-echo-workers":
    "this project with `--workers auto`: one process per core, as Go's runtime uses every core (RSS: all processes)",
  "go-tuned": "Go, one write per chunk (anchor)",
  istio: "Istio's Go tcp-echo (write and log per line)",
  fortio: "fortio tcp-echo (plain echo, no prefix)",
};

export interface RunningServer {
  kind: ServerKind;
  port: number;
  pid: number;
  /** Milliseconds from spawn to the first accepted connection. */
  startupMs: number;
  rssMegabytes(): number;
  stop(): Promise<void>;
}

function command(kind: ServerKind, port: number, prefix: string): [string, string[]] {
  const ours = [SERVER_BUNDLE, String(port), prefix, "--host", "127.0.0.1", "--log-level", "warn"];
  switch (kind) {
    case "tcp-echo":
      return [process.execPath, [...ours, "--max-connections", "0"]];
    case "tcp-echo-workers":
      return [process.execPath, [...ours, "--max-connections", "0", "--workers", "auto"]];
    case "go-tuned":
      return [PEERS.goTuned, [String(port), prefix]];
    case "istio":
      return [PEERS.istio, [String(port), prefix]];
    case "fortio":
      return [PEERS.fortio, ["tcp-echo", "-tcp-port", `127.0.0.1:${port}`, "-loglevel", "Warning"]];
  }
}

/** Resident memory of a process and its children (the workers of `--workers`). */
function treeRssKilobytes(pid: number): number {
  const own = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return (
    own +
    (children === "" ? 0 : children.split(" ").reduce((sum, child) => sum + treeRssKilobytes(+child), 0))
  );
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** How long a peer may take to accept its first connection before the bench gives up on it. */
const STARTUP_LIMIT_MS = 15_000;

/**
 * Resolves once `port` accepts a connection; rejects, naming `what`, when the child exits first or when
 * it neither listens nor exits within `limitMs`.
 */
export async function waitUntilAccepting(
  port: number,
  child: ChildProcess,
  what: string,
  limitMs = STARTUP_LIMIT_MS,
): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode} before accepting`);
    if (performance.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${what} did not accept connections on port ${port} within ${limitMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Starts a server of the kind, its output discarded (Istio's logs every line; a crash shows as an exit), and waits until it accepts. */
export async function startServer(kind: ServerKind, prefix = "one"): Promise<RunningServer> {
  const port = await freePort();
  const [file, args] = command(kind, port, prefix);
  const began = performance.now();
  const child: ChildProcess = spawn(file, args, { stdio: "ignore" });
  await waitUntilAccepting(port, child, kind);
  const startupMs = performance.now() - began;
  const pid = child.pid as number;
  return {
    kind,
    port,
    pid,
    startupMs,
    rssMegabytes: () => treeRssKilobytes(pid) / 1024,
    async stop() {
      if (child.exitCode === null) {
        const exited = once(child, "exit");
        // Ours drains its workers and exits at once with no connection open; the Go peers need no grace.
        child.kill(kind.startsWith("tcp-echo") ? "SIGTERM" : "SIGKILL");
        await exited;
      }
    },
  };
}
