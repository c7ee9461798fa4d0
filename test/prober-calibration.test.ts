import { describe, expect, it } from "vitest";
import { simulatedProbe } from "../devtools/simulated-probe.js";
import { parseExpectation } from "../prober/expectation.js";
import { type CampaignReport, runProbeCampaign } from "../prober/probe-campaign.js";

/** The CLI's defaults: 99% confidence, ±5 pp, 20,000 probes. */
const DEFAULTS = { confidence: 0.99, tolerance: 0.05, maxErrorRate: 0.01, maxProbes: 20_000 };

function simulate(expect: string, truth: Record<string, number>, seed: number): Promise<CampaignReport> {
  return runProbeCampaign({
    ...DEFAULTS,
    expected: parseExpectation(expect),
    host: "simulated",
    port: 1,
    concurrency: 1,
    durationMs: 600_000,
    connectTimeoutMs: 1000,
    timeoutMs: 1000,
    linesPerConnection: 1,
    stopWhenSettled: true,
    probe: simulatedProbe(truth, seed),
  });
}

async function verdicts(runs: number, expect: string, truth: Record<string, number>, firstSeed: number) {
  const reports: CampaignReport[] = [];
  for (let seed = firstSeed; seed < firstSeed + runs; seed++)
    reports.push(await simulate(expect, truth, seed));
  const count = (verdict: string) => reports.filter((r) => r.verdict === verdict).length;
  const probes = reports.map((r) => r.probes).sort((a, b) => a - b);
  return {
    pass: count("PASS"),
    fail: count("FAIL"),
    inconclusive: count("INCONCLUSIVE"),
    medianProbes: probes[Math.floor(runs / 2)],
  };
}

describe("prober calibration (2,000 seeded runs each, checked after every probe up to 100, then every 1%)", () => {
  it("FAILs a true 80:20 split in at most 1% of runs (1 - confidence)", async () => {
    const result = await verdicts(2000, "80:20", { one: 0.8, two: 0.2 }, 1);
    expect(result.fail).toBeLessThanOrEqual(20);
  }, 120_000);

  it("PASSes a true 80:20 split within the default budget in at least 99% of runs, with a median near 1,100 probes", async () => {
    const result = await verdicts(2000, "80:20", { one: 0.8, two: 0.2 }, 10_001);
    expect(result.pass).toBeGreaterThanOrEqual(1980);
    expect(result.medianProbes).toBeLessThan(1300);
  }, 120_000);

  it("FAILs a true 70:30 split (off by twice the tolerance) in at least 99% of runs", async () => {
    const result = await verdicts(2000, "80:20", { one: 0.7, two: 0.3 }, 20_001);
    expect(result.fail).toBeGreaterThanOrEqual(1980);
  }, 120_000);

  it("PASSes a true split just outside the tolerance (73:27 for 80:20) in at most 1% of runs", async () => {
    const result = await verdicts(2000, "80:20", { one: 0.73, two: 0.27 }, 30_001);
    expect(result.pass).toBeLessThanOrEqual(20);
  }, 120_000);

  it("FAILs a true 50:30:20 split in at most 1% of runs with three versions", async () => {
    const result = await verdicts(2000, "50:30:20", { one: 0.5, two: 0.3, three: 0.2 }, 40_001);
    expect(result.fail).toBeLessThanOrEqual(20);
  }, 120_000);
});
