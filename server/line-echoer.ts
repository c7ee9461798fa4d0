import { readFileSync } from "node:fs";

const NEWLINE = 0x0a;
/** Output region of the reply kernel: one call answers a typical 64 KiB read in full. */
const MIN_OUTPUT_BYTES = 256 * 1024;
const PAGE_BYTES = 65_536;
/** The kernel reads and writes whole 16-byte blocks, so every region has this much slack. */
const SLACK = 16;

/** A line at least this long is sent as the bytes it arrived in, uncopied, behind the head. */
const DIRECT_FROM = 1024;

/** What one chunk of input produced: the bytes to send back, and whether the line limit was broken. */
export interface EchoChunkResult {
  /** `<prefix> <line>` for every line completed by the chunk, in order, in one or more parts. */
  reply: Buffer[];
  /** Number of complete lines answered in `reply`. */
  lines: number;
  /** True when a line grew past the limit: the connection must close after `reply` is sent. */
  overflow: boolean;
}

/** The part of Node's WebAssembly used here: its TypeScript types live in lib.dom, left out of this project. */
declare const WebAssembly: {
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer; grow(pages: number): number };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};
type KernelGlobal = { value: number };

/** The exports of `wasm/reply-kernel.wasm` (its AssemblyScript source documents them). */
interface ReplyKernel {
  echo(
    input: number,
    length: number,
    head: number,
    headLength: number,
    output: number,
    capacity: number,
    ends: number,
    maxLineBytes: number,
  ): number;
  consumed: KernelGlobal;
  written: KernelGlobal;
  overflow: KernelGlobal;
  full: KernelGlobal;
}

/**
 * One kernel and one memory for every connection: push() copies a chunk in, runs the kernel and copies
 * the reply out synchronously, so nothing in the memory outlives the call.
 */
const memory = new WebAssembly.Memory({ initial: 16 });
const kernel = new WebAssembly.Instance(
  new WebAssembly.Module(readFileSync(new URL("./wasm/reply-kernel.wasm", import.meta.url))),
  { env: { memory } },
).exports as unknown as ReplyKernel;

/** A view of the kernel's memory, made again only when the memory grows (growing detaches the old one). */
let bytes = new Uint8Array(memory.buffer);

const align = (size: number) => Math.ceil((size + SLACK) / SLACK) * SLACK;

/** Places head, input, reply ends and output in the kernel's memory, growing it when they do not fit. */
function layout(headBytes: number, inputBytes: number) {
  const capacity = align(Math.max(MIN_OUTPUT_BYTES, headBytes + inputBytes));
  const input = align(headBytes);
  // Every reply holds at least the head's space and a newline: at most capacity / 2 of them fit.
  const ends = input + align(inputBytes);
  const output = ends + capacity * 2;
  const needed = output + capacity - memory.buffer.byteLength;
  if (needed > 0) {
    memory.grow(Math.ceil(needed / PAGE_BYTES));
    bytes = new Uint8Array(memory.buffer);
  }
  return { head: 0, input, ends, output, capacity };
}

/**
 * Turns a byte stream into replies `<prefix> <line>` for each `\n`-terminated line, byte for byte.
 * The replies to one input chunk leave in one write (the Go original writes once per line): short
 * lines through the reply kernel, long ones as the bytes they came in. A trailing partial line is held
 * until its newline arrives.
 */
export class LineEchoer {
  private readonly head: Buffer;
  private readonly maxLineBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(
    prefix: string,
    maxLineBytes: number,
    private readonly onLine?: (line: Buffer, reply: Buffer) => void,
  ) {
    this.head = Buffer.from(`${prefix} `, "utf8");
    // The kernel takes the limit as 32 bits; the input it sees is a read of at most 64 KiB and a short held part.
    this.maxLineBytes = Math.min(maxLineBytes, 0xffff_ffff);
  }

  /** Bytes of an unterminated line held back, waiting for its newline. */
  get heldBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer): EchoChunkResult {
    const first = chunk.indexOf(NEWLINE);
    if (first === -1) return this.hold(chunk, []);
    if (this.pendingBytes + first < DIRECT_FROM) return this.echoShortLines(chunk, []);
    if (this.pendingBytes + first > this.maxLineBytes) return this.hold(chunk, []);
    // A long first line: its bytes go out as they came, one write of several parts, not three copies.
    const reply = [this.head, ...this.pending, chunk.subarray(0, first + 1)];
    this.pending = [];
    this.pendingBytes = 0;
    if (this.onLine) this.onLine(Buffer.concat(reply.slice(1)), Buffer.concat(reply));
    const rest = chunk.subarray(first + 1);
    const result = rest.indexOf(NEWLINE) === -1 ? this.hold(rest, reply) : this.echoShortLines(rest, reply);
    return { ...result, lines: result.lines + 1 };
  }

  /** Answers every line of the held bytes and `chunk` through the reply kernel, after `reply`. */
  private echoShortLines(chunk: Buffer, reply: Buffer[]): EchoChunkResult {
    const held = this.pendingBytes;
    const length = held + chunk.length;
    const region = layout(this.head.length, length);
    bytes.set(this.head, region.head);
    let at = region.input;
    for (const part of this.pending) {
      bytes.set(part, at);
      at += part.length;
    }
    bytes.set(chunk, at);
    this.pending = [];
    this.pendingBytes = 0;

    let lines = 0;
    let from = 0;
    do {
      const count = kernel.echo(
        region.input + from,
        length - from,
        region.head,
        this.head.length,
        region.output,
        region.capacity,
        this.onLine ? region.ends : 0,
        this.maxLineBytes,
      );
      if (count > 0) {
        const written = kernel.written.value;
        const part = Buffer.allocUnsafe(written);
        part.set(bytes.subarray(region.output, region.output + written));
        reply.push(part);
        if (this.onLine) this.reportLines(part, new Uint32Array(memory.buffer, region.ends, count));
      }
      lines += count;
      from += kernel.consumed.value;
    } while (kernel.full.value);

    const overflow = kernel.overflow.value === 1;
    if (!overflow && from < length) {
      this.pending.push(chunk.subarray(from - held));
      this.pendingBytes = length - from;
    }
    return { reply, lines, overflow };
  }

  /** Keeps an unterminated line for later, or reports overflow when it has grown past the limit. */
  private hold(chunk: Buffer, reply: Buffer[]): EchoChunkResult {
    const overflow = this.pendingBytes + chunk.length > this.maxLineBytes;
    if (overflow) {
      this.pending = [];
      this.pendingBytes = 0;
    } else {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    return { reply, lines: 0, overflow };
  }

  private reportLines(reply: Buffer, ends: Uint32Array): void {
    let start = 0;
    for (const end of ends) {
      const line = reply.subarray(start, end);
      this.onLine?.(line.subarray(this.head.length), line);
      start = end;
    }
  }
}
