import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { PEERS } from "./peer-binaries.js";

const run = promisify(execFile);

export interface LoadResult {
  mode: "conn" | "pipe" | "ping";
  clients: number;
  ops: number;
  bytes: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Micros: number;
  p99Micros: number;
}

/** Runs the Go load generator once against a loopback port. */
export async function goLoad(
  mode: LoadResult["mode"],
  port: number,
  clients: number,
  seconds: number,
  lineBytes = 16,
): Promise<LoadResult> {
  const { stdout } = await run(PEERS.goLoad, [
    mode,
    "-addr",
    `127.0.0.1:${port}`,
    "-c",
    String(clients),
    "-d",
    `${seconds}s`,
    "-line",
    String(lineBytes),
  ]);
  return JSON.parse(stdout) as LoadResult;
}

/** Opens `count` idle connections held by a Go process; resolves once they are all open. */
export async function holdIdleConnections(
  port: number,
  count: number,
): Promise<{ release: () => Promise<void> }> {
  const child = spawn(PEERS.goLoad, ["idle", "-addr", `127.0.0.1:${port}`, "-n", String(count)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([once(lines, "line"), once(child, "exit")])) as [string];
  if (line !== "ready") throw new Error(`idle holder failed (exit ${child.exitCode})`);
  return {
    async release() {
      const exited = once(child, "exit");
      child.stdin.end();
      await exited;
    },
  };
}
