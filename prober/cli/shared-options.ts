import { readFileSync } from "node:fs";
import { exitWithError, UsageError } from "../../common/cli-failure.js";
import { EXIT_CODES } from "../../common/exit-codes.js";
import { CAMPAIGN_DEFAULTS } from "../campaign/index.js";
import { ExpectationError, type ProberOptionError } from "../errors.js";
import {
  ClusterError,
  type ClusterReference,
  type ClusterSource,
  type Expectation,
  expectationFromManifest,
  parseClusterReference,
  parseExpectation,
  parseLabelMap,
} from "../expectations/index.js";

/** What both prober commands read the same way: the expected split and the library's option errors. */
export interface ExpectationArguments {
  expect?: string | undefined;
  labels?: string | undefined;
  expectFrom?: string | undefined;
  map?: string | undefined;
  namespace?: string | undefined;
}

/** The yargs options both commands read the expected split with (watch adds --expect-steps). */
export const EXPECTATION_OPTIONS = {
  expect: { type: "string", describe: "expected weights: 80:20, 50:30:20, or one=80,two=20" },
  labels: {
    type: "string",
    describe: "comma-separated prefixes for positional weights (default one,two,three,...)",
  },
  "expect-from": {
    type: "string",
    describe:
      "the weights of a VirtualService or TCPRoute: live from the cluster as virtualservice/NAME or tcproute/NAME, or from a YAML file (- for stdin)",
  },
  namespace: {
    type: "string",
    describe:
      "with --expect-from KIND/NAME: its namespace (default: the kubeconfig context's, or the pod's own)",
  },
  map: { type: "string", describe: "with --expect-from: subset/backend to prefix, e.g. v1=one,v2=two" },
} as const;

/** The gateway to probe, as both probing commands take it. */
export const TARGET_POSITIONAL = {
  type: "string",
  describe: "host:port of the gateway (default: $INGRESS_HOST:$INGRESS_PORT)",
} as const;

/**
 * The options `prober` and `prober watch` share, defined once: how probes are made and how the split is
 * judged. Each may also come from a PROBER_<OPTION> environment variable (PROBER_MAX_ERROR_RATE=0.02).
 */
export const PROBE_OPTIONS = {
  concurrency: {
    alias: "c",
    type: "number",
    default: CAMPAIGN_DEFAULTS.concurrency,
    describe: "probes in flight at once",
  },
  "connect-timeout": {
    type: "number",
    default: CAMPAIGN_DEFAULTS.connectTimeoutMs / 1000,
    describe: "seconds to wait for a connection",
  },
  timeout: {
    type: "number",
    default: CAMPAIGN_DEFAULTS.timeoutMs / 1000,
    describe: "seconds to wait for each reply",
  },
  confidence: {
    type: "number",
    default: CAMPAIGN_DEFAULTS.confidence,
    describe: "confidence of each verdict, over all versions at once",
  },
  tolerance: {
    type: "number",
    default: CAMPAIGN_DEFAULTS.tolerance,
    describe: "allowed distance of each share from its weight (0.05 = 5 pp)",
  },
  "max-error-rate": {
    type: "number",
    default: CAMPAIGN_DEFAULTS.maxErrorRate,
    describe: "largest share of failed probes before the verdict is ERROR",
  },
} as const;

/** The epilog line that says where else options come from. */
export const ENVIRONMENT_NOTE =
  "Options may also come from PROBER_<OPTION> environment variables (PROBER_EXPECT=80:20).";

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

/** A split given on the command line or in a file, or a cluster object to read it from. */
export type ExpectationSource = { expected: Expectation } | { cluster: ClusterReference };

/** `--expect-from virtualservice/NAME` or `tcproute/NAME` (kubectl's form): read live; anything else as before. */
export function expectationSource(args: ExpectationArguments): ExpectationSource {
  const cluster = args.expectFrom === undefined ? undefined : parseClusterReference(args.expectFrom);
  if (cluster !== undefined && args.expect === undefined) return { cluster };
  if (args.namespace !== undefined) throw new UsageError("--namespace goes with --expect-from KIND/NAME");
  return { expected: readExpectation(args) };
}

const CLUSTER_EXIT: Record<ClusterError["reason"], number> = {
  "not-found": EXIT_CODES.NO_INPUT,
  "no-weights": EXIT_CODES.DATA_ERROR,
  forbidden: EXIT_CODES.NO_PERMISSION,
  "no-cluster": EXIT_CODES.CONFIG,
  unreachable: EXIT_CODES.UNAVAILABLE,
};

/** The exit code of a failed read from the cluster. */
export const clusterExitCode = (error: ClusterError) => CLUSTER_EXIT[error.reason];

/** The expected split, reading a cluster object when asked; a failure is one line and its exit code. */
export async function resolveExpectation(
  program: string,
  source: ExpectationSource,
  args: ExpectationArguments,
): Promise<{ expected: Expectation; expectedFrom: ClusterSource | undefined }> {
  if ("expected" in source) return { expected: source.expected, expectedFrom: undefined };
  try {
    const map =
      args.map === undefined ? undefined : asUsage("--map", () => parseLabelMap(args.map as string));
    const { readClusterExpectation } = await import("../expectations/cluster-expectation.js");
    const { expected, source: expectedFrom } = await readClusterExpectation(source.cluster, {
      namespace: args.namespace,
      map,
    });
    return { expected, expectedFrom };
  } catch (error) {
    if (error instanceof ClusterError) exitWithError(program, error.message, CLUSTER_EXIT[error.reason]);
    if (error instanceof UsageError)
      exitWithError(program, `${error.message} (see ${program} --help)`, EXIT_CODES.USAGE);
    throw error;
  }
}

/** How often a followed cluster object is read again while a run goes on. */
const FOLLOW_INTERVAL_MS = 2000;

/** `virtualservice/tcp-echo in default, resourceVersion 1234`. */
export const describeSource = (from: ClusterSource) =>
  `${from.kind.toLowerCase()}/${from.name} in ${from.namespace}, resourceVersion ${from.resourceVersion}`;

/**
 * For a run that follows a cluster object (`--wait`, `watch`): a function that re-reads it every 2 s
 * and hands on new weights; a read that fails keeps the last ones and says so on stderr.
 */
export function clusterFollower(
  program: string,
  source: ExpectationSource,
  args: ExpectationArguments,
  first: ClusterSource | undefined,
): ((update: (expected: Expectation, from: ClusterSource) => void, signal: AbortSignal) => void) | undefined {
  if (!("cluster" in source) || first === undefined) return undefined;
  const map = args.map === undefined ? undefined : parseLabelMap(args.map);
  return (update, signal) => {
    void import("../expectations/cluster-expectation.js").then(({ followClusterExpectation }) =>
      followClusterExpectation(
        source.cluster,
        { namespace: args.namespace, map, intervalMs: FOLLOW_INTERVAL_MS },
        first,
        update,
        (error) =>
          process.stderr.write(
            `${program}: re-reading ${describeSource(first)} failed, keeping its weights: ${error.message}\n`,
          ),
        signal,
      ),
    );
  };
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

/**
 * Aborts on SIGINT and SIGTERM (a cancelled CI job, a deleted helm-test pod): the run stops its probes
 * and reports what it saw. Every later signal is absorbed, not the default exit: GNU `timeout` sends
 * SIGTERM to the prober and again to its process group, and the second one killed it before the report.
 */
export function interruptOnSignals(): AbortSignal {
  const interrupt = new AbortController();
  const abort = () => interrupt.abort();
  process.on("SIGINT", abort);
  process.on("SIGTERM", abort);
  return interrupt.signal;
}
