import cluster, { type Worker } from "node:cluster";
import type { Logger } from "pino";
import { EXIT_CODES } from "../common/exit-codes.js";

/** What a worker tells the primary once it listens on every port, or why it could not. */
export type WorkerReport =
  | { type: "tcp-echo:listening"; ports: number[] }
  | { type: "tcp-echo:failed"; message: string; exitCode: number };

/** A worker could not start serving: its one-line reason and the exit code the CLI should end with. */
export class WorkerStartError extends Error {
  override readonly name = "WorkerStartError";
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface WorkerClusterOptions {
  workers: number;
  /** How long a worker may drain before it is killed: its own --drain-timeout plus a margin. */
  drainTimeoutMs: number;
  logger: Logger;
}

export interface WorkerCluster {
  /** The ports the workers listen on (port 0 resolved: every worker shares the one the OS chose). */
  readonly ports: number[];
  readonly draining: boolean;
  /** Workers alive now. */
  readonly workers: number;
  /** Asks every worker to drain (SIGTERM) and resolves once all have exited. */
  drain(): Promise<void>;
}

/** Worker side: tells the primary this worker listens on every port. */
export function reportWorkerListening(ports: number[]): void {
  const report: WorkerReport = { type: "tcp-echo:listening", ports };
  process.send?.(report);
}

/** Worker side: tells the primary why this worker cannot serve, then exits with that code once it is sent. */
export function reportWorkerFailure(message: string, exitCode: number): Promise<never> {
  const report: WorkerReport = { type: "tcp-echo:failed", message, exitCode };
  process.send?.(report, () => process.exit(exitCode));
  return new Promise<never>(() => {});
}

const isReport = (message: unknown): message is WorkerReport =>
  typeof message === "object" &&
  message !== null &&
  String((message as { type?: unknown }).type).startsWith("tcp-echo:");

/** Extra time a draining worker gets before SIGKILL, beyond its own drain timeout. */
const KILL_MARGIN_MS = 2000;
/** Wait before replacing a dead worker: a worker that dies at once cannot become a fork loop. */
const REPLACE_AFTER_MS = 1000;

/**
 * Runs the server in `workers` processes that share each listening socket: one Node process echoes on
 * one core, and the Go original uses them all. Each worker accepts for itself (SCHED_NONE): the
 * primary's round-robin hand-off costs more than a short connection. A worker that dies while serving
 * is replaced; one that fails to start stops them all with its reason.
 */
export function startWorkerCluster(options: WorkerClusterOptions): Promise<WorkerCluster> {
  const { logger } = options;
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const alive = new Set<Worker>();
  let ports: number[] = [];
  let started = false;
  let draining = false;

  return new Promise((resolve, reject) => {
    let listening = 0;
    const fail = (error: WorkerStartError) => {
      for (const worker of alive) worker.kill("SIGKILL");
      reject(error);
    };
    const fork = () => {
      const worker = cluster.fork();
      alive.add(worker);
      worker.on("message", (message: unknown) => {
        if (!isReport(message) || started) return;
        if (message.type === "tcp-echo:failed") {
          fail(new WorkerStartError(message.message, message.exitCode));
          return;
        }
        ports = message.ports;
        listening += 1;
        if (listening === options.workers) {
          started = true;
          logger.info({ workers: options.workers, ports }, "workers listening");
          resolve(handle);
        }
      });
      worker.on("exit", (code, signal) => {
        alive.delete(worker);
        if (draining) return;
        if (!started) {
          fail(
            new WorkerStartError(
              `worker exited during start (code ${code}, signal ${signal})`,
              code || EXIT_CODES.SOFTWARE, // ended during start without saying why
            ),
          );
          return;
        }
        // Exit 0 is a worker that drained on a signal of its own (Ctrl-C reaches the whole group).
        if (code === 0) {
          logger.info({ worker: worker.id }, "worker stopped");
          return;
        }
        logger.error({ worker: worker.id, code, signal }, "worker died: starting another");
        setTimeout(() => {
          if (!draining) fork();
        }, REPLACE_AFTER_MS);
      });
    };
    const handle: WorkerCluster = {
      get ports() {
        return ports;
      },
      get draining() {
        return draining;
      },
      get workers() {
        return alive.size;
      },
      drain() {
        draining = true;
        const exited = [...alive].map(
          (worker) => new Promise<void>((done) => worker.once("exit", () => done())),
        );
        for (const worker of alive) worker.kill("SIGTERM");
        const killer = setTimeout(() => {
          for (const worker of alive) worker.kill("SIGKILL");
        }, options.drainTimeoutMs + KILL_MARGIN_MS);
        return Promise.all(exited).then(() => clearTimeout(killer));
      },
    };
    for (let n = 0; n < options.workers; n++) fork();
  });
}
