import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  passesOutsideBand,
  type Scenario,
  simulateScenario,
  wilsonInterval,
} from "../devtools/campaign-simulation.js";
import { freePort } from "../devtools/free-port.js";
import { haproxyConfig, nginxConfig } from "../devtools/gateway-config.js";
import { simulatedProbe } from "../devtools/simulated-probe.js";
import { runProbeCampaign } from "../prober/campaign/probe-campaign.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import { runWatch } from "../prober/watch/split-watch.js";
import { startWeightedSplitter } from "../splitter/weighted-splitter.js";
import { startServer } from "./echo-peers.js";
import { exactFixedSampleSize } from "./fixed-sample.js";

export interface RateFigure {
  name: string;
  claim: string;
  runs: number;
  verdicts: Record<string, number>;
  /** The share of runs with `verdict`, and Wilson's 95% interval on it. */
  verdict: string;
  rate: number;
  interval: { lower: number; upper: number };
  medianProbes: number;
  p90Probes: number;
  /** --wait runs whose split moved: median probes from the estimated change to the verdict. */
  medianAfterChange: number | null;
  /** For a split that moves: the share of runs that PASSed while v1's true share was outside its band, with Wilson's interval. */
  passOutside: { rate: number; interval: { lower: number; upper: number } } | null;
}

export interface StatisticsFigures {
  scenarios: RateFigure[];
  fixedSample: { question: string; probes: number }[];
  watch: {
    stillHours: number;
    falseAlarms: number;
    delays: { change: string; medianProbes: number; p90Probes: number; medianSecondsAt150: number }[];
    /** An hour's worth of probes (540,000, at 150/s) through the loopback splitter, as fast as it goes. */
    memory: { probes: number; seconds: number; rssStartMb: number; rssEndMb: number; heapEndMb: number };
  };
  gateways: {
    gateway: string;
    configured: string;
    probes: number;
    shareOfOne: number;
    interval: { lower: number; upper: number };
    verdict: string;
  }[];
}

export interface StatisticsBenchSettings {
  runs: number;
  watchHours: number;
  delayRuns: number;
  memoryProbes: number;
  gatewayProbes: number;
}

const TRUE_8020 = { one: 0.8, two: 0.2 };

/**
 * Splits that drift instead of jumping: v1's share moves linearly from 90% or 100% to 70% over so many
 * probes (gateway replicas taking new weights one after another), with and without --wait. A PASS is
 * false when v1's true share at the probe that settled it is outside 75-85%; one given while the ramp
 * crosses the band is a true one.
 */
const RAMPS = [false, true].flatMap((wait) =>
  [0.9, 1].flatMap((from) =>
    [200, 500, 1000, 2000, 5000].map((probes) => ({
      name: `${wait ? "--wait, " : ""}ramp ${from * 100}:${Math.round((1 - from) * 100)} → 70:30 over ${probes} probes`,
      claim: "PASS while outside the band ≤ 1%",
      verdict: "PASS",
      moving: true,
      scenario: {
        expect: "80:20",
        followChanges: wait,
        // --wait has no budget of its own; 3,000 probes past the ramp leave time to FAIL at 70:30.
        maxProbes: wait ? probes + 3000 : 20_000,
        split: [{ truth: { one: from, two: 1 - from }, to: { one: 0.7, two: 0.3 }, probes }],
      },
    })),
  ),
);
const SCENARIOS: {
  name: string;
  claim: string;
  verdict: string;
  scenario: Scenario;
  afterChange?: boolean;
  /** Also count the PASSes given while v1's true share at that probe was outside 80:20's band. */
  moving?: boolean;
}[] = [
  {
    name: "true 80:20",
    claim: "PASS, median ≤ 800, p90 ≤ 1,400",
    verdict: "PASS",
    scenario: { expect: "80:20", split: TRUE_8020 },
  },
  {
    name: "true 80:20",
    claim: "FAIL ≤ 1%",
    verdict: "FAIL",
    scenario: { expect: "80:20", split: TRUE_8020 },
  },
  {
    name: "true 70:30",
    claim: "FAIL, median ≤ 900",
    verdict: "FAIL",
    scenario: { expect: "80:20", split: { one: 0.7, two: 0.3 } },
  },
  {
    name: "true 77:23 (inside the band)",
    claim: "PASS ≥ 99%",
    verdict: "PASS",
    scenario: { expect: "80:20", split: { one: 0.77, two: 0.23 } },
  },
  {
    name: "true 83:17 (inside the band)",
    claim: "PASS ≥ 99%",
    verdict: "PASS",
    scenario: { expect: "80:20", split: { one: 0.83, two: 0.17 } },
  },
  {
    name: "true 74.5:25.5 (just outside)",
    claim: "PASS ≤ 1%",
    verdict: "PASS",
    scenario: { expect: "80:20", split: { one: 0.745, two: 0.255 }, maxProbes: 20_000 },
  },
  {
    name: "true 85.5:14.5 (just outside)",
    claim: "PASS ≤ 1%",
    verdict: "PASS",
    scenario: { expect: "80:20", split: { one: 0.855, two: 0.145 } },
  },
  {
    name: "true 89.5:10.5, expect 95:5",
    claim: "PASS ≤ 1%",
    verdict: "PASS",
    scenario: { expect: "95:5", split: { one: 0.895, two: 0.105 } },
  },
  {
    name: "true 50:30:20",
    claim: "FAIL ≤ 1%",
    verdict: "FAIL",
    scenario: { expect: "50:30:20", split: { one: 0.5, two: 0.3, three: 0.2 } },
  },
  ...[10, 20, 50].map((slower) => ({
    name: `true 80:20, v2 ${slower}× slower, 16 in flight`,
    claim: "FAIL ≤ 1%",
    verdict: "FAIL",
    scenario: {
      expect: "80:20",
      split: TRUE_8020,
      concurrency: 16,
      simulation: { turns: { one: 1, two: slower } },
    },
  })),
  {
    name: "0.5% of probes fail (limit 1%)",
    claim: "ERROR ≤ 1%",
    verdict: "ERROR",
    scenario: { expect: "80:20", split: TRUE_8020, simulation: { errorRate: 0.005 } },
  },
  {
    name: "0.8% of probes fail (limit 1%)",
    claim: "ERROR ≤ 1% (at most 1 - confidence below the limit)",
    verdict: "ERROR",
    scenario: { expect: "80:20", split: TRUE_8020, simulation: { errorRate: 0.008 } },
  },
  {
    name: "3% of probes fail (limit 1%)",
    claim: "ERROR",
    verdict: "ERROR",
    scenario: { expect: "80:20", split: TRUE_8020, simulation: { errorRate: 0.03 } },
  },
  {
    name: "90:10 for 200 probes, then 70:30",
    claim: "PASS ≤ 1%",
    verdict: "PASS",
    scenario: {
      expect: "80:20",
      split: [{ truth: { one: 0.9, two: 0.1 }, probes: 200 }, { truth: { one: 0.7, two: 0.3 } }],
    },
  },
  {
    name: "--wait, 90:10 for 200 probes, then 70:30",
    claim: "PASS ≤ 1%",
    verdict: "PASS",
    scenario: {
      expect: "80:20",
      followChanges: true,
      maxProbes: 20_000,
      split: [{ truth: { one: 0.9, two: 0.1 }, probes: 200 }, { truth: { one: 0.7, two: 0.3 } }],
    },
  },
  {
    name: "--wait, 100:0 for 200 probes, then 70:30",
    claim: "PASS ≤ 1%",
    verdict: "PASS",
    scenario: {
      expect: "80:20",
      followChanges: true,
      maxProbes: 20_000,
      split: [{ truth: { one: 1, two: 0 }, probes: 200 }, { truth: { one: 0.7, two: 0.3 } }],
    },
  },
  {
    name: "--wait, true 70:30 throughout",
    claim: "PASS ≤ 1%",
    verdict: "PASS",
    scenario: { expect: "80:20", followChanges: true, maxProbes: 20_000, split: { one: 0.7, two: 0.3 } },
  },
  {
    name: "--wait, true 80:20 throughout",
    claim: "PASS (the no-change reference)",
    verdict: "PASS",
    scenario: { expect: "80:20", followChanges: true, split: TRUE_8020 },
  },
  ...[200, 1000].map((old) => ({
    name: `--wait, 100:0 for ${old} probes, then 80:20`,
    claim: "PASS; after the change ≤ 1.3× the no-change median",
    verdict: "PASS",
    afterChange: true,
    scenario: {
      expect: "80:20",
      followChanges: true,
      split: [{ truth: { one: 1, two: 0 }, probes: old }, { truth: TRUE_8020 }],
    },
  })),
  {
    // The chart's web AnalysisTemplate: serve's 8 s at its 500 probes/s, the new weights a moment late.
    name: "--wait, 100:0 for 200 probes, then 80:20, 4,000 probes at most",
    claim: "INCONCLUSIVE ≤ 0.5%",
    verdict: "INCONCLUSIVE",
    scenario: {
      expect: "80:20",
      followChanges: true,
      maxProbes: 4000,
      split: [{ truth: { one: 1, two: 0 }, probes: 200 }, { truth: TRUE_8020 }],
    },
  },
  ...RAMPS,
];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const p90 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length * 0.9)] ?? 0;

async function rates(runs: number): Promise<RateFigure[]> {
  const figures: RateFigure[] = [];
  for (const [i, { name, claim, verdict, scenario, afterChange, moving }] of SCENARIOS.entries()) {
    const summary = await simulateScenario(scenario, runs, 1_000_000 * (i + 1));
    const hits = summary.verdicts[verdict] ?? 0;
    const outside = passesOutsideBand(scenario.split, summary.reports);
    const after = summary.reports
      .filter((r) => r.convergedAfterProbes !== null)
      .map((r) => r.probes - (r.convergedAfterProbes as number));
    figures.push({
      name,
      claim,
      runs,
      verdicts: summary.verdicts,
      verdict,
      rate: hits / runs,
      interval: wilsonInterval(hits, runs),
      medianProbes: summary.medianProbes,
      p90Probes: summary.p90Probes,
      medianAfterChange: afterChange && after.length > 0 ? median(after) : null,
      passOutside: moving ? { rate: outside / runs, interval: wilsonInterval(outside, runs) } : null,
    });
  }
  return figures;
}

/**
 * Watches `probes` simulated probes (no time passes) and returns, for each change it announced, how many
 * outcomes had been counted by then; `firstOnly` stops at the first.
 */
async function changesInSimulatedWatch(
  split: Parameters<typeof simulatedProbe>[0],
  probes: number,
  seed: number,
  firstOnly: boolean,
): Promise<number[]> {
  const controller = new AbortController();
  const simulated = simulatedProbe(split, seed);
  let started = 0;
  let counted = 0;
  const changesAt: number[] = [];
  await runWatch({
    host: "simulated",
    port: 1,
    steps: [parseExpectation("80:20")],
    rate: 1e9,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.event !== "change") return;
      changesAt.push(counted);
      if (firstOnly) controller.abort();
    },
    probe: () => {
      started += 1;
      if (started === probes) controller.abort();
      return simulated().then((outcome) => {
        counted += 1;
        return outcome;
      });
    },
  });
  return changesAt;
}

/** Detection delay in probes: from the change (after 5,000 probes) to the outcome that raised the alarm. */
async function detectionDelays(runs: number, before: Record<string, number>, after: Record<string, number>) {
  const delays: number[] = [];
  for (let seed = 1; seed <= runs; seed++) {
    const [first] = await changesInSimulatedWatch(
      [{ truth: before, probes: 5000 }, { truth: after }],
      20_000,
      seed,
      true,
    );
    if (first !== undefined) delays.push(first - 5000);
  }
  return delays;
}

async function watchMemory(probes: number): Promise<StatisticsFigures["watch"]["memory"]> {
  const [one, two] = await Promise.all([startServer("tcp-echo", "one"), startServer("tcp-echo", "two")]);
  const splitter = await startWeightedSplitter([
    { host: "127.0.0.1", port: one.port, weight: 80 },
    { host: "127.0.0.1", port: two.port, weight: 20 },
  ]);
  try {
    const rssStart = process.memoryUsage().rss;
    const controller = new AbortController();
    let counted = 0;
    const began = performance.now();
    await runWatch({
      host: "127.0.0.1",
      port: splitter.port,
      steps: [parseExpectation("80:20")],
      rate: 1e9,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.event !== "window") return;
        counted += event.probes;
        if (counted >= probes) controller.abort();
      },
    });
    const { rss, heapUsed } = process.memoryUsage();
    return {
      probes: counted,
      seconds: (performance.now() - began) / 1000,
      rssStartMb: rssStart / 2 ** 20,
      rssEndMb: rss / 2 ** 20,
      heapEndMb: heapUsed / 2 ** 20,
    };
  } finally {
    await splitter.close();
    await Promise.all([one.stop(), two.stop()]);
  }
}

/** What a real gateway's weighted pick really gives: the prober with a tight tolerance over many probes. */
async function gatewayShares(probes: number): Promise<StatisticsFigures["gateways"]> {
  const [one, two] = await Promise.all([startServer("tcp-echo", "one"), startServer("tcp-echo", "two")]);
  const figures: StatisticsFigures["gateways"] = [];
  try {
    for (const gateway of ["nginx", "haproxy"] as const) {
      for (const [w1, w2] of [
        [80, 20],
        [70, 30],
      ] as const) {
        const dir = mkdtempSync(join(tmpdir(), `tcp-echo-bench-${gateway}-`));
        const port = await freePort();
        const backends = [
          { name: "v1", port: one.port, weight: w1 },
          { name: "v2", port: two.port, weight: w2 },
        ];
        const config = join(dir, `${gateway}.conf`);
        writeFileSync(
          config,
          gateway === "haproxy" ? haproxyConfig(port, backends) : nginxConfig(dir, port, backends),
        );
        const child: ChildProcess =
          gateway === "haproxy"
            ? spawn("haproxy", ["-W", "-db", "-f", config], { stdio: ["ignore", "ignore", "pipe"] })
            : spawn("nginx", ["-c", config, "-e", "stderr"], { stdio: ["ignore", "ignore", "pipe"] });
        try {
          await readyOn(child, gateway === "haproxy" ? /Loading success/ : /start worker process/);
          const report = await runProbeCampaign({
            host: "127.0.0.1",
            port,
            expected: parseExpectation(`${w1}:${w2}`),
            tolerance: 0.01,
            maxProbes: probes,
            durationMs: 600_000,
            stopWhenSettled: false,
          });
          figures.push({
            gateway: gateway === "haproxy" ? "HAProxy 2.6 balance random" : "nginx 1.22 stream random",
            configured: `${w1}:${w2}`,
            probes: report.probes,
            shareOfOne: report.shares.one ?? 0,
            interval: report.intervals.one ?? { lower: 0, upper: 1 },
            verdict: report.verdict,
          });
        } finally {
          child.kill("SIGTERM");
          await once(child, "exit");
          rmSync(dir, { recursive: true, force: true });
        }
      }
    }
  } finally {
    await Promise.all([one.stop(), two.stop()]);
  }
  return figures;
}

function readyOn(child: ChildProcess, pattern: RegExp): Promise<void> {
  let text = "";
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`gateway exited with ${code}: ${text}`)));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      if (pattern.test(text)) resolve();
    });
  });
}

export async function benchStatistics(settings: StatisticsBenchSettings): Promise<StatisticsFigures> {
  const still: number[] = [];
  for (let hour = 1; hour <= settings.watchHours; hour++)
    still.push(...(await changesInSimulatedWatch(TRUE_8020, 540_000, hour, false)));
  const delays: StatisticsFigures["watch"]["delays"] = [];
  for (const [change, before, after] of [
    ["100:0 → 80:20", { one: 1, two: 0 }, TRUE_8020],
    ["80:20 → 50:50", TRUE_8020, { one: 0.5, two: 0.5 }],
    ["80:20 → 70:30", TRUE_8020, { one: 0.7, two: 0.3 }],
    ["80:20 → 75:25", TRUE_8020, { one: 0.75, two: 0.25 }],
  ] as const) {
    const probes = await detectionDelays(settings.delayRuns, before, after);
    delays.push({
      change,
      medianProbes: median(probes),
      p90Probes: p90(probes),
      medianSecondsAt150: median(probes) / 150,
    });
  }
  return {
    scenarios: await rates(settings.runs),
    fixedSample: [
      {
        question: "PASS a true 80:20 (two one-sided exact binomial tests, 99%, 90% power)",
        probes: exactFixedSampleSize(0.8, 0.75, 0.85, 0.01, 0.9, 800),
      },
      { question: "the same at 80% power", probes: exactFixedSampleSize(0.8, 0.75, 0.85, 0.01, 0.8, 600) },
      {
        question: "FAIL a true 70:30 (one-sided exact binomial test at the edge, 99%, 90% power)",
        probes: exactFixedSampleSize(0.7, 0.75, 0.85, 0.01, 0.9, 600),
      },
    ],
    watch: {
      stillHours: settings.watchHours,
      falseAlarms: still.length,
      delays,
      memory: await watchMemory(settings.memoryProbes),
    },
    gateways: await gatewayShares(settings.gatewayProbes),
  };
}
