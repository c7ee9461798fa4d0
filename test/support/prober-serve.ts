import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { PROBER_CLI, spawnTracked, type TrackedProcess } from "./child-processes.js";
import { type RogueServer, rogueServer } from "./rogue-server.js";

export interface ServeProcess {
  url: string;
  /** The --health-listen listener's URL, when it was asked for. */
  healthUrl: string | undefined;
  proc: TrackedProcess;
  /** Its peak resident memory so far, in MB (VmHWM). */
  peakRssMb(): number;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `prober serve` on a free loopback port (unless `args` names another --listen). */
export async function startServe(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const listen = args.includes("--listen") ? [] : ["--listen", "127.0.0.1:0"];
  const proc = spawnTracked(process.execPath, [PROBER_CLI, "serve", ...listen, ...args], env);
  const line = await proc.waitForLine(
    (l) => l.startsWith("prober serve: listening on"),
    "prober serve listening",
  );
  const port = /:(\d+)(?: |$)/.exec(line)?.[1];
  const healthLine = args.includes("--health-listen")
    ? await proc.waitForLine((l) => l.startsWith("prober serve: health on"), "prober serve health listener")
    : undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    healthUrl: healthLine && `http://127.0.0.1:${/:(\d+)$/.exec(healthLine)?.[1]}`,
    proc,
    peakRssMb: () => {
      const status = readFileSync(`/proc/${proc.child.pid}/status`, "utf8");
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
    },
    stop: () => {
      proc.child.kill("SIGTERM");
      return proc.exited;
    },
  };
}

/** The JSON log lines `prober serve` wrote so far. */
export function logLines(serve: ServeProcess): Record<string, unknown>[] {
  return serve.proc.lines.flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** A listener that counts the connections it accepts, answering each line as tcp-echo v1 would. */
export interface CountingTarget extends RogueServer {
  /** When each connection was accepted (ms, performance.now()). */
  readonly accepted: number[];
}

export async function countingTarget(prefix = "one"): Promise<CountingTarget> {
  const accepted: number[] = [];
  const server = await rogueServer((socket: Socket) => {
    accepted.push(performance.now());
    socket.setEncoding("utf8");
    let pending = "";
    socket.on("data", (text: string) => {
      pending += text;
      for (let end = pending.indexOf("\n"); end !== -1; end = pending.indexOf("\n")) {
        socket.write(`${prefix} ${pending.slice(0, end + 1)}`);
        pending = pending.slice(end + 1);
      }
    });
  });
  return { ...server, accepted };
}

export const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
