import { readFileSync } from "node:fs";
import { UsageError } from "../common/cli-failure.js";
import { type Expectation, parseExpectation } from "./expectation.js";
import { expectationFromManifest, parseLabelMap } from "./manifest-expectation.js";
import { ExpectationError, type ProberOptionError } from "./prober-errors.js";

/** What both prober commands read the same way: the expected split and the library's option errors. */
export interface ExpectationArguments {
  expect?: string | undefined;
  labels?: string | undefined;
  expectFrom?: string | undefined;
  map?: string | undefined;
}

/** A library option's name as the flag that sets it: maxErrorRate → --max-error-rate. */
export const flagFor = (option: string) =>
  `--${option.replace(/Ms$/, "").replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;

/** yargs reads a lone "-" as a positional, so `--expect-from -` (stdin) is joined into one word first. */
export function joinStdinDash(argv: string[]): string[] {
  return argv.flatMap((word, i) =>
    word === "-" && argv[i - 1] === "--expect-from"
      ? []
      : word === "--expect-from" && argv[i + 1] === "-"
        ? ["--expect-from=-"]
        : [word],
  );
}

export function readExpectation(args: ExpectationArguments): Expectation {
  if (args.expect !== undefined && args.expectFrom !== undefined) {
    throw new UsageError("give either --expect or --expect-from, not both");
  }
  if (args.expectFrom !== undefined) {
    const source = args.expectFrom === "-" ? "stdin" : args.expectFrom;
    let text: string;
    try {
      text = readFileSync(args.expectFrom === "-" ? 0 : args.expectFrom, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read --expect-from ${source}: ${(error as Error).message}`);
    }
    return asUsage("--expect-from", () =>
      expectationFromManifest(text, source, args.map === undefined ? undefined : parseLabelMap(args.map)),
    );
  }
  if (args.map !== undefined) throw new UsageError("--map goes with --expect-from");
  if (args.expect === undefined)
    throw new UsageError("missing --expect (e.g. --expect 80:20) or --expect-from FILE");
  const spec = args.expect;
  return asUsage("--expect", () =>
    parseExpectation(
      spec,
      args.labels?.split(",").map((label) => label.trim()),
    ),
  );
}

/** The library's own errors as the CLI's usage errors, naming the flag. */
export function asUsage<T>(flag: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ExpectationError) throw new UsageError(`invalid ${flag}: ${error.message}`);
    throw error;
  }
}

/** A ProberOptionError as the CLI's usage error, naming the flag (`flag` overrides the derived one). */
export function usageFromOptionError(error: ProberOptionError, flag = flagFor(error.option)): UsageError {
  return new UsageError(`invalid ${flag}: ${error.message.slice(error.option.length + 2)}`);
}

/** Aborts on SIGINT and SIGTERM (a cancelled CI job, a deleted helm-test pod): the run reports what it saw. */
export function interruptOnSignals(): AbortSignal {
  const interrupt = new AbortController();
  process.once("SIGINT", () => interrupt.abort());
  process.once("SIGTERM", () => interrupt.abort());
  return interrupt.signal;
}
