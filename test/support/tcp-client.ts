import { connect, type Socket } from "node:net";

/** Connects; with `allowHalfOpen` the client keeps its side open after the server closes its own. */
export function openConnection(port: number, host = "127.0.0.1", allowHalfOpen = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host, noDelay: true, allowHalfOpen }, () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/** Collects everything the peer sends until it closes its side. */
export function readUntilEnd(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("end", () => resolve(Buffer.concat(chunks)));
    socket.once("error", reject);
  });
}

/** Resolves once `bytes` bytes have arrived, with everything received so far. */
export function readAtLeast(socket: Socket, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= bytes) {
        socket.off("data", onData);
        socket.off("error", reject);
        socket.off("end", onEnd);
        resolve(Buffer.concat(chunks));
      }
    };
    const onEnd = () => reject(new Error(`connection ended after ${total} of ${bytes} bytes`));
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("error", reject);
  });
}

/**
 * Sends each piece as its own write (waiting for it to be handed to the kernel), then half-closes,
 * and returns all the server sent back before closing.
 */
export async function exchange(
  port: number,
  pieces: (Buffer | string)[],
  host = "127.0.0.1",
): Promise<Buffer> {
  const socket = await openConnection(port, host);
  const reply = readUntilEnd(socket);
  for (const piece of pieces) {
    await new Promise<void>((resolve, reject) =>
      socket.write(piece, (error) => (error ? reject(error) : resolve())),
    );
  }
  socket.end();
  const result = await reply;
  socket.destroy();
  return result;
}
