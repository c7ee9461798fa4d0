import { connect, createServer, type Server, type Socket } from "node:net";
import { listen } from "../common/listen.js";

export interface Backend {
  host: string;
  port: number;
  weight: number;
}

export interface WeightedSplitter {
  readonly port: number;
  /** Changes the weights for connections accepted from now on; open connections keep their backend. */
  setBackends(backends: Backend[]): void;
  close(): Promise<void>;
}

/**
 * Picks one of `choices` with probability proportional to its weight, as Envoy's weighted clusters do,
 * from a uniform `random` in [0, 1); weight 0 is never picked.
 */
export function pickBackend<T extends { weight: number }>(choices: T[], random: number): T | undefined {
  const total = choices.reduce((sum, choice) => sum + choice.weight, 0);
  let point = random * total;
  for (const choice of choices) {
    if (choice.weight <= 0) continue;
    point -= choice.weight;
    if (point < 0) return choice;
  }
  return choices.findLast((choice) => choice.weight > 0);
}

function validate(backends: Backend[]): Backend[] {
  if (backends.some((b) => !(b.weight >= 0))) throw new Error("backend weights must be numbers >= 0");
  if (!backends.some((b) => b.weight > 0)) throw new Error("at least one backend needs a weight above 0");
  return [...backends];
}

/**
 * A local stand-in for a mesh's weighted TCP route: each accepted connection is piped, whole, to one
 * backend chosen at random by weight. For demos and local checks, not for production traffic.
 */
export async function startWeightedSplitter(
  backends: Backend[],
  options: { port?: number; host?: string } = {},
): Promise<WeightedSplitter> {
  let current = validate(backends);
  const open = new Set<Socket>();
  // Half-open on both legs, so a client's end of input reaches the backend and the replies still come back.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const backend = pickBackend(current, Math.random()) as Backend;
    const upstream = connect({ host: backend.host, port: backend.port, noDelay: true, allowHalfOpen: true });
    client.setNoDelay(true);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on("close", () => open.delete(socket));
    }
    // Either side failing ends both: the client sees a reset, as behind a real proxy.
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const port = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  return {
    port,
    setBackends(next) {
      current = validate(next);
    },
    close() {
      for (const socket of open) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
