import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import yargs from "yargs";
import { environmentConfig, parseOrExit, withCliConventions } from "../../common/cli-conventions.js";
import { UsageError } from "../../common/cli-failure.js";
import { EXIT_CODES } from "../../common/exit-codes.js";
import { namedTarget } from "../endpoints/index.js";
import { ProberOptionError } from "../errors.js";
import { type Expectation, parseExpectation } from "../expectations/index.js";
import { resolveTarget } from "../probing/index.js";
import { fleetWatchReportHtml, watchJunitXml, watchReportHtml } from "../reports/index.js";
import { inertJson, shownPrefix, terminalText } from "../untrusted-text.js";
import {
  describeReach,
  type FleetWatchEvent,
  type FleetWatchSummary,
  resolveWatchOptions,
  runFleetWatch,
  runWatch,
  type Shares,
  WATCH_DEFAULTS,
  type WatchEvent,
  type WatchOptions,
} from "../watch/index.js";
import {
  expectationArguments,
  FLEET_OPTIONS,
  type FleetSource,
  fleetSource,
  resolveFleet,
} from "./fleet-targets.js";
import {
  asUsage,
  clusterFollower,
  describeSource,
  ENVIRONMENT_NOTE,
  EXPECTATION_OPTIONS,
  type ExpectationSource,
  expectationSource,
  interruptOnSignals,
  joinStdinDash,
  PROBE_OPTIONS,
  resolveExpectation,
  TARGET_POSITIONAL,
  usageFromOptionError,
} from "./shared-options.js";

const PROGRAM = "prober watch";

const WATCH_OPTIONS = {
  ...EXPECTATION_OPTIONS,
  ...PROBE_OPTIONS,
  ...FLEET_OPTIONS,
  "expect-steps": {
    type: "string",
    describe:
      "the splits a rollout should pass through, in order: 100:0,80:20,50:50,0:100 (named weights: separate steps with ;)",
  },
  rate: { type: "number", default: WATCH_DEFAULTS.rate, describe: "probes started per second" },
  interval: {
    type: "number",
    default: WATCH_DEFAULTS.intervalMs / 1000,
    describe: "seconds between report lines",
  },
  duration: { type: "number", describe: "seconds to watch (default: until SIGINT or SIGTERM)" },
  persist: {
    type: "number",
    default: WATCH_DEFAULTS.persistMs / 1000,
    describe: "seconds a split matching no remaining step must hold, with no change, before it FAILs",
  },
  json: {
    type: "boolean",
    default: false,
    describe: "NDJSON on stdout: one event a line (window, change, step, summary)",
  },
  report: {
    type: "string",
    describe: "also write a self-contained HTML report of the timeline to this file",
  },
  junit: {
    type: "string",
    describe:
      "also write the summary as JUnit XML to this file (a testsuite per endpoint, a testcase per step)",
  },
} as const;

function parseArguments(argv: string[]) {
  const parser = yargs(joinStdinDash(argv))
    .scriptName(PROGRAM)
    .usage(
      "$0 [host:port] [--expect 80:20 | --expect-steps 100:0,80:20,50:50,0:100] [options]\n\nProbes continuously at a polite rate, prints each interval's shares, announces every change of the split and, with --expect-steps, checks that the split passes through the steps in order. With nothing expected it monitors: windows and changes until --duration or a signal, exit 0 unless errors.",
    )
    .command("$0 [target..]", false)
    .positional("target", {
      ...TARGET_POSITIONAL,
      array: true,
      describe: `${TARGET_POSITIONAL.describe}; several: each watched on its own`,
    })
    .options(WATCH_OPTIONS)
    .config(environmentConfig("PROBER", Object.keys(WATCH_OPTIONS)))
    .epilog(
      `${ENVIRONMENT_NOTE}\n\nExit codes: 0 every step proven in order (without steps: the split since the last change PASSes); 1 a split that matches no remaining step persists, or a step was missed (shown skipped); 2 the time ran out first, or a step was reached too briefly to prove (unverified: the reason says the rate or pause that would do); 3 errors; 64 usage error.`,
    );
  return withCliConventions(parser).parseSync();
}

type Arguments = ReturnType<typeof parseArguments>;

/** `--expect-steps`: positional splits separated by commas, or named ones separated by semicolons. */
function parseSteps(spec: string, labels: string[] | undefined): Expectation[] {
  const parts = spec.includes("=") ? spec.split(";") : spec.split(/[,;]/);
  return parts.map((part) => asUsage("--expect-steps", () => parseExpectation(part.trim(), labels)));
}

function watchOptions(
  args: Arguments,
  fleet: FleetSource | undefined,
): { options: WatchOptions; source: ExpectationSource | undefined } {
  // A fleet's endpoints are known only once read; until then a placeholder that passes the checks.
  const { host, port } =
    fleet === undefined
      ? resolveTarget(args.target?.[0]?.toString(), process.env)
      : { host: "fleet", port: 1 };
  const given = [args.expect, args.expectSteps, args.expectFrom].filter((value) => value !== undefined);
  if (given.length > 1) throw new UsageError("give one of --expect, --expect-steps or --expect-from");
  const labels = args.labels?.split(",").map((label) => label.trim());
  // Nothing expected: a monitor of windows and changes.
  const monitor = given.length === 0;
  const source =
    args.expectSteps === undefined && !monitor
      ? expectationSource(expectationArguments(args, fleet))
      : undefined;
  // A cluster object is read after parsing (an API call); a placeholder split until then.
  const steps = monitor
    ? []
    : source === undefined
      ? parseSteps(args.expectSteps as string, labels)
      : ["expected" in source ? source.expected : parseExpectation("1")];
  const options: WatchOptions = {
    host,
    port,
    steps,
    rate: args.rate,
    intervalMs: args.interval * 1000,
    persistMs: args.persist * 1000,
    durationMs: args.duration === undefined ? undefined : args.duration * 1000,
    concurrency: args.concurrency,
    connectTimeoutMs: args.connectTimeout * 1000,
    timeoutMs: args.timeout * 1000,
    confidence: args.confidence,
    tolerance: args.tolerance,
    maxErrorRate: args.maxErrorRate,
  };
  return { options, source };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const listShares = (shares: Shares) =>
  Object.entries(shares)
    .map(([label, share]) => `${shownPrefix(label)} ${(share * 100).toFixed(1)}%`)
    .join(" ");

/** One line of text per event, as people read a live log. */
export function formatWatchEvent(event: WatchEvent): string {
  switch (event.event) {
    case "window": {
      const { segment } = event;
      const bounds = Object.entries(segment.intervals)
        .map(
          ([label, b]) =>
            `${shownPrefix(label)} [${(b.lower * 100).toFixed(1)}, ${(b.upper * 100).toFixed(1)}]`,
        )
        .join(" ");
      return `${seconds(event.atMs).padStart(8)}  ${String(event.probes).padStart(5)} probes${event.failed ? ` (${event.failed} failed)` : ""}  ${listShares(event.shares)}  | since ${seconds(segment.startMs)} (${segment.probes}): ${listShares(segment.shares)}  bounds ${bounds}`;
    }
    case "change":
      return `${seconds(event.detectedAtMs).padStart(8)}  CHANGE near ${seconds(event.atMs)}: ${listShares(event.before)} → ${listShares(event.after)}`;
    case "step":
      return `${seconds(event.atMs).padStart(8)}  STEP ${event.step + 1} PASSED: ${event.split}${event.missed.length > 0 ? ` (missed: ${event.missed.join(", ")})` : ""}${event.unverified.length > 0 ? ` (unverified: ${event.unverified.join(", ")})` : ""}`;
    case "expected":
      return `${seconds(event.atMs).padStart(8)}  EXPECTED now ${event.split}, from ${event.source}`;
    case "summary":
      return `${event.target}: ${event.probes} probes in ${seconds(event.durationMs)}, ${event.changes} changes, stopped by ${event.stoppedBy}${event.expectationSource ? `; weights from ${event.expectationSource}` : ""}\n${event.verdict}: ${terminalText(event.reason)}`;
  }
}

export async function runWatchCommand(argv: string[]): Promise<void> {
  const { args, options, source, fleet } = parseOrExit(PROGRAM, () => {
    const parsed = parseArguments(argv);
    const fleet = fleetSource(parsed, process.env);
    const built = watchOptions(parsed, fleet);
    try {
      resolveWatchOptions(built.options);
    } catch (error) {
      throw error instanceof ProberOptionError ? usageFromOptionError(error) : error;
    }
    return { args: parsed, fleet, ...built };
  });
  if (source !== undefined) {
    const { expected, expectedFrom } = await resolveExpectation(PROGRAM, source, args);
    options.steps = [expected];
    options.expectationSource = expectedFrom === undefined ? undefined : describeSource(expectedFrom);
    // The object is read again while watching: a shift applied to it is followed.
    const follow = clusterFollower(PROGRAM, source, args, expectedFrom);
    if (follow)
      options.followExpectation = (update, signal) =>
        follow((next, from) => update(next, describeSource(from)), signal);
  }
  if (fleet !== undefined) {
    await watchFleet(args, options, fleet);
    return;
  }
  const events: WatchEvent[] = [];
  const print = (event: WatchEvent) => {
    if (args.report !== undefined) events.push(event);
    process.stdout.write(`${args.json ? inertJson(event) : formatWatchEvent(event)}\n`);
  };
  const startedAt = new Date();
  const summary = await runWatch({ ...options, onEvent: print, signal: interruptOnSignals() });
  if (args.report !== undefined) writeFileSync(args.report, watchReportHtml(events));
  if (args.junit !== undefined) {
    writeFileSync(args.junit, watchJunitXml(summary, { hostname: hostname(), startedAt }));
  }
  process.exitCode = EXIT_CODES[summary.verdict];
}

/** The fleet's summary: each step's reach over the replicas, then the fleet's verdict. */
export function formatFleetWatchSummary(summary: FleetWatchSummary): string {
  const several = summary.steps.length > 1;
  const lines = [
    `${summary.endpoints.length} endpoints, each judged at ${Number((summary.endpointConfidence * 100).toPrecision(6))}% confidence, in ${seconds(summary.durationMs)}`,
    ...(several || summary.steps.some((s) => s.reached > 0)
      ? summary.steps.map((step) => `  ${describeReach(step)}`)
      : []),
    ...summary.appeared.map(
      (a) => `  ${namedTarget(a.target, a.pod)}: appeared at ${seconds(a.atMs)}, not watched`,
    ),
    `${summary.verdict}: ${terminalText(summary.reason)}`,
  ];
  return lines.join("\n");
}

async function watchFleet(args: Arguments, options: WatchOptions, fleet: FleetSource): Promise<void> {
  const { endpoints, follow } = await resolveFleet(PROGRAM, fleet);
  const events: FleetWatchEvent[] = [];
  const print = (event: FleetWatchEvent) => {
    if (args.report !== undefined) events.push(event);
    const text =
      event.event === "fleet-summary"
        ? formatFleetWatchSummary(event)
        : formatWatchEvent(event)
            .split("\n")
            .map((line) => `${event.endpoint}  ${line.trimStart()}`)
            .join("\n");
    process.stdout.write(`${args.json ? inertJson(event) : text}\n`);
  };
  const { host, port, probe, ...shared } = options;
  const startedAt = new Date();
  const summary = await runFleetWatch({
    ...shared,
    endpoints,
    followEndpoints: follow,
    onEvent: print,
    signal: interruptOnSignals(),
  });
  if (args.report !== undefined) writeFileSync(args.report, fleetWatchReportHtml(events));
  if (args.junit !== undefined) {
    writeFileSync(args.junit, watchJunitXml(summary, { hostname: hostname(), startedAt }));
  }
  process.exitCode = EXIT_CODES[summary.verdict];
}
