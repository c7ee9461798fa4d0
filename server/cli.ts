#!/usr/bin/env node
import { pino } from "pino";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { parseOrExit, withCliConventions } from "../common/cli-conventions.js";
import { exitWithError } from "../common/cli-failure.js";
import { startAdminServer } from "./admin-server.js";
import { startEchoServer } from "./echo-server.js";
import { ListenError } from "./listen.js";
import { ServerMetrics } from "./server-metrics.js";
import { type ServerSettings, settingsFromArguments } from "./server-settings.js";

/** Exit codes (sysexits.h): documented in `--help` and the README. */
const EXIT_UNAVAILABLE = 69; // address in use or not available
const EXIT_SOFTWARE = 70;
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

async function main(): Promise<void> {
  const settings = parseOrExit(PROGRAM, () => parseArguments(hideBin(process.argv)));
  const logger = pino({ level: settings.logLevel, base: { prefix: settings.prefix } });
  const metrics = new ServerMetrics();
  const echo = await startEchoServer({ ...settings, logger, metrics });
  const admin =
    settings.adminPort === undefined
      ? undefined
      : await startAdminServer({
          port: settings.adminPort,
          host: settings.host,
          registry: metrics.registry,
          isReady: () => !echo.draining,
        });
  if (admin) logger.info({ port: admin.port }, "admin listening: /healthz /readyz /metrics");

  const stop = async (signal: NodeJS.Signals) => {
    if (echo.draining) return;
    logger.info(
      { signal, connections: echo.connections, drainTimeoutMs: settings.drainTimeoutMs },
      "draining",
    );
    const { closed, destroyed } = await echo.drain(settings.drainTimeoutMs);
    admin?.server.close();
    logger.info({ closed, destroyed }, "stopped");
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  if (error instanceof ListenError) {
    const code =
      error.code === "EACCES"
        ? EXIT_NO_PERMISSION
        : error.code === "EADDRINUSE" || error.code === "EADDRNOTAVAIL"
          ? EXIT_UNAVAILABLE
          : EXIT_SOFTWARE;
    exitWithError(PROGRAM, error.message, code);
  }
  exitWithError(PROGRAM, error instanceof Error ? error.message : String(error), EXIT_SOFTWARE);
});
