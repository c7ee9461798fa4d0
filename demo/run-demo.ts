#!/usr/bin/env node
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { exitWithError } from "../common/cli-failure.js";
import { EXIT_CODES } from "../common/exit-codes.js";
import { type EchoServer, startEchoServer } from "../server/echo-server.js";
import { ServerMetrics } from "../server/server-metrics.js";
import { type Backend, startWeightedSplitter } from "../splitter/weighted-splitter.js";

const PROBER = fileURLToPath(new URL("../prober/cli/main.js", import.meta.url));

function startVersion(prefix: string): Promise<EchoServer> {
  return startEchoServer({
    ports: [0],
    host: "127.0.0.1",
    prefix,
    maxLineBytes: 1 << 20,
    idleTimeoutMs: 60_000,
    maxConnections: 0,
    logLines: false,
    logger: pino({ level: "silent" }),
    metrics: new ServerMetrics(),
  });
}

async function runProber(port: number): Promise<number | null> {
  const args = ["--expect", "80:20", `127.0.0.1:${port}`];
  process.stdout.write(`\n$ prober ${args.join(" ")}\n`);
  const child = spawn(process.execPath, [PROBER, ...args], { stdio: "inherit" });
  const [code] = await once(child, "exit");
  process.stdout.write(`(exit code ${code})\n`);
  return code as number | null;
}

/**
 * The local demo: v1 ("one") and v2 ("two") echo servers behind a weighted splitter standing in for the
 * mesh; the prober verifies the 80:20 split (PASS), then catches a splitter misconfigured to 50:50 (FAIL).
 */
async function main(): Promise<void> {
  const [v1, v2] = await Promise.all([startVersion("one"), startVersion("two")]);
  const backends = (w1: number, w2: number): Backend[] => [
    { host: "127.0.0.1", port: v1.ports[0] as number, weight: w1 },
    { host: "127.0.0.1", port: v2.ports[0] as number, weight: w2 },
  ];
  const splitter = await startWeightedSplitter(backends(80, 20));
  let failures = 0;
  try {
    process.stdout.write(
      `tcp-echo v1 (prefix "one") on 127.0.0.1:${v1.ports[0]}, v2 (prefix "two") on 127.0.0.1:${v2.ports[0]}\n` +
        `weighted splitter on 127.0.0.1:${splitter.port}, routing 80:20 (a local stand-in for the mesh)\n`,
    );
    if ((await runProber(splitter.port)) !== 0) failures += 1;
    splitter.setBackends(backends(50, 50));
    process.stdout.write("\nNow the splitter is misconfigured to 50:50 while 80:20 is still expected:\n");
    if ((await runProber(splitter.port)) !== 1) failures += 1;
  } finally {
    await splitter.close();
    await Promise.all([v1.drain(1000), v2.drain(1000)]);
  }
  process.stdout.write(
    failures === 0
      ? "\nDemo done: PASS on the true split, FAIL on the wrong one.\n"
      : "\nDemo: unexpected verdicts\n",
  );
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((error: unknown) =>
  exitWithError("demo", error instanceof Error ? error.message : String(error), EXIT_CODES.SOFTWARE),
);
