import type { Argv } from "yargs";
import { exitWithError, UsageError } from "./cli-failure.js";
import { EXIT_CODES } from "./exit-codes.js";

/** What every CLI here shares: unknown options rejected, --help and --version, any parse failure a UsageError. */
export function withCliConventions<T>(parser: Argv<T>): Argv<T> {
  return parser
    .strict()
    .help()
    .version()
    .wrap(null)
    .fail((message, error) => {
      throw error instanceof UsageError ? error : new UsageError(message || String(error));
    });
}

/** Runs a CLI's parsing and validation; a UsageError becomes one line on stderr and exit code 64. */
export function parseOrExit<T>(program: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof UsageError)
      exitWithError(program, `${error.message} (see ${program} --help)`, EXIT_CODES.USAGE);
    throw error;
  }
}
