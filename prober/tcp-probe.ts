import { connect, type Socket } from "node:net";

export type ProbeErrorKind =
  | "refused"
  | "connect-timeout"
  | "unreachable"
  | "reset"
  | "read-timeout"
  | "closed-without-reply"
  | "bad-echo"
  | "other";

/** One probe's result: the version prefix that answered, or why there was no valid answer. */
export type ProbeOutcome =
  | {
      kind: "reply";
      prefix: string;
      latencyMs: number;
      /** With several lines per connection: whether every line got the same prefix. */
      sameVersion: boolean;
    }
  | { kind: "error"; error: ProbeErrorKind; detail: string; latencyMs: number };

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
  ENOTFOUND: "unreachable",
  EAI_AGAIN: "unreachable",
};

/**
 * Runs probes against one target. A probe is a fresh TCP connection (L4 gateways pick a backend per
 * connection), `linesPerConnection` lines each carrying the probe's id, each reply checked to be exactly
 * `<prefix> <line>`; the version is the prefix. One sweep timer serves the deadlines of every probe in
 * flight: a timer per probe costs more than the probe's own JavaScript.
 */
export class TcpProber {
  private readonly deadlines = new Map<() => void, number>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly options: TcpProbeOptions) {}

  /** Ends every probe in flight now, as an `other` error ("aborted"). */
  abortAll(): void {
    for (const expire of [...this.deadlines.keys()]) expire();
  }

  probe(id: string): Promise<ProbeOutcome> {
    const { options } = this;
    const started = performance.now();
    return new Promise((resolve) => {
      const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
      let connected = false;
      let buffered = "";
      let sent = "";
      let line = 0;
      let prefix: string | undefined;
      let sameVersion = true;
      let expiry = "aborted";
      let expiryKind: ProbeErrorKind = "other";

      const expire = () => fail(expiryKind, expiry);
      const finish = (outcome: ProbeOutcome) => {
        this.untrack(expire);
        socket.destroy();
        resolve(outcome);
      };
      const fail = (error: ProbeErrorKind, detail: string) =>
        finish({ kind: "error", error, detail, latencyMs: performance.now() - started });
      const arm = (ms: number, error: ProbeErrorKind) => {
        expiryKind = error;
        expiry = `no ${error === "connect-timeout" ? "connection" : "reply"} within ${ms} ms`;
        this.track(expire, performance.now() + ms);
      };
      const sendNext = () => {
        line += 1;
        sent = `${id} line=${line}`;
        socket.write(`${sent}\n`);
        arm(options.timeoutMs, "read-timeout");
      };

      arm(options.connectTimeoutMs, "connect-timeout");
      socket.setEncoding("latin1");
      socket.once("connect", () => {
        connected = true;
        sendNext();
      });
      socket.on("data", (chunk: string) => {
        buffered += chunk;
        const end = buffered.indexOf("\n");
        if (end === -1) return;
        const reply = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        const echo = ` ${sent}`;
        if (!reply.endsWith(echo) || buffered.length > 0) {
          fail(
            "bad-echo",
            `reply ${JSON.stringify(reply.slice(0, 80))} does not echo ${JSON.stringify(sent)}`,
          );
          return;
        }
        // Prefixes travel as UTF-8: decode them after the byte-exact check.
        const version = Buffer.from(reply.slice(0, reply.length - echo.length), "latin1").toString("utf8");
        if (prefix === undefined) prefix = version;
        else if (version !== prefix) sameVersion = false;
        if (line < options.linesPerConnection) sendNext();
        else finish({ kind: "reply", prefix, latencyMs: performance.now() - started, sameVersion });
      });
      socket.once("end", () => {
        if (buffered.length > 0)
          fail("bad-echo", `reply ${JSON.stringify(buffered.slice(0, 80))} ends without a newline`);
        else
          fail(
            "closed-without-reply",
            line > 1 ? `closed after ${line - 1} replies` : "closed without a reply",
          );
      });
      socket.once("error", (error: NodeJS.ErrnoException) => {
        const kind = ERROR_KINDS[error.code ?? ""] ?? "other";
        fail(connected && kind === "refused" ? "reset" : kind, error.message);
      });
    });
  }

  private track(expire: () => void, deadline: number): void {
    this.deadlines.set(expire, deadline);
    this.sweeper ??= setInterval(() => {
      const now = performance.now();
      for (const [pending, at] of this.deadlines) if (at <= now) pending();
    }, SWEEP_MS);
  }

  private untrack(expire: () => void): void {
    this.deadlines.delete(expire);
    if (this.deadlines.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
