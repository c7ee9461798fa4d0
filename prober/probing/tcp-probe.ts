import { connect, type Socket } from "node:net";

import type { ProbeErrorKind, ProbeOutcome } from "../probe-outcome.js";
import { decodeUntrusted } from "../untrusted-text.js";

export interface TcpProbeOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** Longest wait for each reply line. */
  timeoutMs: number;
  linesPerConnection: number;
}

/** How often deadlines are checked: timeouts fire up to this much late. */
const SWEEP_MS = 25;

const ERROR_KINDS: Record<string, ProbeErrorKind> = {
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  ETIMEDOUT: "unreachable",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  ENOTFOUND: "unresolved",
  EAI_AGAIN: "unresolved",
  EAI_FAIL: "unresolved",
  EAI_NONAME: "unresolved",
};

/**
 * The longest version prefix a reply may carry, in bytes. A reply is `<prefix> <line sent>`, so a probe
 * never needs to hold more than this plus its own line: a target that streams bytes without a newline is
 * a bad echo as soon as it passes that, and cannot grow the prober's memory.
 */
export const MAX_PREFIX_BYTES = 256;

/** Where a probe's socket keeps its attempt: the listeners are shared functions, not closures per probe. */
const ATTEMPT = Symbol("probe attempt");
type ProbeSocket = Socket & { [ATTEMPT]: ProbeAttempt };

const SPACE = 0x20;
const NEWLINE = 0x0a;
/** How much of a bad reply an error message quotes. */
const QUOTED_BYTES = 80;
const quote = (bytes: Buffer) => JSON.stringify(bytes.toString("latin1", 0, QUOTED_BYTES));

/**
 * Runs probes against one target. A probe is a fresh TCP connection (L4 gateways pick a backend per
 * connection), `linesPerConnection` lines each carrying the probe's id, each reply checked to be exactly
 * `<prefix> <line>`; the version is the prefix. One sweep timer serves the deadlines of every probe in
 * flight, and each probe is one object with shared listeners: at thousands of probes a second, a timer
 * and a handful of closures per probe cost more than the probe's own work.
 */
export class TcpProber {
  private readonly deadlines = new DeadlineSweep();

  constructor(private readonly options: TcpProbeOptions) {}

  /** Ends every probe in flight now, as an `other` error ("aborted"). */
  abortAll(): void {
    for (const attempt of this.deadlines.pending()) attempt.fail("other", "aborted");
  }

  probe(id: string): Promise<ProbeOutcome> {
    const { host, port } = this.options;
    return new Promise((resolve) => {
      const socket = connect({ host, port, noDelay: true }) as ProbeSocket;
      socket[ATTEMPT] = new ProbeAttempt(this.options, this.deadlines, socket, id, resolve);
      socket.once("connect", onConnect);
      socket.on("data", onData);
      socket.once("end", onEnd);
      socket.once("error", onError);
    });
  }
}

/** The deadlines of the probes in flight, checked by one timer that runs only while there are some. */
class DeadlineSweep {
  private readonly deadlines = new Map<ProbeAttempt, number>();
  private sweeper: NodeJS.Timeout | undefined;

  pending(): ProbeAttempt[] {
    return [...this.deadlines.keys()];
  }

  track(attempt: ProbeAttempt, deadline: number): void {
    this.deadlines.set(attempt, deadline);
    this.sweeper ??= setInterval(() => {
      const now = performance.now();
      for (const [pending, at] of this.deadlines) if (at <= now) pending.expire();
    }, SWEEP_MS);
  }

  untrack(attempt: ProbeAttempt): void {
    this.deadlines.delete(attempt);
    if (this.deadlines.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}

/** One probe in flight: its connection, the line awaiting a reply and the version seen so far. */
class ProbeAttempt {
  private readonly started = performance.now();
  connected = false;
  /** Lines sent so far; the last one awaits its reply. */
  line = 0;
  /** The line awaiting its reply, newline included, as sent. */
  private sent: Buffer | undefined;
  /** Reply bytes received and not yet answered by a newline. */
  buffered: Buffer | undefined;
  private prefix: string | undefined;
  private sameVersion = true;
  private expiryKind: "connect-timeout" | "read-timeout" = "connect-timeout";

  constructor(
    private readonly options: TcpProbeOptions,
    private readonly deadlines: DeadlineSweep,
    private readonly socket: Socket,
    private readonly id: string,
    private readonly resolve: (outcome: ProbeOutcome) => void,
  ) {
    this.arm("connect-timeout");
  }

  sendNext(): void {
    this.line += 1;
    this.sent = Buffer.from(`${this.id} line=${this.line}\n`);
    this.socket.write(this.sent);
    this.arm("read-timeout");
  }

  /** Takes reply bytes: checks the line they complete, then sends the next line or finishes. */
  receive(chunk: Buffer): void {
    const bytes = this.buffered === undefined ? chunk : Buffer.concat([this.buffered, chunk]);
    const end = bytes.indexOf(NEWLINE);
    const sent = this.sent as Buffer;
    if (end === -1) {
      if (bytes.length > MAX_PREFIX_BYTES + 1 + sent.length) {
        this.fail(
          "bad-echo",
          `reply ${quote(bytes)}... longer than a prefix of ${MAX_PREFIX_BYTES} bytes allows`,
        );
        return;
      }
      this.buffered = bytes;
      return;
    }
    this.buffered = undefined;
    // The reply must be `<prefix> <sent line>` and nothing after it: `sent` ends with the newline.
    const prefixEnd = end - sent.length;
    const echoes =
      prefixEnd >= 0 &&
      prefixEnd <= MAX_PREFIX_BYTES &&
      bytes[prefixEnd] === SPACE &&
      bytes.compare(sent, 0, sent.length, prefixEnd + 1, end + 1) === 0 &&
      end + 1 === bytes.length;
    if (!echoes) {
      const line = JSON.stringify(sent.toString("utf8", 0, sent.length - 1));
      this.fail("bad-echo", `reply ${quote(bytes.subarray(0, end))} does not echo ${line}`);
      return;
    }
    // Prefixes travel as UTF-8: decoded only after the byte-exact check, a byte that is not kept as such.
    const version = decodeUntrusted(bytes.subarray(0, prefixEnd));
    if (this.prefix === undefined) this.prefix = version;
    else if (version !== this.prefix) this.sameVersion = false;
    if (this.line < this.options.linesPerConnection) this.sendNext();
    else
      this.finish({
        kind: "reply",
        prefix: this.prefix,
        latencyMs: performance.now() - this.started,
        sameVersion: this.sameVersion,
      });
  }

  expire(): void {
    const connecting = this.expiryKind === "connect-timeout";
    const ms = connecting ? this.options.connectTimeoutMs : this.options.timeoutMs;
    this.fail(this.expiryKind, `no ${connecting ? "connection" : "reply"} within ${ms} ms`);
  }

  fail(error: ProbeErrorKind, detail: string): void {
    this.finish({ kind: "error", error, detail, latencyMs: performance.now() - this.started });
  }

  private arm(kind: "connect-timeout" | "read-timeout"): void {
    this.expiryKind = kind;
    const ms = kind === "connect-timeout" ? this.options.connectTimeoutMs : this.options.timeoutMs;
    this.deadlines.track(this, performance.now() + ms);
  }

  private finish(outcome: ProbeOutcome): void {
    this.deadlines.untrack(this);
    this.socket.destroy();
    this.resolve(outcome);
  }
}

function onConnect(this: ProbeSocket): void {
  this[ATTEMPT].connected = true;
  this[ATTEMPT].sendNext();
}

function onData(this: ProbeSocket, chunk: Buffer): void {
  this[ATTEMPT].receive(chunk);
}

function onEnd(this: ProbeSocket): void {
  const attempt = this[ATTEMPT];
  if (attempt.buffered !== undefined)
    attempt.fail("bad-echo", `reply ${quote(attempt.buffered)} ends without a newline`);
  else
    attempt.fail(
      "closed-without-reply",
      attempt.line > 1 ? `closed after ${attempt.line - 1} replies` : "closed without a reply",
    );
}

function onError(this: ProbeSocket, error: NodeJS.ErrnoException): void {
  const attempt = this[ATTEMPT];
  const kind = ERROR_KINDS[error.code ?? ""] ?? "other";
  attempt.fail(attempt.connected && kind === "refused" ? "reset" : kind, error.message);
}
