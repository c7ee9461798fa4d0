const NEWLINE = 0x0a;

/** What one chunk of input produced: the bytes to send back, and whether the line limit was broken. */
export interface EchoChunkResult {
  /** `<prefix> <line>` for every line completed by the chunk, concatenated; undefined when none was. */
  reply: Buffer | undefined;
  /** Number of complete lines answered in `reply`. */
  lines: number;
  /** True when a line grew past the limit: the connection must close after `reply` is sent. */
  overflow: boolean;
}

/**
 * Turns a byte stream into replies `<prefix> <line>` for each `\n`-terminated line, byte for byte.
 * One reply buffer per input chunk keeps syscalls per chunk, not per line (the Go original writes
 * once per line). A trailing partial line is held until its newline arrives.
 */
export class LineEchoer {
  private readonly head: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    prefix: string,
    private readonly maxLineBytes: number,
    private readonly onLine?: (line: Buffer, reply: Buffer) => void,
  ) {
    this.head = Buffer.from(`${prefix} `, "utf8");
  }

  /** Bytes of an unterminated line held back, waiting for its newline. */
  get heldBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): EchoChunkResult {
    const ends: number[] = [];
    let overflow = false;
    let lineStart = 0;
    let carried = this.pendingBytes;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, nl + 1)) {
      if (carried + nl - lineStart > this.maxLineBytes) {
        overflow = true;
        break;
      }
      ends.push(nl);
      lineStart = nl + 1;
      carried = 0;
    }
    if (!overflow && carried + chunk.length - lineStart > this.maxLineBytes) {
      overflow = true;
    }
    const reply = ends.length > 0 ? this.buildReply(chunk, ends) : undefined;
    if (overflow) {
      this.pending = [];
      this.pendingBytes = 0;
    } else if (lineStart < chunk.length) {
      this.pending.push(chunk.subarray(lineStart));
      this.pendingBytes += chunk.length - lineStart;
    }
    return { reply, lines: ends.length, overflow };
  }

  private buildReply(chunk: Buffer, ends: number[]): Buffer {
    const head = this.head;
    const lastEnd = ends[ends.length - 1] as number;
    const size = ends.length * head.length + this.pendingBytes + lastEnd + 1;
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    let start = 0;
    for (const end of ends) {
      const replyStart = at;
      at += head.copy(out, at);
      if (start === 0 && this.pendingBytes > 0) {
        for (const part of this.pending) at += part.copy(out, at);
        this.pending = [];
        this.pendingBytes = 0;
      }
      at += chunk.copy(out, at, start, end + 1);
      start = end + 1;
      if (this.onLine) {
        const reply = out.subarray(replyStart, at);
        this.onLine(reply.subarray(head.length), reply);
      }
    }
    return out;
  }
}
