#!/usr/bin/env node
import cluster from "node:cluster";
import { type Logger, pino } from "pino";
import { AggregatorRegistry } from "prom-client";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { parseOrExit, withCliConventions } from "../common/cli-conventions.js";
import { EXIT_SOFTWARE, exitWithError } from "../common/cli-failure.js";
import { type AdminServerOptions, startAdminServer } from "./admin-server.js";
import { startEchoServer } from "./echo-server.js";
import { ListenError } from "./listen.js";
import { ServerMetrics } from "./server-metrics.js";
import { type ServerSettings, settingsFromArguments } from "./server-settings.js";
import { startWorkerCluster, type WorkerReport, WorkerStartError } from "./worker-cluster.js";

/** Exit codes (sysexits.h): documented in `--help` and the README. */
const EXIT_UNAVAILABLE = 69; // address in use or not available
const EXIT_NO_PERMISSION = 77;

const PROGRAM = "tcp-echo";

function parseArguments(argv: string[]): ServerSettings {
  const parser = yargs(argv)
    .scriptName(PROGRAM)
    .usage(
      "$0 <ports> <prefix> [options]\n\nAnswers every line a client sends with `<prefix> <line>`, byte for byte, on each of the comma-separated <ports>. A drop-in for Istio's tcp-echo sample image.",
    )
    .command("$0 [ports] [prefix]", false)
    .positional("ports", { type: "string", describe: "comma-separated TCP ports, e.g. 9000,9001" })
    .positional("prefix", { type: "string", describe: "prefix of every reply (spaces and Unicode allowed)" })
    .env("TCP_ECHO")
    .options({
      host: { type: "string", describe: "bind only this address (default: every IPv6 and IPv4 address)" },
      "log-level": {
        choices: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
        default: "info",
        describe: "pino log level",
      },
      "log-lines": { type: "boolean", default: false, describe: "log every request and reply line (slow)" },
      "max-line-bytes": {
        type: "number",
        default: 1048576,
        describe: "longest line accepted; a longer one closes its connection",
      },
      "idle-timeout": {
        type: "number",
        default: 3600,
        describe: "seconds without traffic before a connection is closed; 0: never",
      },
      "max-connections": {
        type: "number",
        default: 10000,
        describe: "open connections per port; more are closed at once; 0: no limit",
      },
      "drain-timeout": {
        type: "number",
        default: 5,
        describe: "seconds SIGTERM/SIGINT waits for connections to close",
      },
      "admin-port": {
        type: "number",
        describe: "HTTP port for /healthz, /readyz and /metrics (off when unset)",
      },
      workers: {
        type: "string",
        default: "1",
        describe:
          "processes serving connections, sharing each port: a number, or auto for one per CPU (capped by a container CPU limit)",
      },
      "allow-ephemeral-port": {
        type: "boolean",
        default: false,
        describe:
          "accept port 0: listen on a free port chosen by the OS, reported in the 'listening' log line",
      },
    })
    .epilog(
      "Every option can also be set by environment variable: TCP_ECHO_ and the option's name in capitals with underscores (TCP_ECHO_MAX_LINE_BYTES=4096).\n\nExit codes: 0 stopped by SIGTERM/SIGINT after draining; 64 bad arguments; 69 address in use or not available; 77 permission denied; 70 any other failure.",
    );
  return settingsFromArguments(withCliConventions(parser).parseSync());
}

function exitCodeOf(error: unknown): number {
  if (error instanceof WorkerStartError) return error.exitCode;
  if (!(error instanceof ListenError)) return EXIT_SOFTWARE;
  if (error.code === "EACCES") return EXIT_NO_PERMISSION;
  return error.code === "EADDRINUSE" || error.code === "EADDRNOTAVAIL" ? EXIT_UNAVAILABLE : EXIT_SOFTWARE;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Stops on SIGTERM/SIGINT, once: `drain` gets the process to where exit 0 is safe. */
function onStopSignal(drain: (signal: NodeJS.Signals) => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    // A start that failed is reported, with its exit code, by main().
    drain(signal).then(
      () => process.exit(0),
      () => {},
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

/** Starts the admin endpoint when --admin-port asks for one. */
async function startAdmin(
  settings: ServerSettings,
  logger: Logger,
  metrics: AdminServerOptions["metrics"],
  isReady: () => boolean,
): Promise<Awaited<ReturnType<typeof startAdminServer>> | undefined> {
  if (settings.adminPort === undefined) return undefined;
  const admin = await startAdminServer({ port: settings.adminPort, host: settings.host, metrics, isReady });
  logger.info({ port: admin.port }, "admin listening: /healthz /readyz /metrics");
  return admin;
}

/** Serves the ports in this process: the whole server, or one worker of several. */
async function serve(settings: ServerSettings, logger: Logger): Promise<void> {
  const metrics = new ServerMetrics();
  const worker = cluster.isWorker;
  // Each worker holds its share of the limit; the OS spreads connections about evenly between them.
  const maxConnections = Math.ceil(settings.maxConnections / settings.workers);
  const starting = startEchoServer({ ...settings, maxConnections, logger, metrics }).catch(
    (error: unknown) => {
      if (!worker) throw error;
      const report: WorkerReport = {
        type: "tcp-echo:failed",
        message: messageOf(error),
        exitCode: exitCodeOf(error),
      };
      // Exits once the primary has the report; until then nothing else may run.
      process.send?.(report, () => process.exit(report.exitCode));
      return new Promise<never>(() => {});
    },
  );
  let admin: Awaited<ReturnType<typeof startAdminServer>> | undefined;
  // Handled from the start: a signal that comes while the ports open still ends in a drain and exit 0.
  onStopSignal(async (signal) => {
    const echo = await starting;
    logger.info(
      { signal, connections: echo.connections, drainTimeoutMs: settings.drainTimeoutMs },
      "draining",
    );
    const { closed, destroyed } = await echo.drain(settings.drainTimeoutMs);
    admin?.server.close();
    logger.info({ closed, destroyed }, "stopped");
  });
  const echo = await starting;
  if (worker) {
    AggregatorRegistry.setRegistries(metrics.registry);
    const report: WorkerReport = { type: "tcp-echo:listening", ports: echo.ports };
    process.send?.(report);
    return;
  }
  admin = await startAdmin(
    settings,
    logger,
    { read: () => metrics.registry.metrics(), contentType: metrics.registry.contentType },
    () => !echo.draining,
  );
}

/** Runs `--workers` processes and the admin endpoint over all of them; drains them all on a signal. */
async function superviseWorkers(settings: ServerSettings, logger: Logger): Promise<void> {
  const starting = startWorkerCluster({
    workers: settings.workers,
    drainTimeoutMs: settings.drainTimeoutMs,
    logger,
  });
  let admin: Awaited<ReturnType<typeof startAdminServer>> | undefined;
  onStopSignal(async (signal) => {
    const workers = await starting;
    logger.info({ signal, workers: workers.workers, drainTimeoutMs: settings.drainTimeoutMs }, "draining");
    await workers.drain();
    admin?.server.close();
    logger.info("stopped");
  });
  const workers = await starting;
  const registry = new AggregatorRegistry();
  admin = await startAdmin(
    settings,
    logger,
    { read: () => registry.clusterMetrics(), contentType: registry.contentType },
    () => !workers.draining,
  );
}

async function main(): Promise<void> {
  const settings = parseOrExit(PROGRAM, () => parseArguments(hideBin(process.argv)));
  const base = cluster.isWorker
    ? { prefix: settings.prefix, worker: cluster.worker?.id }
    : { prefix: settings.prefix };
  const logger = pino({ level: settings.logLevel, base });
  if (settings.workers > 1 && cluster.isPrimary) await superviseWorkers(settings, logger);
  else await serve(settings, logger);
}

main().catch((error: unknown) => exitWithError(PROGRAM, messageOf(error), exitCodeOf(error)));
