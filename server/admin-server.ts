import { createServer, type Server } from "node:http";
import { listen } from "../common/listen.js";

export interface AdminServerOptions {
  port: number;
  host?: string | undefined;
  /** The Prometheus text for /metrics, and its content type. */
  metrics: { read(): Promise<string>; contentType: string };
  /** Ready while every port listens and no drain has begun. */
  isReady: () => boolean;
}

/** HTTP `/healthz` (alive), `/readyz` (accepting connections) and `/metrics` (Prometheus text format). */
export function startAdminServer(options: AdminServerOptions): Promise<{ server: Server; port: number }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8") => {
      response.writeHead(status, { "content-type": type }).end(body);
    };
    if (request.method !== "GET" && request.method !== "HEAD") {
      reply(405, "method not allowed\n");
    } else if (path === "/healthz") {
      reply(200, "ok\n");
    } else if (path === "/readyz") {
      if (options.isReady()) reply(200, "ready\n");
      else reply(503, "not ready: draining\n");
    } else if (path === "/metrics") {
      options.metrics.read().then(
        (text) => reply(200, text, options.metrics.contentType),
        (error: Error) => reply(500, `metrics failed: ${error.message}\n`),
      );
    } else {
      reply(404, "not found: try /healthz, /readyz or /metrics\n");
    }
  });
  return listen(server, options.port, options.host).then((port) => ({ server, port }));
}
