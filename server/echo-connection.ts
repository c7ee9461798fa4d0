import type { Socket } from "node:net";
import type { Logger } from "pino";
import { LineEchoer } from "./line-echoer.js";
import type { PortMetrics } from "./server-metrics.js";

export interface ConnectionSettings {
  prefix: string;
  maxLineBytes: number;
  /** Milliseconds without traffic before the connection is closed; 0 disables. */
  idleTimeoutMs: number;
  logLines: boolean;
}

/** Error codes that mean "the client went away": routine, logged at debug rather than warn. */
const CLIENT_GONE = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT"]);

/**
 * Serves one client: echoes its lines, holds reads while the client is not reading its replies
 * (so a client can never make the server buffer without bound), and closes on a line that is too
 * long or on idleness.
 */
export function serveConnection(
  socket: Socket,
  settings: ConnectionSettings,
  logger: Logger,
  metrics: PortMetrics,
): { finish: () => void } {
  // Built on first use: a child logger per connection costs more than the echo on short connections.
  let child: Logger | undefined;
  const log = () => {
    child ??= logger.child({ remote: `${socket.remoteAddress}:${socket.remotePort}` });
    return child;
  };
  const echoer = new LineEchoer(
    settings.prefix,
    settings.maxLineBytes,
    settings.logLines
      ? (line, reply) => log().info({ request: line.toString(), response: reply.toString() }, "line")
      : undefined,
  );
  const debug = logger.isLevelEnabled("debug");
  let finishing = false;

  // Ends our side once the replies queued so far are flushed; anything the client sends afterwards is
  // read and dropped so that it cannot turn the close into a reset that destroys unread replies.
  const finish = () => {
    if (finishing) return;
    finishing = true;
    socket.resume();
    socket.end();
  };

  socket.setNoDelay(true);
  metrics.connectionOpened();
  if (debug) log().debug("connection opened");

  socket.on("data", (chunk: Buffer) => {
    if (finishing) {
      metrics.traffic(0, chunk.length, 0);
      return;
    }
    const { reply, lines, overflow } = echoer.push(chunk);
    let sent = 0;
    // Corked, several parts leave in one writev.
    if (reply.length > 1) socket.cork();
    for (const part of reply) {
      sent += part.length;
      socket.write(part);
    }
    if (reply.length > 1) socket.uncork();
    metrics.traffic(lines, chunk.length, sent);
    if (socket.writableNeedDrain) socket.pause();
    if (overflow) {
      log().warn(
        { maxLineBytes: settings.maxLineBytes },
        "line longer than --max-line-bytes: closing connection",
      );
      metrics.error("line_too_long");
      finish();
    }
  });
  socket.on("drain", () => {
    if (!finishing) socket.resume();
  });
  socket.on("end", () => {
    if (debug && echoer.heldBytes > 0)
      log().debug({ bytes: echoer.heldBytes }, "partial line at end of input dropped");
    finish();
  });
  if (settings.idleTimeoutMs > 0) {
    socket.setTimeout(settings.idleTimeoutMs, () => {
      if (debug) log().debug({ idleTimeoutMs: settings.idleTimeoutMs }, "idle timeout: closing connection");
      metrics.error("idle_timeout");
      socket.destroy();
    });
  }
  socket.on("error", (error: NodeJS.ErrnoException) => {
    const kind = error.code ?? "unknown";
    metrics.error(kind);
    if (CLIENT_GONE.has(kind)) {
      if (debug) log().debug({ err: error }, "connection error");
    } else log().warn({ err: error }, "connection error");
  });
  socket.on("close", () => {
    metrics.connectionClosed();
    if (debug) log().debug("connection closed");
  });
  return { finish };
}
