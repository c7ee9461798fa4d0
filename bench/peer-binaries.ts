import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = `${ROOT}.cache/bin`;

export const PEERS = {
  /** Istio's samples/tcp-echo/src: a write per line and a log line per request and reply. */
  istio: `${BIN}/istio-tcp-echo`,
  /** The Go anchor: the same semantics, one write per chunk read, no per-line logging. */
  goTuned: `${BIN}/echo-tuned`,
  /** The Go load generator: dial/write/read/close loops, pipelined streams, idle connections. */
  goLoad: `${BIN}/load`,
  /** fortio's plain tcp-echo server (echoes without a prefix). */
  fortio: `${BIN}/fortio`,
};

/** Builds the peers at their pinned versions (scripts/build-go-tools.sh), only what is missing. */
export async function buildPeers(): Promise<void> {
  await run(`${ROOT}scripts/build-go-tools.sh`, []);
}
