import { type CampaignReport, runProbeCampaign } from "../prober/campaign/probe-campaign.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import {
  type SimulatedPhase,
  type SimulationOptions,
  simulatedProbe,
  trueSharesAt,
} from "./simulated-probe.js";

/** One simulated situation: what is expected, what the gateway really does, and how the prober runs. */
export interface Scenario {
  expect: string;
  split: Record<string, number> | SimulatedPhase[];
  simulation?: SimulationOptions;
  concurrency?: number;
  maxProbes?: number;
  minProbes?: number;
  followChanges?: boolean;
  stopWhenSettled?: boolean;
  confidence?: number;
}

export interface ScenarioSummary {
  runs: number;
  verdicts: Record<string, number>;
  medianProbes: number;
  p90Probes: number;
  reports: CampaignReport[];
}

/** Runs the real campaign on seeded simulated probes, `runs` times from `firstSeed`. */
export async function simulateScenario(
  scenario: Scenario,
  runs: number,
  firstSeed: number,
): Promise<ScenarioSummary> {
  const reports: CampaignReport[] = [];
  for (let seed = firstSeed; seed < firstSeed + runs; seed++) {
    reports.push(
      await runProbeCampaign({
        host: "simulated",
        port: 1,
        expected: parseExpectation(scenario.expect),
        concurrency: scenario.concurrency ?? 1,
        maxProbes: scenario.maxProbes,
        minProbes: scenario.minProbes,
        durationMs: 600_000,
        followChanges: scenario.followChanges,
        // Simulated probes take no time: no rate cap, whatever --wait's default.
        rate: Number.POSITIVE_INFINITY,
        stopWhenSettled: scenario.stopWhenSettled,
        confidence: scenario.confidence,
        probe: simulatedProbe(scenario.split, seed, scenario.simulation),
      }),
    );
  }
  return summarizeRuns(reports);
}

/** Seeded runs' verdicts counted, and the median and 90th percentile of their probes. */
export function summarizeRuns<R extends { verdict: string; probes: number }>(reports: R[]) {
  const verdicts: Record<string, number> = { PASS: 0, FAIL: 0, INCONCLUSIVE: 0, ERROR: 0 };
  for (const report of reports) verdicts[report.verdict] = (verdicts[report.verdict] ?? 0) + 1;
  const probes = reports.map((r) => r.probes).sort((a, b) => a - b);
  return {
    runs: reports.length,
    verdicts,
    medianProbes: probes[Math.floor(reports.length / 2)] ?? 0,
    p90Probes: probes[Math.floor(reports.length * 0.9)] ?? 0,
    reports,
  };
}

/** Wilson's 95% score interval for a rate of `hits` in `runs` (Wilson 1927). */
export function wilsonInterval(hits: number, runs: number): { lower: number; upper: number } {
  const z = 1.959964;
  const p = hits / runs;
  const centre = (p + (z * z) / (2 * runs)) / (1 + (z * z) / runs);
  const half = (z / (1 + (z * z) / runs)) * Math.sqrt((p * (1 - p)) / runs + (z * z) / (4 * runs * runs));
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/**
 * The runs that PASSed while the true share of `label` at the probe that settled them was outside
 * [share - tolerance, share + tolerance]: false PASSes of a split that moves (a PASS while it crosses the
 * band is a true one). Measured at the last probe counted, which is the settling one at one in flight.
 */
export function passesOutsideBand(
  split: Scenario["split"],
  reports: CampaignReport[],
  { label = "one", share = 0.8, tolerance = 0.05 } = {},
): number {
  return reports.filter(
    (r) =>
      r.verdict === "PASS" && Math.abs((trueSharesAt(split, r.probes - 1)[label] ?? 0) - share) > tolerance,
  ).length;
}
