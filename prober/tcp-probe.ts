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
  signal?: AbortSignal | undefined;
}

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
 * One probe: a fresh TCP connection (L4 gateways pick a backend per connection), `linesPerConnection`
 * lines each carrying `id`, each reply checked to be exactly `<prefix> <line>`; the version is the prefix.
 */
export function tcpProbe(id: string, options: TcpProbeOptions): Promise<ProbeOutcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: options.host, port: options.port, noDelay: true });
    let connected = false;
    let buffered = "";
    let sent = "";
    let line = 0;
    let prefix: string | undefined;
    let sameVersion = true;
    let timer: NodeJS.Timeout | undefined;

    const finish = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const fail = (error: ProbeErrorKind, detail: string) =>
      finish({ kind: "error", error, detail, latencyMs: performance.now() - started });
    const arm = (ms: number, error: ProbeErrorKind) => {
      clearTimeout(timer);
      timer = setTimeout(
        () => fail(error, `no ${error === "connect-timeout" ? "connection" : "reply"} within ${ms} ms`),
        ms,
      );
    };
    const sendNext = () => {
      line += 1;
      sent = `${id} line=${line}`;
      socket.write(`${sent}\n`);
      arm(options.timeoutMs, "read-timeout");
    };
    const onAbort = () => fail("other", "aborted");

    options.signal?.addEventListener("abort", onAbort, { once: true });
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
        fail("bad-echo", `reply ${JSON.stringify(reply.slice(0, 80))} does not echo ${JSON.stringify(sent)}`);
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
