import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const running = new Set<ChildProcess>();

export const SERVER_CLI = fileURLToPath(new URL("../../dist/server/cli.js", import.meta.url));
export const PROBER_CLI = fileURLToPath(new URL("../../dist/prober/cli/main.js", import.meta.url));

/** A child process whose stdout lines are collected and can be awaited, killed with every other at teardown. */
export interface TrackedProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly stderr: () => string;
  /** Resolves with the first stdout line (present or future) that satisfies the predicate. */
  waitForLine(predicate: (line: string) => boolean, what: string): Promise<string>;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

export function spawnTracked(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  stdin?: string,
): TrackedProcess {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  child.stdin?.end(stdin);
  running.add(child);
  const lines: string[] = [];
  const waiters: { predicate: (line: string) => boolean; resolve: (line: string) => void }[] = [];
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  const exited = once(child, "exit").then(([code]) => {
    running.delete(child);
    return code as number | null;
  });
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    waitForLine(predicate, what) {
      const seen = lines.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        void exited.then((code) =>
          reject(
            new Error(
              `process exited (${code}) before ${what}; stderr: ${stderr}; stdout: ${lines.join("\n")}`,
            ),
          ),
        );
      });
    },
  };
}

/** Kills every process started by spawnTracked that is still running; wired into every test file's teardown. */
export async function killAllTracked(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      const gone = once(child, "exit");
      child.kill("SIGKILL");
      await gone;
    }),
  );
}
