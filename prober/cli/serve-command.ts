import { readFileSync } from "node:fs";
import { type AddressInfo, isIP } from "node:net";
import { pino } from "pino";
import yargs from "yargs";
import { environmentConfig, parseOrExit, withCliConventions } from "../../common/cli-conventions.js";
import { UsageError } from "../../common/cli-failure.js";
import { parsePort } from "../../common/port-number.js";
import { CAMPAIGN_DEFAULTS, FOLLOW_CHANGES_RATE } from "../campaign/index.js";
import {
  createVerificationServer,
  parseTargetRule,
  startHealthListener,
  TargetPolicy,
  TargetRuleError,
} from "../serve/index.js";

const PROGRAM = "prober serve";

const SERVE_OPTIONS = {
  listen: {
    type: "string",
    describe: "address and port to listen on (default 127.0.0.1:8080; 0.0.0.0:8080 with --token-file)",
  },
  "token-file": { type: "string", describe: "file holding the bearer token every check must carry" },
  "allow-target": {
    type: "string",
    array: true,
    describe:
      "a target checks may probe, repeatable or comma-separated: HOST:PORT, HOST:*, HOST:9000-9001, CIDR:PORT, [IPV6/PREFIX]:PORT (needed unless listening on loopback)",
  },
  "allow-any-target": {
    type: "boolean",
    default: false,
    describe: "let checks probe any address and port (only where every caller is trusted)",
  },
  "max-concurrent-checks": {
    type: "number",
    default: 4,
    describe: "checks running at once; more get 429 with Retry-After",
  },
  "max-check-seconds": {
    type: "number",
    default: 8,
    describe:
      "longest wait or duration a check may ask for (keep it under the caller's timeout, 10 s by default)",
  },
  "max-rate": {
    type: "number",
    default: FOLLOW_CHANGES_RATE,
    describe: "probes one check starts per second at most (and its rate when it asks for none)",
  },
  "max-concurrency": {
    type: "number",
    default: CAMPAIGN_DEFAULTS.concurrency,
    describe: "probes in flight in one check at most",
  },
  "max-probes": {
    type: "number",
    default: CAMPAIGN_DEFAULTS.maxProbes,
    describe: "probes one check starts at most",
  },
  "max-connections": {
    type: "number",
    default: 1000,
    describe: "open HTTP connections at most; past it the oldest one not running a check is closed",
  },
  "request-timeout": {
    type: "number",
    default: 15,
    describe: "seconds a client may take to send a whole request (its headers: at most 10)",
  },
  "health-listen": {
    type: "string",
    describe:
      "also answer GET /healthz at HOST:PORT, on a thread of its own: within milliseconds even while a burst of checks holds the server's event loop; 503 while draining, or once that loop has not run for 10 s (off unless given)",
  },
  "drain-seconds": {
    type: "number",
    default: 10,
    describe: "on SIGTERM, how long running checks may finish (healthz and new checks get 503 at once)",
  },
  "log-level": {
    choices: ["fatal", "error", "warn", "info", "debug", "trace", "silent"],
    default: "info",
    describe: "pino log level of the per-request lines on stdout",
  },
} as const;

function parseArguments(argv: string[]) {
  const parser = yargs(argv)
    .scriptName(PROGRAM)
    .usage(
      "$0 [--listen HOST:PORT] [--token-file FILE] --allow-target HOST:PORT [options]\n\nServes the prober's check over HTTP for canary controllers: POST /verify (Argo Rollouts' web metric provider: 200 and the report for every verdict), POST /flagger (Flagger's webhook: 200 on PASS, 412 otherwise), GET /healthz, GET /metrics.",
    )
    .options(SERVE_OPTIONS)
    .config(environmentConfig("PROBER_SERVE", Object.keys(SERVE_OPTIONS)))
    .epilog(
      "Options may also come from PROBER_SERVE_<OPTION> environment variables (PROBER_SERVE_ALLOW_TARGET=gateway:31400,10.0.0.0/8:9000).\n\nExit codes: 0 stopped by SIGTERM/SIGINT (after draining); 64 bad arguments; 69 address in use; 77 permission denied.",
    );
  return withCliConventions(parser).parseSync();
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127\./.test(host);

function wholePositive(name: string, value: number): number {
  if (!(Number.isInteger(value) && value > 0))
    throw new UsageError(`invalid --${name}: must be a whole number > 0`);
  return value;
}

function hostAndPort(option: string, text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  if (!match) throw new UsageError(`invalid --${option} "${text}": expected HOST:PORT`);
  return { host: (match[1] ?? match[2]) as string, port: parsePort(match[3] as string, { allowZero: true }) };
}

function settings(argv: string[]) {
  const args = parseArguments(argv);
  let token: string | undefined;
  if (args.tokenFile !== undefined) {
    try {
      token = readFileSync(args.tokenFile, "utf8").trim();
    } catch (error) {
      throw new UsageError(`cannot read --token-file ${args.tokenFile}: ${(error as Error).message}`);
    }
    if (token === "") throw new UsageError(`--token-file ${args.tokenFile} is empty`);
  }
  const { host, port } = hostAndPort(
    "listen",
    args.listen ?? (token === undefined ? "127.0.0.1:8080" : "0.0.0.0:8080"),
  );
  const health =
    args.healthListen === undefined ? undefined : hostAndPort("health-listen", args.healthListen);
  if (!(args.maxCheckSeconds > 0)) throw new UsageError("invalid --max-check-seconds: must be a number > 0");
  if (!(args.maxRate > 0)) throw new UsageError("invalid --max-rate: must be a number > 0");
  if (!(args.requestTimeout > 0)) throw new UsageError("invalid --request-timeout: must be a number > 0");
  if (!(args.drainSeconds >= 0)) throw new UsageError("invalid --drain-seconds: must be a number >= 0");
  const ruleTexts = (args.allowTarget ?? [])
    .flatMap((text) => String(text).split(","))
    .filter((t) => t.trim() !== "");
  let rules: ReturnType<typeof parseTargetRule>[];
  try {
    rules = ruleTexts.map(parseTargetRule);
  } catch (error) {
    if (error instanceof TargetRuleError) throw new UsageError(error.message);
    throw error;
  }
  if (args.allowAnyTarget && rules.length > 0)
    throw new UsageError("give either --allow-target or --allow-any-target, not both");
  // Listening beyond loopback, any pod could aim the checks anywhere: the operator must say where they may go.
  if (rules.length === 0 && !args.allowAnyTarget && !isLoopback(host)) {
    throw new UsageError(
      `listening on ${isIP(host) === 6 ? `[${host}]` : host} needs --allow-target HOST:PORT (the gateway) or, where every caller is trusted, --allow-any-target`,
    );
  }
  return {
    host,
    port,
    health,
    drainMs: args.drainSeconds * 1000,
    logLevel: args.logLevel,
    server: {
      token,
      targets: new TargetPolicy(rules.length === 0 ? "any" : rules),
      maxConcurrentChecks: wholePositive("max-concurrent-checks", args.maxConcurrentChecks),
      maxConnections: wholePositive("max-connections", args.maxConnections),
      requestTimeoutMs: args.requestTimeout * 1000,
      limits: {
        maxCheckMs: args.maxCheckSeconds * 1000,
        maxRate: args.maxRate,
        maxConcurrency: wholePositive("max-concurrency", args.maxConcurrency),
        maxProbes: wholePositive("max-probes", args.maxProbes),
      },
    },
  };
}

export async function runServeCommand(argv: string[]): Promise<void> {
  const {
    host,
    port,
    health,
    drainMs,
    logLevel,
    server: options,
  } = parseOrExit(PROGRAM, () => settings(argv));
  const logger = pino({ level: logLevel, base: { program: PROGRAM } });
  const { http, drain } = createVerificationServer({ ...options, logger });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => resolve());
  });
  const bound = http.address() as AddressInfo;
  const shown = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  process.stdout.write(
    `${PROGRAM}: listening on ${shown}:${bound.port}${options.token ? " (bearer token required)" : ""}\n`,
  );
  const healthListener = health && (await startHealthListener(health.host, health.port));
  if (health && healthListener)
    process.stdout.write(`${PROGRAM}: health on ${health.host}:${healthListener.port}\n`);
  const { rules } = options.targets;
  logger.info(
    { allowedTargets: rules === "any" ? "any" : rules.map((rule) => rule.text), limits: options.limits },
    "serving",
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    healthListener?.setDraining();
    const drained = drain(drainMs);
    // Logged once both listeners answer 503: whoever acts on the line finds the drain in effect.
    logger.info({ drainMs }, "draining");
    void drained.then(() => process.exit(0));
  };
  // A second signal (GNU timeout sends one to the process group too) must not cut the drain short.
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
