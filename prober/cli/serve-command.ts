import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import yargs from "yargs";
import { environmentConfig, parseOrExit, withCliConventions } from "../../common/cli-conventions.js";
import { UsageError } from "../../common/cli-failure.js";
import { parsePort } from "../../common/port-number.js";
import { createVerificationServer } from "../serve/index.js";

const PROGRAM = "prober serve";

const SERVE_OPTIONS = {
  listen: {
    type: "string",
    describe: "address and port to listen on (default 127.0.0.1:8080; 0.0.0.0:8080 with --token-file)",
  },
  "token-file": { type: "string", describe: "file holding the bearer token every check must carry" },
  "max-concurrent-checks": {
    type: "number",
    default: 4,
    describe: "checks running at once; more get 429",
  },
  "max-check-seconds": {
    type: "number",
    default: 8,
    describe:
      "longest wait or duration a check may ask for (keep it under the caller's timeout, 10 s by default)",
  },
} as const;

function parseArguments(argv: string[]) {
  const parser = yargs(argv)
    .scriptName(PROGRAM)
    .usage(
      "$0 [--listen HOST:PORT] [--token-file FILE] [options]\n\nServes the prober's check over HTTP for canary controllers: POST /verify (Argo Rollouts' web metric provider: 200 and the report for every verdict), POST /flagger (Flagger's webhook: 200 on PASS, 412 otherwise), GET /healthz, GET /metrics.",
    )
    .options(SERVE_OPTIONS)
    .config(environmentConfig("PROBER_SERVE", Object.keys(SERVE_OPTIONS)))
    .epilog(
      "Exit codes: 0 stopped by SIGTERM/SIGINT; 64 bad arguments; 69 address in use; 77 permission denied.",
    );
  return withCliConventions(parser).parseSync();
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
  const listen = args.listen ?? (token === undefined ? "127.0.0.1:8080" : "0.0.0.0:8080");
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen);
  if (!match) throw new UsageError(`invalid --listen "${listen}": expected HOST:PORT`);
  const host = (match[1] ?? match[2]) as string;
  const port = parsePort(match[3] as string, { allowZero: true });
  if (!(Number.isInteger(args.maxConcurrentChecks) && args.maxConcurrentChecks > 0)) {
    throw new UsageError("invalid --max-concurrent-checks: must be a whole number > 0");
  }
  if (!(args.maxCheckSeconds > 0)) throw new UsageError("invalid --max-check-seconds: must be a number > 0");
  return {
    host,
    port,
    token,
    maxConcurrentChecks: args.maxConcurrentChecks,
    maxCheckMs: args.maxCheckSeconds * 1000,
  };
}

export async function runServeCommand(argv: string[]): Promise<void> {
  const { host, port, ...options } = parseOrExit(PROGRAM, () => settings(argv));
  const server = createVerificationServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const shown = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
  process.stdout.write(
    `${PROGRAM}: listening on ${shown}:${bound.port}${options.token ? " (bearer token required)" : ""}\n`,
  );
  const stop = () => server.close(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}
