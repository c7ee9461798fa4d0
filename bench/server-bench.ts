import { type RunningServer, type ServerKind, startServer } from "./echo-peers.js";
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

/** Runs `measure` against a fresh server of the kind, stopped afterwards. */
async function withServer<T>(kind: ServerKind, measure: (server: RunningServer) => Promise<T>): Promise<T> {
  const server = await startServer(kind);
  try {
    return await measure(server);
  } finally {
    await server.stop();
  }
}

/**
 * Measures every server kind in every mode against the Go load generator. Each figure is taken for all
 * kinds back to back, so that the machine's drift over minutes (the Go anchor alone moved by half between
 * runs) falls on every kind alike, and each on a fresh process: a slow server (Istio's logs every line)
 * is still answering a pipelined run's backlog long after its clients have gone.
 */
export async function benchServers(
  kinds: ServerKind[],
  settings: ServerBenchSettings,
): Promise<ServerFigures[]> {
  const all = kinds.map(
    (kind): ServerFigures => ({
      kind,
      startupMs: 0,
      connections: {},
      lines: {},
      exchanges: {},
      bytesPerSecond64KiB: 0,
      rssMegabytes: {},
    }),
  );
  for (const figures of all) {
    await withServer(figures.kind, async (server) => {
      figures.startupMs = server.startupMs;
      figures.rssMegabytes[0] = server.rssMegabytes();
      for (const count of settings.idleCounts) {
        const idle = await holdIdleConnections(server.port, count);
        figures.rssMegabytes[count] = server.rssMegabytes();
        await idle.release();
      }
    });
  }
  // A moment of one-line connections first warms a JIT without leaving any backlog behind.
  const load = (kind: ServerKind, mode: "conn" | "ping" | "pipe", clients: number, lineBytes?: number) =>
    withServer(kind, async (server) => {
      await goLoad("conn", server.port, 1, Math.min(0.2, settings.seconds));
      return goLoad(mode, server.port, clients, settings.seconds, lineBytes);
    });
  for (const clients of settings.connClients) {
    for (const figures of all) {
      const { perSecond, p50Micros, p99Micros, errors } = await load(figures.kind, "conn", clients);
      figures.connections[clients] = { perSecond, p50Micros, p99Micros, errors };
    }
  }
  for (const clients of settings.pingClients) {
    for (const figures of all) {
      const { perSecond, p50Micros, p99Micros, errors } = await load(figures.kind, "ping", clients);
      figures.exchanges[clients] = { perSecond, p50Micros, p99Micros, errors };
    }
  }
  for (const clients of settings.pipeClients) {
    for (const figures of all) {
      const { perSecond, errors } = await load(figures.kind, "pipe", clients);
      figures.lines[clients] = { perSecond, errors };
    }
  }
  for (const figures of all) {
    figures.bytesPerSecond64KiB = (await load(figures.kind, "pipe", 32, 65536)).bytes / settings.seconds;
  }
  return all;
}
