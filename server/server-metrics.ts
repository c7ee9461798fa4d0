import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge } from "prom-client";

/** What one listening port counts, on the hot path of every read. */
export interface PortMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  connectionRejected(): void;
  traffic(lines: number, bytesIn: number, bytesOut: number): void;
  error(kind: string): void;
}

type Tally = "connections" | "rejected" | "lines" | "bytesIn" | "bytesOut";

/** One port's figures as plain numbers, and the labels they are reported under. */
interface PortTallies extends Record<Tally, number> {
  labels: { port: string; prefix: string };
  active: number;
}

/**
 * The server's Prometheus registry: connections, lines, bytes and errors by port and prefix. Reads add
 * to plain numbers and each scrape copies them into prom-client: its own inc() builds a label key on
 * every call, a cost paid per read that a request/reply client pays per line.
 */
export class ServerMetrics {
  /** An AggregatorRegistry so that, in a --workers process, it answers the primary's /metrics requests. */
  readonly registry = new AggregatorRegistry();
  private readonly ports: PortTallies[] = [];
  private readonly errors: Counter<"port" | "prefix" | "kind">;

  constructor() {
    const registers = [this.registry];
    const labelNames = ["port", "prefix"] as const;
    const ports = this.ports;
    collectDefaultMetrics({ register: this.registry, prefix: "tcp_echo_" });
    new Gauge({
      name: "tcp_echo_connections_active",
      help: "Client connections open now",
      labelNames,
      registers,
      collect() {
        for (const port of ports) this.set(port.labels, port.active);
      },
    });
    const counter = (name: string, help: string, tally: Tally) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset();
          for (const port of ports) this.inc(port.labels, port[tally]);
        },
      });
    counter("tcp_echo_connections_total", "Client connections accepted", "connections");
    counter(
      "tcp_echo_connections_rejected_total",
      "Client connections closed at once because --max-connections was reached",
      "rejected",
    );
    counter("tcp_echo_lines_total", "Lines echoed", "lines");
    counter("tcp_echo_received_bytes_total", "Bytes received from clients", "bytesIn");
    counter("tcp_echo_sent_bytes_total", "Bytes sent to clients", "bytesOut");
    this.errors = new Counter({
      name: "tcp_echo_errors_total",
      help: "Errors by kind (socket error codes, line_too_long, idle_timeout, accept)",
      labelNames: ["port", "prefix", "kind"],
      registers,
    });
  }

  forPort(port: number, prefix: string): PortMetrics {
    const tallies: PortTallies = {
      labels: { port: String(port), prefix },
      active: 0,
      connections: 0,
      rejected: 0,
      lines: 0,
      bytesIn: 0,
      bytesOut: 0,
    };
    this.ports.push(tallies);
    return {
      connectionOpened: () => {
        tallies.active += 1;
        tallies.connections += 1;
      },
      connectionClosed: () => {
        tallies.active -= 1;
      },
      connectionRejected: () => {
        tallies.rejected += 1;
      },
      traffic: (lines, bytesIn, bytesOut) => {
        tallies.lines += lines;
        tallies.bytesIn += bytesIn;
        tallies.bytesOut += bytesOut;
      },
      error: (kind) => this.errors.inc({ ...tallies.labels, kind }),
    };
  }
}
