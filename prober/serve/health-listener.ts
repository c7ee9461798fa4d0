import { Worker } from "node:worker_threads";

/** `/healthz` on a listener and thread of its own (see health-worker.ts). */
export interface HealthListener {
  readonly port: number;
  /** From now on /healthz answers 503. */
  setDraining(): void;
  close(): Promise<void>;
}

export class HealthListenerError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "HealthListenerError";
  }
}

const HEARTBEAT_MS = 100;

/** Starts the health thread on host:port; the main loop beats every 100 ms, `stalledMs` without one is 503. */
export function startHealthListener(host: string, port: number, stalledMs = 10_000): Promise<HealthListener> {
  const shared = new SharedArrayBuffer(16);
  const state = new BigInt64Array(shared);
  const beat = () => Atomics.store(state, 1, BigInt(Date.now()));
  beat();
  const worker = new Worker(new URL("./health-worker.js", import.meta.url), {
    workerData: { host, port, shared, stalledMs },
  });
  worker.unref();
  return new Promise((resolve, reject) => {
    worker.once("error", (error) => reject(new HealthListenerError(error.message, undefined)));
    worker.once("message", (message: { port?: number; error?: string; code?: string }) => {
      if (message.port === undefined) {
        void worker.terminate();
        reject(
          new HealthListenerError(`the health listener on ${host}:${port}: ${message.error}`, message.code),
        );
        return;
      }
      const heartbeat = setInterval(beat, HEARTBEAT_MS).unref();
      resolve({
        port: message.port,
        setDraining: () => Atomics.store(state, 0, 1n),
        close: async () => {
          clearInterval(heartbeat);
          await worker.terminate();
        },
      });
    });
  });
}
