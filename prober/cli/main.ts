#!/usr/bin/env node
import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { environmentConfig, parseOrExit, withCliConventions } from "../../common/cli-conventions.js";
import { exitWithError, UsageError } from "../../common/cli-failure.js";
import { EXIT_CODES, exitCodeForSystemError } from "../../common/exit-codes.js";
import {
  CAMPAIGN_DEFAULTS,
  type CampaignOptions,
  resolveCampaignOptions,
  runFleetCampaign,
  runProbeCampaign,
} from "../campaign/index.js";
import { ProberOptionError } from "../errors.js";
import { expectationFromWeights } from "../expectations/index.js";
import { resolveTarget } from "../probing/index.js";
import {
  campaignReportHtml,
  checkJunitXml,
  fleetReportHtml,
  formatFleetReport,
  formatReport,
} from "../reports/index.js";
import { inertJson } from "../untrusted-text.js";
import {
  expectationArguments,
  FLEET_OPTIONS,
  type FleetSource,
  fleetSource,
  resolveFleet,
} from "./fleet-targets.js";
import { createProgressBar } from "./progress-bar.js";
import {
  clusterFollower,
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
import { runWatchCommand } from "./watch-command.js";

const PROGRAM = "prober";

const CHECK_OPTIONS = {
  ...EXPECTATION_OPTIONS,
  ...PROBE_OPTIONS,
  ...FLEET_OPTIONS,
  "max-probes": {
    alias: "n",
    type: "number",
    describe: "probe budget (default 20000; none with --wait)",
  },
  "min-probes": {
    type: "number",
    describe:
      "no PASS before this many probes (default 0): to catch a rare leak to a weight-0 version, or let a slow ramp show (docs/statistics.md)",
  },
  duration: { type: "number", describe: "time budget in seconds (default 60)" },
  wait: {
    type: "number",
    describe:
      "seconds the new weights may take to reach the gateway: probe until the split holds (PASS) or this time ends, following changes of the split (instead of --duration)",
  },
  rate: { type: "number", describe: "at most this many probes started per second" },
  "lines-per-connection": { type: "number", default: 1, describe: "lines sent over each connection" },
  "early-stop": {
    type: "boolean",
    default: true,
    describe: "stop once the verdict is settled (--no-early-stop spends the budget)",
  },
  json: { type: "boolean", default: false, describe: "print the report as one JSON object" },
  report: {
    type: "string",
    describe: "also write a self-contained HTML report (shares and bounds against probes) to this file",
  },
  junit: {
    type: "string",
    describe:
      "also write the verdict as JUnit XML to this file (a testsuite per endpoint, a testcase per version)",
  },
} as const;

function parseArguments(argv: string[]) {
  const parser = yargs(joinStdinDash(argv))
    .scriptName(PROGRAM)
    .usage(
      "$0 --expect 80:20 [host:port] [options]\n$0 watch [host:port] --expect-steps 100:0,80:20 [options]   (see prober watch --help)\n$0 serve [--listen HOST:PORT] [--token-file FILE]   (see prober serve --help)\n\nProbes a TCP endpoint with many fresh connections, classifies each reply by its tcp-echo prefix, and decides whether the traffic split matches the expected weights.",
    )
    .command("$0 [target..]", false)
    .positional("target", {
      ...TARGET_POSITIONAL,
      array: true,
      describe: `${TARGET_POSITIONAL.describe}; several: each verified on its own`,
    })
    .options(CHECK_OPTIONS)
    .config(environmentConfig("PROBER", Object.keys(CHECK_OPTIONS)))
    .epilog(
      `${ENVIRONMENT_NOTE}\n\nExit codes: 0 PASS, 1 FAIL, 2 INCONCLUSIVE, 3 ERROR (unreachable, or errors shown above --max-error-rate), 64 usage error, 68 a name of --each-address that resolves to nothing, 70 internal failure; with --expect-from KIND/NAME or --each-endpoint: 65 no tcp weights (or a Service of several ports, none named), 66 not found, 69 API server unreachable, 77 forbidden, 78 no cluster configured. SIGINT and SIGTERM stop the run and print the report of what was seen, with its verdict's exit code.`,
    );
  return withCliConventions(parser).parseSync();
}

type Arguments = ReturnType<typeof parseArguments>;

function campaignOptions(
  args: Arguments,
  source: ExpectationSource,
  fleet: FleetSource | undefined,
): CampaignOptions {
  // A fleet's endpoints are known only once read; until then a placeholder that passes the checks.
  const { host, port } =
    fleet === undefined
      ? resolveTarget(args.target?.[0]?.toString(), process.env)
      : { host: "fleet", port: 1 };
  if (args.wait !== undefined && args.duration !== undefined) {
    throw new UsageError(
      "give either --wait or --duration: --wait is the time budget while following changes",
    );
  }
  return {
    host,
    port,
    // Read live after parsing (an API call); until then a placeholder that passes the options' checks.
    expected: "expected" in source ? source.expected : expectationFromWeights([["one", 1]], "placeholder"),
    confidence: args.confidence,
    tolerance: args.tolerance,
    maxErrorRate: args.maxErrorRate,
    concurrency: args.concurrency,
    maxProbes: args.maxProbes,
    minProbes: args.minProbes,
    durationMs: (args.wait ?? args.duration ?? CAMPAIGN_DEFAULTS.durationMs / 1000) * 1000,
    rate: args.rate,
    connectTimeoutMs: args.connectTimeout * 1000,
    timeoutMs: args.timeout * 1000,
    linesPerConnection: args.linesPerConnection,
    stopWhenSettled: args.earlyStop,
    followChanges: args.wait !== undefined,
  };
}

/** Checks the options as the library will, so that a bad value is a usage error naming its flag. */
function validated(options: CampaignOptions): CampaignOptions {
  try {
    resolveCampaignOptions(options);
  } catch (error) {
    if (error instanceof ProberOptionError) {
      const wait = error.option === "durationMs" && options.followChanges;
      throw usageFromOptionError(error, wait ? "--wait" : undefined);
    }
    throw error;
  }
  return options;
}

async function main(): Promise<void> {
  const argv = hideBin(process.argv);
  if (argv[0] === "watch") {
    await runWatchCommand(argv.slice(1));
    return;
  }
  if (argv[0] === "serve") {
    // Loaded only here: the HTTP server and its metrics are no cost to a one-shot check.
    const { runServeCommand } = await import("./serve-command.js");
    await runServeCommand(argv.slice(1));
    return;
  }
  const { args, source, fleet, options } = parseOrExit(PROGRAM, () => {
    const parsed = parseArguments(argv);
    const fleet = fleetSource(parsed, process.env);
    const from = expectationSource(expectationArguments(parsed, fleet));
    return { args: parsed, source: from, fleet, options: validated(campaignOptions(parsed, from, fleet)) };
  });
  const { expected, expectedFrom } = await resolveExpectation(PROGRAM, source, args);
  // With --wait, the object is read again while the run goes on: a shift applied to it is followed.
  const followExpectation = options.followChanges
    ? clusterFollower(PROGRAM, source, args, expectedFrom)
    : undefined;
  const progress = createProgressBar(process.stderr);
  const run = {
    ...options,
    expected,
    expectedFrom,
    followExpectation,
    trace: args.report !== undefined,
    onProgress: progress.update,
    signal: interruptOnSignals(),
  };
  const junit = { hostname: hostname(), startedAt: new Date() };
  if (fleet !== undefined) {
    const { endpoints, follow } = await resolveFleet(PROGRAM, fleet);
    const { host, port, probe, ...shared } = run;
    const report = await runFleetCampaign({ ...shared, endpoints, followEndpoints: follow });
    progress.stop();
    process.stdout.write(args.json ? `${inertJson(report, 2)}\n` : formatFleetReport(report));
    if (args.report !== undefined) writeFileSync(args.report, fleetReportHtml(report));
    if (args.junit !== undefined) writeFileSync(args.junit, checkJunitXml(report, junit));
    process.exitCode = EXIT_CODES[report.verdict];
    return;
  }
  const report = await runProbeCampaign(run);
  progress.stop();
  process.stdout.write(args.json ? `${inertJson(report, 2)}\n` : formatReport(report));
  if (args.report !== undefined) writeFileSync(args.report, campaignReportHtml(report));
  if (args.junit !== undefined) writeFileSync(args.junit, checkJunitXml(report, junit));
  process.exitCode = EXIT_CODES[report.verdict];
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  const exit = code === undefined ? EXIT_CODES.SOFTWARE : exitCodeForSystemError(code);
  exitWithError(PROGRAM, error instanceof Error ? error.message : String(error), exit);
});
