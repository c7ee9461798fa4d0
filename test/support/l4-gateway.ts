import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../devtools/free-port.js";
import { spawnTracked, type TrackedProcess } from "./child-processes.js";

export interface GatewayBackend {
  name: string;
  port: number;
  weight: number;
}

/** A real weighted L4 proxy (HAProxy or nginx stream) run as a user process on loopback. */
export interface L4Gateway {
  readonly kind: "haproxy" | "nginx";
  readonly port: number;
  /** Rewrites the config and reloads gracefully: open connections stay on their backend. */
  reload(backends: GatewayBackend[]): Promise<void>;
  stop(): Promise<void>;
}

function haproxyConfig(port: number, backends: GatewayBackend[]): string {
  return [
    "global",
    "  maxconn 8000",
    "defaults",
    "  mode tcp",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "frontend tcp_echo",
    `  bind 127.0.0.1:${port}`,
    "  default_backend versions",
    "backend versions",
    // Not an exact weighted random pick: a draw on a consistent-hash ring, and by default the less loaded of
    // two draws, so the real split follows backend speed (README, "HAProxy's real split"). Calibration goes
    // through nginx; what HAProxy really does is for the prober to reveal.
    "  balance random",
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} weight ${b.weight}`),
    "",
  ].join("\n");
}

function nginxConfig(dir: string, port: number, backends: GatewayBackend[]): string {
  return [
    "load_module /usr/lib/nginx/modules/ngx_stream_module.so;",
    "daemon off;",
    "master_process on;",
    "worker_processes 1;",
    `pid ${dir}/nginx.pid;`,
    "error_log stderr notice;",
    "events { worker_connections 4096; }",
    "stream {",
    "  upstream versions {",
    "    random;",
    // nginx has no weight 0: such a server is marked down instead.
    // max_fails=0: no passive health check, as Envoy's TCP proxy without outlier detection; a dead
    // backend keeps its share of connections (each fails) instead of leaving the split.
    ...backends.map(
      (b) => `    server 127.0.0.1:${b.port} ${b.weight > 0 ? `weight=${b.weight} max_fails=0` : "down"};`,
    ),
    "  }",
    "  server {",
    `    listen 127.0.0.1:${port};`,
    "    proxy_pass versions;",
    // Like Envoy's TCP proxy (one connect attempt), a dead backend fails the connection.
    "    proxy_next_upstream off;",
    "    proxy_connect_timeout 2s;",
    "  }",
    "}",
    "",
  ].join("\n");
}

const RELOAD_RETRY_MS = 500;
const RELOAD_ATTEMPTS = 20;

/** What each gateway prints once a (re)loaded configuration is serving. */
const READY = { haproxy: /Loading success/, nginx: /start worker process/ };

export async function startGateway(
  kind: "haproxy" | "nginx",
  backends: GatewayBackend[],
): Promise<L4Gateway> {
  const dir = mkdtempSync(join(tmpdir(), `tcp-echo-${kind}-`));
  const configPath = join(dir, `${kind}.conf`);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const write = (next: GatewayBackend[]) =>
      writeFileSync(
        configPath,
        kind === "haproxy" ? haproxyConfig(port, next) : nginxConfig(dir, port, next),
      );
    write(backends);
    // HAProxy in master-worker mode reloads on SIGUSR2, nginx on SIGHUP; both keep old workers for old connections.
    const proc =
      kind === "haproxy"
        ? spawnTracked("haproxy", ["-W", "-db", "-f", configPath])
        : spawnTracked("nginx", ["-c", configPath, "-e", "stderr"]);
    try {
      await waitForStderr(proc, READY[kind]);
    } catch (error) {
      if (attempt < 3 && /Address already in use|cannot bind/i.test(proc.stderr())) continue;
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    return {
      kind,
      port,
      async reload(next) {
        write(next);
        // HAProxy 2.6's master drops a SIGUSR2 that comes right after "Loading success" (measured: the
        // reload never happens); a signal not answered within RELOAD_RETRY_MS is sent again, and a
        // second reload of the same file is harmless.
        for (let attempt = 1; ; attempt++) {
          const reloaded = waitForStderr(proc, READY[kind], RELOAD_RETRY_MS);
          proc.child.kill(kind === "haproxy" ? "SIGUSR2" : "SIGHUP");
          if (
            await reloaded.then(
              () => true,
              () =>
                attempt >= RELOAD_ATTEMPTS &&
                Promise.reject(
                  new Error(`${kind} did not reload after ${attempt} signals: ${proc.stderr().slice(-500)}`),
                ),
            )
          )
            return;
        }
      },
      async stop() {
        if (proc.child.exitCode === null) proc.child.kill("SIGTERM");
        await proc.exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}

/** Resolves when the process's stderr, from now on, matches the pattern; rejects when it exits or after `limitMs`. */
function waitForStderr(proc: TrackedProcess, pattern: RegExp, limitMs = 30_000): Promise<void> {
  const already = proc.stderr().length;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.child.stderr?.off("data", check);
      reject(new Error(`no ${pattern} from the gateway within ${limitMs} ms`));
    }, limitMs);
    void proc.exited.then(() => reject(new Error(`gateway exited: ${proc.stderr().slice(already)}`)));
    const check = () => {
      if (pattern.test(proc.stderr().slice(already))) {
        proc.child.stderr?.off("data", check);
        clearTimeout(timer);
        resolve();
      }
    };
    proc.child.stderr?.on("data", check);
  });
}
