import { type FleetReport, runFleetCampaign } from "../prober/campaign/fleet-campaign.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import type { ProbeOutcome } from "../prober/probe-outcome.js";
import { summarizeRuns } from "./campaign-simulation.js";
import { simulatedProbe } from "./simulated-probe.js";

/** A fleet simulated: what is expected, and each replica's true split (its own seeded probe stream). */
export interface FleetScenario {
  expect: string;
  replicas: Record<string, number>[];
  confidence?: number;
  concurrency?: number;
  maxProbes?: number;
}

export interface FleetSummary {
  runs: number;
  verdicts: Record<string, number>;
  medianProbes: number;
  p90Probes: number;
  reports: FleetReport[];
}

/** Runs the real fleet check on seeded simulated replicas, `runs` times from `firstSeed`. */
export async function simulateFleet(
  scenario: FleetScenario,
  runs: number,
  firstSeed: number,
): Promise<FleetSummary> {
  const reports: FleetReport[] = [];
  for (let seed = firstSeed; seed < firstSeed + runs; seed++) {
    const probes = new Map(
      scenario.replicas.map((truth, i) => [`replica-${i}`, simulatedProbe(truth, seed * 1000 + i)]),
    );
    reports.push(
      await runFleetCampaign({
        endpoints: scenario.replicas.map((_, i) => ({ host: `replica-${i}`, port: 1 })),
        expected: parseExpectation(scenario.expect),
        confidence: scenario.confidence,
        concurrency: scenario.concurrency ?? scenario.replicas.length,
        maxProbes: scenario.maxProbes,
        durationMs: 600_000,
        rate: Number.POSITIVE_INFINITY,
        probe: (endpoint) => (probes.get(endpoint.host) as () => Promise<ProbeOutcome>)(),
      }),
    );
  }
  return summarizeRuns(reports);
}
