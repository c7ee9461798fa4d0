#!/usr/bin/env node
import cluster from "node:cluster";
import { pino } from "pino";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { environmentConfig, parseOrExit, withCliConventions } from "../common/cli-conventions.js";
import { exitWithError } from "../common/cli-failure.js";
import { EXIT_CODES } from "../common/exit-codes.js";
import { exitCodeOf, runServer } from "./run-server.js";
import { type ServerSettings, settingsFromArguments } from "./server-settings.js";

const PROGRAM = "tcp-echo";

const SERVER_OPTIONS = {
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
    describe: "accept port 0: listen on a free port chosen by the OS, reported in the 'listening' log line",
  },
} as const;

function parseArguments(argv: string[]): ServerSettings {
  const parser = yargs(argv)
    .scriptName(PROGRAM)
    .usage(
      "$0 <ports> <prefix> [options]\n\nAnswers every line a client sends with `<prefix> <line>`, byte for byte, on each of the comma-separated <ports>. A drop-in for Istio's tcp-echo sample image.",
    )
    .command("$0 [ports] [prefix]", false)
    .positional("ports", { type: "string", describe: "comma-separated TCP ports, e.g. 9000,9001" })
    .positional("prefix", { type: "string", describe: "prefix of every reply (spaces and Unicode allowed)" })
    .options(SERVER_OPTIONS)
    .config(environmentConfig("TCP_ECHO", Object.keys(SERVER_OPTIONS)))
    .epilog(
      "Every option can also be set by environment variable: TCP_ECHO_ and the option's name in capitals with underscores (TCP_ECHO_MAX_LINE_BYTES=4096).\n\nExit codes: 0 stopped by SIGTERM/SIGINT after draining; 64 bad arguments; 69 address in use or not available; 77 permission denied; 70 any other failure.",
    );
  return settingsFromArguments(withCliConventions(parser).parseSync());
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function main(): Promise<void> {
  const settings = parseOrExit(PROGRAM, () => parseArguments(hideBin(process.argv)));
  const base = cluster.isWorker
    ? { prefix: settings.prefix, worker: cluster.worker?.id }
    : { prefix: settings.prefix };
  const logger = pino({ level: settings.logLevel, base });
  const starting = runServer(settings, logger);
  // Handled from the start: a signal that comes while the ports open still ends in a drain and exit 0.
  // A start that fails is reported, with its exit code, below; a drain that fails ends the process too.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping");
    starting.then(
      (server) =>
        server.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, "drain failed");
            exitWithError(PROGRAM, `drain failed: ${messageOf(error)}`, EXIT_CODES.SOFTWARE);
          },
        ),
      () => {},
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  await starting;
}

main().catch((error: unknown) => exitWithError(PROGRAM, messageOf(error), exitCodeOf(error)));
