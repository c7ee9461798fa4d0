import { type ServerKind, startServer } from "./echo-peers.js";
import { goLoad, holdIdleConnections } from "./go-load.js";

export interface ServerBenchSettings {
  seconds: number;
  connClients: number[];
  pipeClients: number[];
  /** Open connections for the request/reply mode, up to 10,000. */
  pingClients: number[];
  idleCounts: number[];
}

export interface ServerFigures {
  kind: ServerKind;
  startupMs: number;
  /** New connections per second, one line each, by concurrent clients; with latency of the whole exchange. */
  connections: Record<number, { perSecond: number; p50Micros: number; p99Micros: number; errors: number }>;
  /** Pipelined 16-byte lines per second, by concurrent clients. */
  lines: Record<number, { perSecond: number; errors: number }>;
  /** Lines per second with every connection open first, one line in flight on each, by connections. */
  exchanges: Record<number, { perSecond: number; p50Micros: number; p99Micros: number; errors: number }>;
  /** Bytes per second echoed with 64 KiB lines over 32 clients. */
  bytesPerSecond64KiB: number;
  /** Resident memory with this many idle connections open (0: none). */
  rssMegabytes: Record<number, number>;
}

/** Measures one server kind in every mode, with a fresh process, against the Go load generator. */
export async function benchServer(kind: ServerKind, settings: ServerBenchSettings): Promise<ServerFigures> {
  const server = await startServer(kind);
  try {
    const figures: ServerFigures = {
      kind,
      startupMs: server.startupMs,
      connections: {},
      lines: {},
      exchanges: {},
      bytesPerSecond64KiB: 0,
      rssMegabytes: { 0: server.rssMegabytes() },
    };
    // Memory first, on the fresh process: the throughput runs below leave buffers behind.
    for (const count of settings.idleCounts) {
      const idle = await holdIdleConnections(server.port, count);
      figures.rssMegabytes[count] = server.rssMegabytes();
      await idle.release();
    }
    for (const clients of settings.connClients) {
      const r = await goLoad("conn", server.port, clients, settings.seconds);
      figures.connections[clients] = {
        perSecond: r.perSecond,
        p50Micros: r.p50Micros,
        p99Micros: r.p99Micros,
        errors: r.errors,
      };
    }
    for (const clients of settings.pipeClients) {
      const r = await goLoad("pipe", server.port, clients, settings.seconds);
      figures.lines[clients] = { perSecond: r.perSecond, errors: r.errors };
    }
    for (const clients of settings.pingClients) {
      const r = await goLoad("ping", server.port, clients, settings.seconds);
      figures.exchanges[clients] = {
        perSecond: r.perSecond,
        p50Micros: r.p50Micros,
        p99Micros: r.p99Micros,
        errors: r.errors,
      };
    }
    figures.bytesPerSecond64KiB =
      (await goLoad("pipe", server.port, 32, settings.seconds, 65536)).bytes / settings.seconds;
    return figures;
  } finally {
    await server.stop();
  }
}
