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

/**
 * The options set by environment variables: PREFIX_ and each option's name in capitals with underscores
 * (TCP_ECHO_MAX_LINE_BYTES for --max-line-bytes), for the given options only. Any other PREFIX_ variable
 * is not ours: Kubernetes puts TCP_ECHO_PORT=tcp://… and the like into every pod for a Service named
 * tcp-echo, and reading those as options would make the program refuse to start.
 */
export function environmentConfig(
  prefix: string,
  options: string[],
  environment: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const config: Record<string, string> = {};
  for (const option of options) {
    const value = environment[`${prefix}_${option.toUpperCase().replace(/-/g, "_")}`];
    if (value !== undefined) config[option] = value;
  }
  return config;
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
