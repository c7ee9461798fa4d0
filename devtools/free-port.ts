import { once } from "node:events";
import { createServer } from "node:net";

/**
 * A free loopback port, for programs that cannot bind port 0 and report it (HAProxy, nginx, the Go
 * peers): the OS picks one here and it is released just before the program binds it, so a caller must
 * expect, and retry, a lost race.
 */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
