#!/usr/bin/env node
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { parseOrExit, withCliConventions } from "../common/cli-conventions.js";
import { exitWithError, UsageError } from "../common/cli-failure.js";
import { EXIT_CODES, exitCodeForSystemError } from "../common/exit-codes.js";
import { ListenError } from "../common/listen.js";
import { parsePort } from "../common/port-number.js";
import { type Backend, startWeightedSplitter } from "./weighted-splitter.js";

const PROGRAM = "tcp-splitter";

function parseBackend(text: string): Backend {
  const match = /^(.+):(\d+)=(\d+(?:\.\d+)?)$/.exec(text);
  if (!match)
    throw new UsageError(`invalid backend "${text}": expected host:port=weight, e.g. 127.0.0.1:9000=80`);
  return {
    host: (match[1] as string).replace(/^\[(.*)\]$/, "$1"),
    port: parsePort(match[2] as string),
    weight: Number(match[3]),
  };
}

async function main(): Promise<void> {
  const { backends, listenPort, host } = parseOrExit(PROGRAM, () => {
    const parser = yargs(hideBin(process.argv))
      .scriptName(PROGRAM)
      .usage(
        "$0 --listen <port> <host:port=weight>...\n\nA local stand-in for a mesh's weighted TCP route: each connection goes, whole, to one backend picked at random by weight. For demos and local checks, not production.",
      )
      .command("$0 <backends..>", false)
      .positional("backends", { type: "string", array: true, describe: "host:port=weight" })
      .options({
        listen: {
          type: "string",
          demandOption: true,
          describe: "port to accept connections on (0: a free one, printed)",
        },
        host: { type: "string", default: "127.0.0.1", describe: "address to accept connections on" },
      })
      .epilog(
        "Exit codes: 0 stopped by SIGTERM/SIGINT; 64 bad arguments; 69 address in use or not available; 77 permission denied; 70 any other failure.",
      );
    const args = withCliConventions(parser).parseSync();
    const parsed = (args.backends ?? []).map(String).map(parseBackend);
    if (!parsed.some((b) => b.weight > 0))
      throw new UsageError("at least one backend needs a weight above 0");
    return {
      backends: parsed,
      listenPort: args.listen === "0" ? 0 : parsePort(args.listen),
      host: args.host,
    };
  });
  const splitter = await startWeightedSplitter(backends, { port: listenPort, host });
  // Before saying it listens: a caller may stop it as soon as it reads that line.
  const stop = () => void splitter.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  const split = backends.map((b) => `${b.host}:${b.port}=${b.weight}`).join(" ");
  process.stdout.write(`${PROGRAM}: listening on ${host}:${splitter.port}, splitting ${split}\n`);
}

main().catch((error: unknown) => {
  exitWithError(
    PROGRAM,
    error instanceof Error ? error.message : String(error),
    error instanceof ListenError ? exitCodeForSystemError(error.code) : EXIT_CODES.SOFTWARE,
  );
});
