import { connect } from "node:net";
import { createInterface } from "node:readline";

/** How a conversation ended: lines sent and answered, replies that were not the echo, and how it closed. */
export interface ConversationResult {
  sent: number;
  answered: number;
  wrongReplies: number;
  reset: boolean;
}

/**
 * A client that keeps one connection and talks over it: a line, then its reply, then the next line 50 ms
 * later, until the server closes the connection (a draining server does) or `stop` is called.
 */
export function converse(
  host: string,
  port: number,
): Promise<{ ended: Promise<ConversationResult>; stop(): void }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const result: ConversationResult = { sent: 0, answered: 0, wrongReplies: 0, reset: false };
    let timer: NodeJS.Timeout | undefined;
    const send = () => {
      if (socket.writable) socket.write(`line ${++result.sent}\n`);
    };
    const ended = new Promise<ConversationResult>((done) => {
      socket.on("error", (error: NodeJS.ErrnoException) => {
        result.reset = error.code === "ECONNRESET" || error.code === "EPIPE";
      });
      socket.on("close", () => {
        clearTimeout(timer);
        done(result);
      });
    });
    createInterface({ input: socket }).on("line", (line) => {
      if (line.endsWith(` line ${result.sent}`)) result.answered++;
      else result.wrongReplies++;
      timer = setTimeout(send, 50);
    });
    socket.once("connect", () => {
      socket.off("error", reject);
      send();
      resolve({ ended, stop: () => socket.end() });
    });
    socket.once("error", reject);
  });
}
