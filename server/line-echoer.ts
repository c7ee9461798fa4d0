const NEWLINE = 0x0a;
/** Segments shorter than this are copied byte by byte in JS: cheaper than a native copy call. */
const NATIVE_COPY_FROM = 64;

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
 * Newline positions of the chunk being echoed, shared by every connection: push() fills and consumes it
 * synchronously, and one allocation per connection would cost more than a short connection's echo.
 */
let ends = new Int32Array(1024);

function copyInto(target: Buffer, at: number, source: Uint8Array, start: number, end: number): number {
  if (end - start >= NATIVE_COPY_FROM) {
    target.set(source.subarray(start, end), at);
    return at + end - start;
  }
  let to = at;
  for (let i = start; i < end; i++) target[to++] = source[i] as number;
  return to;
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
    let count = 0;
    let overflow = false;
    let lineStart = 0;
    let carried = this.pendingBytes;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) {
      if (carried + i - lineStart > this.maxLineBytes) {
        overflow = true;
        break;
      }
      if (count === ends.length) {
        const grown = new Int32Array(count * 2);
        grown.set(ends);
        ends = grown;
      }
      ends[count++] = i;
      lineStart = i + 1;
      carried = 0;
    }
    if (!overflow && carried + chunk.length - lineStart > this.maxLineBytes) overflow = true;
    const reply = count > 0 ? this.buildReply(chunk, count) : undefined;
    if (overflow) {
      this.pending = [];
      this.pendingBytes = 0;
    } else if (lineStart < chunk.length) {
      this.pending.push(chunk.subarray(lineStart));
      this.pendingBytes += chunk.length - lineStart;
    }
    return { reply, lines: count, overflow };
  }

  private buildReply(chunk: Buffer, count: number): Buffer {
    const head = this.head;
    const lastEnd = ends[count - 1] as number;
    const out = Buffer.allocUnsafe(count * head.length + this.pendingBytes + lastEnd + 1);
    let at = 0;
    let start = 0;
    for (let n = 0; n < count; n++) {
      const end = (ends[n] as number) + 1;
      const replyStart = at;
      at = copyInto(out, at, head, 0, head.length);
      if (n === 0 && this.pendingBytes > 0) {
        for (const part of this.pending) at = copyInto(out, at, part, 0, part.length);
        this.pending = [];
        this.pendingBytes = 0;
      }
      at = copyInto(out, at, chunk, start, end);
      start = end;
      if (this.onLine) {
        const reply = out.subarray(replyStart, at);
        this.onLine(reply.subarray(head.length), reply);
      }
    }
    return out;
  }
}
