import { once } from "node:events";
import { createServer } from "node:net";

export interface OccupiedPort {
  port: number;
  release(): Promise<void>;
}

/** A loopback port held by a bare listener: a server told to listen there fails with EADDRINUSE. */
export async function occupyPort(): Promise<OccupiedPort> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    release: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
