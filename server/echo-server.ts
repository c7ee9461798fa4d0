import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import { listen } from "../common/listen.js";
import { type ConnectionSettings, serveConnection } from "./echo-connection.js";
import type { ServerMetrics } from "./server-metrics.js";

export interface EchoServerOptions extends ConnectionSettings {
  /** Ports to listen on; 0 picks a free one (see `EchoServer.ports`). */
  ports: number[];
  /** Address to bind; unset listens on every address, IPv6 and IPv4 (dual-stack) where the host has both. */
  host?: string | undefined;
  /** New connections beyond this many open ones are closed at once; 0 means no limit. */
  maxConnections: number;
  logger: Logger;
  metrics: ServerMetrics;
}

export interface EchoServer {
  /** The ports really listened on, in the order given (0 resolved to the port the OS chose). */
  readonly ports: number[];
  /** Connections open now. */
  readonly connections: number;
  readonly draining: boolean;
  /**
   * Stops accepting, flushes the replies to every line already read, closes each connection, and resolves
   * once all are closed; connections still open after `timeoutMs` are destroyed.
   */
  drain(timeoutMs: number): Promise<{ closed: number; destroyed: number }>;
}

function closeListener(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) resolve();
    else server.close(() => resolve());
  });
}

/** Starts the echo service on every port; if any port fails, the ones already open are closed again. */
export async function startEchoServer(options: EchoServerOptions): Promise<EchoServer> {
  const { logger } = options;
  const sockets = new Map<Socket, () => void>();
  const listeners: Server[] = [];
  const ports: number[] = [];
  let draining = false;

  try {
    for (const requested of options.ports) {
      const server = createServer({ allowHalfOpen: true });
      listeners.push(server);
      const port = await listen(server, requested, options.host);
      const metrics = options.metrics.forPort(port, options.prefix);
      server.on("connection", (socket: Socket) => {
        const { finish } = serveConnection(socket, options, logger, metrics);
        sockets.set(socket, finish);
        socket.on("close", () => sockets.delete(socket));
      });
      if (options.maxConnections > 0) server.maxConnections = options.maxConnections;
      server.on("drop", () => metrics.connectionRejected());
      // Out of file descriptors, libuv itself closes the connections it cannot accept and keeps
      // listening; any other accept error is reported here instead of ending the process.
      server.on("error", (error: NodeJS.ErrnoException) => {
        metrics.error("accept");
        logger.warn({ err: error, port }, "accept failed");
      });
      ports.push(port);
      logger.info({ port, host: options.host ?? "*" }, "listening");
    }
  } catch (error) {
    await Promise.all(listeners.map(closeListener));
    throw error;
  }

  return {
    ports,
    get connections() {
      return sockets.size;
    },
    get draining() {
      return draining;
    },
    async drain(timeoutMs) {
      draining = true;
      const open = sockets.size;
      const listenersClosed = Promise.all(listeners.map(closeListener));
      // One turn of the event loop lets data already readable be read, and answered, first.
      await new Promise((resolve) => setImmediate(resolve));
      for (const finish of sockets.values()) finish();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timeout">((resolve) => {
        timer = setTimeout(() => resolve("timeout"), timeoutMs);
      });
      const outcome = await Promise.race([listenersClosed, timedOut]);
      clearTimeout(timer);
      const destroyed = outcome === "timeout" ? sockets.size : 0;
      for (const socket of sockets.keys()) socket.destroy();
      await listenersClosed;
      return { closed: open - destroyed, destroyed };
    },
  };
}
