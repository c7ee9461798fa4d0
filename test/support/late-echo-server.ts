import type { Socket } from "node:net";
import { type RogueServer, rogueServer } from "./rogue-server.js";

/**
 * A tcp-echo stand-in that answers each line `delayMs` late, byte for byte as tcp-echo would: the slower
 * new version a canary check exists for.
 */
export function lateEchoServer(prefix: string, delayMs: number): Promise<RogueServer> {
  return rogueServer((socket: Socket) => {
    let pending = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf(10); end !== -1; end = pending.indexOf(10)) {
        const reply = Buffer.concat([Buffer.from(`${prefix} `), pending.subarray(0, end + 1)]);
        pending = pending.subarray(end + 1);
        setTimeout(() => socket.writable && socket.write(reply), delayMs);
      }
    });
  });
}
