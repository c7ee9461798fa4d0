import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parentPort, workerData } from "node:worker_threads";

/**
 * The health listener's thread: answers /healthz from its own event loop, so a burst that keeps the main
 * loop busy does not delay the kubelet's probe. It reads the main thread's state from shared memory: a
 * drain turns it 503, and so does a main loop whose heartbeat is older than `stalledMs` (a stuck server
 * must still fail its liveness probe).
 */
const { host, port, shared, stalledMs } = workerData as {
  host: string;
  port: number;
  shared: SharedArrayBuffer;
  stalledMs: number;
};
const state = new BigInt64Array(shared);

const server = createServer((request, response) => {
  const path = (request.url ?? "/").split("?")[0];
  const answer = (status: number, body: string) =>
    response.writeHead(status, { "content-type": "text/plain", connection: "close" }).end(body);
  if (request.method !== "GET" || path !== "/healthz") return answer(404, "only GET /healthz here\n");
  if (Atomics.load(state, 0) === 1n) return answer(503, "draining\n");
  const age = Date.now() - Number(Atomics.load(state, 1));
  if (age > stalledMs) return answer(503, `stalled: the server's event loop last ran ${age} ms ago\n`);
  return answer(200, "ok\n");
});
server.headersTimeout = 5_000;
server.requestTimeout = 5_000;
server.on("error", (error: NodeJS.ErrnoException) =>
  parentPort?.postMessage({ error: error.message, code: error.code }),
);
server.listen(port, host, () => parentPort?.postMessage({ port: (server.address() as AddressInfo).port }));
