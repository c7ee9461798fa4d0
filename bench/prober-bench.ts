import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import mt19937 from "@stdlib/random-base-mt19937";
import { simulatedProbe } from "../devtools/simulated-probe.js";
import { type CampaignReport, runProbeCampaign } from "../prober/campaign/probe-campaign.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import { isCheckpoint } from "../prober/statistics/split-segments.js";
import { judgeSplit, type SplitJudgement, splitBounds } from "../prober/statistics/split-verdict.js";
import { startWeightedSplitter } from "../splitter/weighted-splitter.js";
import { startServer } from "./echo-peers.js";
import { exactFixedSampleSize } from "./fixed-sample.js";
import { goLoad } from "./go-load.js";

const run = promisify(execFile);
/** The prober as the image ships it: the bundle from `npm run bundle`. */
const PROBER_CLI = fileURLToPath(new URL("../../bundle/bin/prober", import.meta.url));
const NODE_DIAL_LOOP = fileURLToPath(new URL("./node-dial-loop.js", import.meta.url));
const DEFAULTS = { confidence: 0.99, tolerance: 0.05, maxErrorRate: 0.01 };

export interface ProberBenchSettings {
  seconds: number;
  probes: number;
  concurrency: number[];
  /** Rounds of prober, Go loop and Node loop, taken in turn; each figure is the median of its rounds. */
  rounds: number;
  simulations: number;
  wallRuns: number;
}

export interface SettleFigures {
  truth: string;
  verdict: string;
  medianProbes: number;
  p90Probes: number;
  /** Share of simulated runs that reached the expected verdict. */
  rate: number;
  /** A fixed-sample textbook test's size for the same question (99% confidence, 90% power). */
  fixedSampleProbes: number;
  /** Wall time and probes of the real prober through the loopback splitter, medians. */
  wallMs: number;
  wallProbes: number;
}

export interface ProberFigures {
  /** Probes per second against this project's server by probes in flight, beside two bare loops; medians. */
  throughput: Record<number, { proberPerSecond: number; goLoopPerSecond: number; nodeLoopPerSecond: number }>;
  settle: SettleFigures[];
  convergence: { probes: number; share: number; lower: number; upper: number }[];
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const percentile90 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)] ?? 0;

function simulate(shareOfOne: number, seed: number): Promise<CampaignReport> {
  return runProbeCampaign({
    ...DEFAULTS,
    expected: parseExpectation("80:20"),
    host: "simulated",
    port: 1,
    concurrency: 1,
    maxProbes: 20_000,
    durationMs: 600_000,
    connectTimeoutMs: 1000,
    timeoutMs: 1000,
    linesPerConnection: 1,
    stopWhenSettled: true,
    probe: simulatedProbe({ one: shareOfOne, two: 1 - shareOfOne }, seed),
  });
}

/** The exact fixed-sample size for the same question at 99% confidence and 90% power, ±5 pp around 80%. */
const fixedSampleSize = (truth: number) => exactFixedSampleSize(truth, 0.75, 0.85, 0.01, 0.9, 600);

/**
 * Runs the prober with --json. Its verdicts exit 0-3 with a report on stdout; anything else (a crash, a
 * usage error) rejects with the exit code and stderr rather than becoming an empty report.
 */
export async function proberJson(
  args: string[],
  cli = PROBER_CLI,
): Promise<CampaignReport & { wallMs: number }> {
  const began = performance.now();
  const { stdout } = await run(process.execPath, [cli, ...args, "--json"]).catch(
    (error: { code?: unknown; stdout?: string; stderr?: string }) => {
      if (typeof error.code === "number" && error.code <= 3 && error.stdout) return { stdout: error.stdout };
      throw new Error(
        `prober ${args.join(" ")} failed (exit ${String(error.code)}): ${error.stderr?.trim() ?? ""}`,
      );
    },
  );
  return { ...(JSON.parse(stdout) as CampaignReport), wallMs: performance.now() - began };
}

async function throughput(settings: ProberBenchSettings): Promise<ProberFigures["throughput"]> {
  const server = await startServer("tcp-echo");
  const rate = {
    prober: async (clients: number) =>
      (
        await proberJson([
          "--expect",
          "100:0",
          "-n",
          String(settings.probes),
          "--no-early-stop",
          "-c",
          String(clients),
          `127.0.0.1:${server.port}`,
        ])
      ).probesPerSecond,
    goLoop: async (clients: number) =>
      (await goLoad("conn", server.port, clients, settings.seconds)).perSecond,
    nodeLoop: async (clients: number) => {
      const loop = [NODE_DIAL_LOOP, String(server.port), String(settings.probes), String(clients)];
      return (JSON.parse((await run(process.execPath, loop)).stdout) as { perSecond: number }).perSecond;
    },
  };
  try {
    const figures: ProberFigures["throughput"] = {};
    for (const clients of settings.concurrency) {
      // In turn, round after round: the machine's drift over a minute falls on all three alike.
      const rounds = { prober: [] as number[], goLoop: [] as number[], nodeLoop: [] as number[] };
      for (let round = 0; round < settings.rounds; round++)
        for (const kind of ["prober", "goLoop", "nodeLoop"] as const)
          rounds[kind].push(await rate[kind](clients));
      figures[clients] = {
        proberPerSecond: median(rounds.prober),
        goLoopPerSecond: median(rounds.goLoop),
        nodeLoopPerSecond: median(rounds.nodeLoop),
      };
    }
    return figures;
  } finally {
    await server.stop();
  }
}

async function settle(settings: ProberBenchSettings): Promise<SettleFigures[]> {
  const [one, two] = await Promise.all([startServer("tcp-echo", "one"), startServer("tcp-echo", "two")]);
  const figures: SettleFigures[] = [];
  try {
    for (const [shareOfOne, verdict] of [
      [0.8, "PASS"],
      [0.7, "FAIL"],
    ] as const) {
      const runs: CampaignReport[] = [];
      for (let seed = 1; seed <= settings.simulations; seed++) runs.push(await simulate(shareOfOne, seed));
      const splitter = await startWeightedSplitter([
        { host: "127.0.0.1", port: one.port, weight: shareOfOne * 100 },
        { host: "127.0.0.1", port: two.port, weight: 100 - shareOfOne * 100 },
      ]);
      const wall: (CampaignReport & { wallMs: number })[] = [];
      for (let i = 0; i < settings.wallRuns; i++)
        wall.push(await proberJson(["--expect", "80:20", `127.0.0.1:${splitter.port}`]));
      await splitter.close();
      figures.push({
        truth: `${shareOfOne * 100}:${100 - shareOfOne * 100}`,
        verdict,
        medianProbes: median(runs.map((r) => r.probes)),
        p90Probes: percentile90(runs.map((r) => r.probes)),
        rate: runs.filter((r) => r.verdict === verdict).length / runs.length,
        fixedSampleProbes: fixedSampleSize(shareOfOne),
        wallMs: median(wall.map((r) => r.wallMs)),
        wallProbes: median(wall.map((r) => r.probes)),
      });
    }
    return figures;
  } finally {
    await one.stop();
    await two.stop();
  }
}

/** One seeded run at a true 80:20, traced past its PASS at the campaign's checkpoints: share and interval. */
function convergence(): ProberFigures["convergence"] {
  const integers = mt19937.factory({ seed: 7 });
  const criteria = { ...DEFAULTS, expected: parseExpectation("80:20") };
  const counts = { one: 0, two: 0 };
  const trace: ProberFigures["convergence"] = [];
  let judged: SplitJudgement | undefined;
  for (let n = 1; n <= 3000; n++) {
    if (integers() / 4294967296 < 0.8) counts.one += 1;
    else counts.two += 1;
    if (isCheckpoint(n)) {
      judged = judgeSplit({ counts, unexpected: {}, errors: {} }, criteria, { previous: judged });
      const version = judged.versions[0];
      const bounds = splitBounds(judged, criteria).one;
      if (version && bounds) trace.push({ probes: n, share: version.observedShare, ...bounds });
    }
  }
  return trace;
}

export async function benchProber(settings: ProberBenchSettings): Promise<ProberFigures> {
  return {
    throughput: await throughput(settings),
    settle: await settle(settings),
    convergence: convergence(),
  };
}
