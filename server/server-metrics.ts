import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge } from "prom-client";

/** Counters for one listening port, bound to its label values once so the hot path does no lookups. */
export interface PortMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  connectionRejected(): void;
  traffic(lines: number, bytesIn: number, bytesOut: number): void;
  error(kind: string): void;
}

/** The server's Prometheus registry: connections, lines, bytes and errors by port and prefix. */
export class ServerMetrics {
  /** An AggregatorRegistry so that, in a --workers process, it answers the primary's /metrics requests. */
  readonly registry = new AggregatorRegistry();
  private readonly active: Gauge<"port" | "prefix">;
  private readonly connections: Counter<"port" | "prefix">;
  private readonly rejected: Counter<"port" | "prefix">;
  private readonly lines: Counter<"port" | "prefix">;
  private readonly bytesIn: Counter<"port" | "prefix">;
  private readonly bytesOut: Counter<"port" | "prefix">;
  private readonly errors: Counter<"port" | "prefix" | "kind">;

  constructor() {
    const registers = [this.registry];
    const labelNames = ["port", "prefix"] as const;
    collectDefaultMetrics({ register: this.registry, prefix: "tcp_echo_" });
    this.active = new Gauge({
      name: "tcp_echo_connections_active",
      help: "Client connections open now",
      labelNames,
      registers,
    });
    this.connections = new Counter({
      name: "tcp_echo_connections_total",
      help: "Client connections accepted",
      labelNames,
      registers,
    });
    this.rejected = new Counter({
      name: "tcp_echo_connections_rejected_total",
      help: "Client connections closed at once because --max-connections was reached",
      labelNames,
      registers,
    });
    this.lines = new Counter({
      name: "tcp_echo_lines_total",
      help: "Lines echoed",
      labelNames,
      registers,
    });
    this.bytesIn = new Counter({
      name: "tcp_echo_received_bytes_total",
      help: "Bytes received from clients",
      labelNames,
      registers,
    });
    this.bytesOut = new Counter({
      name: "tcp_echo_sent_bytes_total",
      help: "Bytes sent to clients",
      labelNames,
      registers,
    });
    this.errors = new Counter({
      name: "tcp_echo_errors_total",
      help: "Errors by kind (socket error codes, line_too_long, idle_timeout, accept)",
      labelNames: ["port", "prefix", "kind"],
      registers,
    });
  }

  forPort(port: number, prefix: string): PortMetrics {
    const labels = { port: String(port), prefix };
    const active = this.active.labels(labels);
    const connections = this.connections.labels(labels);
    const rejected = this.rejected.labels(labels);
    const lines = this.lines.labels(labels);
    const bytesIn = this.bytesIn.labels(labels);
    const bytesOut = this.bytesOut.labels(labels);
    // Zero-initialised series show up on the first scrape, before any traffic.
    for (const counter of [connections, rejected, lines, bytesIn, bytesOut]) counter.inc(0);
    active.set(0);
    return {
      connectionOpened: () => {
        active.inc();
        connections.inc();
      },
      connectionClosed: () => active.dec(),
      connectionRejected: () => rejected.inc(),
      traffic: (count, inBytes, outBytes) => {
        lines.inc(count);
        bytesIn.inc(inBytes);
        bytesOut.inc(outBytes);
      },
      error: (kind) => this.errors.inc({ ...labels, kind }),
    };
  }
}
