import { once } from "node:events";
import { SERVER_CLI, spawnTracked, type TrackedProcess } from "./child-processes.js";

export interface EchoServerProcess extends TrackedProcess {
  ports: number[];
  adminPort: number | undefined;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

function logField(line: string, msg: string): Record<string, unknown> | undefined {
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    return record.msg === msg ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the real tcp-echo CLI on ephemeral ports (one per "0" in `ports`) and waits until every
 * port and the admin port (when asked for) are listening. `launcher` runs it through another command
 * (a shell that lowers a limit, say); `cli` is another build of it (an installed package's, say).
 */
export async function startEchoServerProcess(
  ports: string,
  prefix: string,
  options: string[] = [],
  env: NodeJS.ProcessEnv = {},
  launcher: string[] = [],
  cli = SERVER_CLI,
): Promise<EchoServerProcess> {
  const argv = [...launcher, process.execPath, cli, ports, prefix, "--allow-ephemeral-port", ...options];
  const proc = spawnTracked(argv[0] as string, argv.slice(1), env);
  const expected = ports.split(",").length;
  const listening: number[] = [];
  for (let i = 0; i < expected; i++) {
    await proc.waitForLine(
      (line) => {
        const record = logField(line, "listening");
        if (!record || listening.includes(record.port as number)) return false;
        listening.push(record.port as number);
        return true;
      },
      `port ${i + 1} of ${expected} listening`,
    );
  }
  let adminPort: number | undefined;
  if (options.includes("--admin-port") || env.TCP_ECHO_ADMIN_PORT !== undefined) {
    const line = await proc.waitForLine(
      (l) => logField(l, "admin listening: /healthz /readyz /metrics") !== undefined,
      "admin port listening",
    );
    adminPort = (JSON.parse(line) as { port: number }).port;
  }
  return {
    ...proc,
    ports: listening,
    adminPort,
    async stop() {
      if (proc.child.exitCode === null) {
        const exit = once(proc.child, "exit");
        proc.child.kill("SIGTERM");
        await exit;
      }
      return proc.exited;
    },
  };
}
