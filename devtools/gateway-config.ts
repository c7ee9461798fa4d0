/** A backend of a generated gateway config: a tcp-echo server with its weight. */
export interface GatewayBackend {
  name: string;
  /** Where the backend listens; loopback unless given (a pod's address on the local cluster's node). */
  host?: string;
  port: number;
  weight: number;
}

/**
 * HAProxy's balancing: `roundrobin` is an exact weighted round robin (as Traefik's TCP balancing); `random`
 * is not an exact weighted-random pick but a draw on a consistent-hash ring of the weights, by default the
 * less loaded of two draws, so its real split follows backend speed (docs/testing.md, "HAProxy's real split").
 */
export type HaproxyBalance = "roundrobin" | "random";

/** HAProxy (`mode tcp`) listening on `listenHost` (loopback by default) `port`, in front of the backends. */
export function haproxyConfig(
  port: number,
  backends: GatewayBackend[],
  balance: HaproxyBalance = "random",
  listenHost = "127.0.0.1",
): string {
  return [
    "global",
    "  maxconn 8000",
    "defaults",
    "  mode tcp",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "frontend tcp_echo",
    `  bind ${listenHost}:${port}`,
    "  default_backend versions",
    "backend versions",
    `  balance ${balance}`,
    ...backends.map((b) => `  server ${b.name} ${b.host ?? "127.0.0.1"}:${b.port} weight ${b.weight}`),
    "",
  ].join("\n");
}

/** nginx's stream module listening on `listenHost` (loopback by default) `port`; `dir` holds its pid file. */
export function nginxConfig(
  dir: string,
  port: number,
  backends: GatewayBackend[],
  listenHost = "127.0.0.1",
): string {
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
      (b) =>
        `    server ${b.host ?? "127.0.0.1"}:${b.port} ${b.weight > 0 ? `weight=${b.weight} max_fails=0` : "down"};`,
    ),
    "  }",
    "  server {",
    `    listen ${listenHost}:${port};`,
    "    proxy_pass versions;",
    // Like Envoy's TCP proxy (one connect attempt), a dead backend fails the connection.
    "    proxy_next_upstream off;",
    "    proxy_connect_timeout 2s;",
    "  }",
    "}",
    "",
  ].join("\n");
}
