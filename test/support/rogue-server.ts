import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";

export interface RogueServer {
  port: number;
  close(): Promise<void>;
}

/** A real TCP server in the test process whose behaviour per connection is given. */
export async function rogueServer(onConnection: (socket: Socket) => void): Promise<RogueServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    onConnection(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A backend that echoes every line as tcp-echo does, with `prefix` (its bytes as they are: hostile ones too). */
export const prefixingEcho = (prefix: Buffer) =>
  rogueServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf(10); end >= 0; end = pending.indexOf(10)) {
        socket.write(Buffer.concat([prefix, Buffer.from(" "), pending.subarray(0, end + 1)]));
        pending = pending.subarray(end + 1);
      }
    });
  });
