import cluster from "node:cluster";
import type { Logger } from "pino";
import { AggregatorRegistry } from "prom-client";
import { EXIT_CODES, exitCodeForSystemError } from "../common/exit-codes.js";
import { ListenError } from "../common/listen.js";
import { type AdminServerOptions, startAdminServer } from "./admin-server.js";
import { startEchoServer } from "./echo-server.js";
import { ServerMetrics } from "./server-metrics.js";
import type { ServerSettings } from "./server-settings.js";
import {
  reportWorkerFailure,
  reportWorkerListening,
  startWorkerCluster,
  WorkerStartError,
} from "./worker-cluster.js";

/** A server that is up: its ports, and the one way to stop it. */
export interface RunningServer {
  /** The echo ports listened on (port 0 resolved). */
  readonly ports: number[];
  /** The admin port, when asked for. */
  readonly adminPort: number | undefined;
  /** Stops accepting, drains every connection (and worker), closes the admin endpoint. */
  stop(): Promise<void>;
}

/** The exit code a failure to start or stop maps to, from the one table in common/exit-codes.ts. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof WorkerStartError) return error.exitCode;
  if (error instanceof ListenError) return exitCodeForSystemError(error.code);
  return EXIT_CODES.SOFTWARE;
}

type Admin = Awaited<ReturnType<typeof startAdminServer>>;

async function startAdmin(
  settings: ServerSettings,
  logger: Logger,
  metrics: AdminServerOptions["metrics"],
  isReady: () => boolean,
): Promise<Admin | undefined> {
  if (settings.adminPort === undefined) return undefined;
  const admin = await startAdminServer({ port: settings.adminPort, host: settings.host, metrics, isReady });
  logger.info({ port: admin.port }, "admin listening: /healthz /readyz /metrics");
  return admin;
}

const closeAdmin = (admin: Admin | undefined) =>
  new Promise<void>((resolve) => (admin ? admin.server.close(() => resolve()) : resolve()));

/** Serves the ports in this process: the whole server, or (as a cluster worker) its share. */
async function serveHere(settings: ServerSettings, logger: Logger): Promise<RunningServer> {
  const metrics = new ServerMetrics();
  // Each worker holds its share of the limit; the OS spreads connections about evenly between them.
  const maxConnections = Math.ceil(settings.maxConnections / settings.workers);
  const echo = await startEchoServer({ ...settings, maxConnections, logger, metrics });
  let admin: Admin | undefined;
  if (cluster.isWorker) {
    AggregatorRegistry.setRegistries(metrics.registry);
    reportWorkerListening(echo.ports);
  } else {
    admin = await startAdmin(
      settings,
      logger,
      { read: () => metrics.registry.metrics(), contentType: metrics.registry.contentType },
      () => !echo.draining,
    );
  }
  return {
    ports: echo.ports,
    adminPort: admin?.port,
    async stop() {
      logger.info({ connections: echo.connections, drainTimeoutMs: settings.drainTimeoutMs }, "draining");
      const { closed, destroyed } = await echo.drain(settings.drainTimeoutMs);
      await closeAdmin(admin);
      logger.info({ closed, destroyed }, "stopped");
    },
  };
}

/** Runs `--workers` processes and the admin endpoint over all of them. */
async function superviseWorkers(settings: ServerSettings, logger: Logger): Promise<RunningServer> {
  const workers = await startWorkerCluster({
    workers: settings.workers,
    drainTimeoutMs: settings.drainTimeoutMs,
    logger,
  });
  const registry = new AggregatorRegistry();
  const admin = await startAdmin(
    settings,
    logger,
    { read: () => registry.clusterMetrics(), contentType: registry.contentType },
    () => !workers.draining,
  );
  return {
    ports: workers.ports,
    adminPort: admin?.port,
    async stop() {
      logger.info({ workers: workers.workers, drainTimeoutMs: settings.drainTimeoutMs }, "draining");
      await workers.drain();
      await closeAdmin(admin);
      logger.info("stopped");
    },
  };
}

/**
 * Starts the server the settings describe: in this process, or with `workers` > 1 as a primary that forks
 * workers sharing each port (this same call, in each worker, serves that worker's share and reports to
 * the primary). Rejects with ListenError or WorkerStartError when a port cannot be opened; `exitCodeOf`
 * maps either to the CLI's exit code.
 */
export async function runServer(settings: ServerSettings, logger: Logger): Promise<RunningServer> {
  if (settings.workers > 1 && cluster.isPrimary) return superviseWorkers(settings, logger);
  try {
    return await serveHere(settings, logger);
  } catch (error) {
    if (cluster.isWorker)
      await reportWorkerFailure(error instanceof Error ? error.message : String(error), exitCodeOf(error));
    throw error;
  }
}
