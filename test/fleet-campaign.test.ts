import { describe, expect, it } from "vitest";
import { simulateFleet } from "../devtools/fleet-simulation.js";
import { simulatedProbe } from "../devtools/simulated-probe.js";
import { runFleetCampaign } from "../prober/campaign/fleet-campaign.js";
import type { Endpoint } from "../prober/endpoints/endpoint.js";
import { ProberOptionError } from "../prober/errors.js";
import { parseExpectation } from "../prober/expectations/expectation.js";

const HEALTHY = { one: 0.8, two: 0.2 };
const STALE = { one: 1, two: 0 };
const fleetOf = (n: number): Endpoint[] =>
  Array.from({ length: n }, (_, i) => ({ host: `10.0.0.${i + 1}`, port: 31400, pod: `gw-${i}` }));

describe("runFleetCampaign", () => {
  it("FAILs a fleet with one stale replica, naming it by address and pod", async () => {
    const { reports } = await simulateFleet(
      { expect: "80:20", replicas: [HEALTHY, HEALTHY, HEALTHY, HEALTHY, STALE] },
      1,
      1,
    );
    const [report] = reports;
    expect(report?.verdict).toBe("FAIL");
    expect(report?.named).toEqual(["replica-4:1"]);
    expect(report?.reason).toMatch(
      /^1 of 5 endpoints FAIL: replica-4:1: one 100\.0% of \d+ replies: shown above/,
    );
  });

  it("stops the other endpoints once one FAILs, and says why they stopped", async () => {
    const { reports } = await simulateFleet({ expect: "80:20", replicas: [HEALTHY, STALE] }, 1, 2);
    const healthy = reports[0]?.endpoints[0];
    expect(healthy?.stoppedBy).toBe("interrupted");
    expect(healthy?.reason).toMatch(/^stopped once replica-1:1 settled: /);
  });

  it("judges each endpoint's FAIL at 1 - alpha/k and its PASS at 1 - alpha: the fleet's confidence over all at once", async () => {
    const { reports } = await simulateFleet(
      { expect: "80:20", replicas: [HEALTHY, HEALTHY, HEALTHY, HEALTHY] },
      1,
      3,
    );
    expect(reports[0]?.endpointConfidence).toBeCloseTo(0.9975, 12);
    expect(reports[0]?.endpoints.map((e) => e.confidence)).toEqual([0.99, 0.99, 0.99, 0.99]);
    expect(reports[0]?.endpoints[0]?.reason).toMatch(/at 99% confidence after \d+ replies$/);
  });

  it("never FAILs a healthy fleet of 5 in 30 seeded runs, and PASSes most", async () => {
    const { verdicts } = await simulateFleet({ expect: "80:20", replicas: Array(5).fill(HEALTHY) }, 30, 100);
    expect(verdicts.FAIL).toBe(0);
    expect(verdicts.PASS).toBeGreaterThanOrEqual(27);
  });

  it("FAILs 50 of 50 seeded fleets of 10 with one stale replica", async () => {
    const { verdicts } = await simulateFleet(
      { expect: "80:20", replicas: [...Array(9).fill(HEALTHY), STALE] },
      50,
      1000,
    );
    expect(verdicts.FAIL).toBe(50);
  });

  it("shares the probe budget out: each endpoint gets maxProbes / k", async () => {
    const report = await runFleetCampaign({
      endpoints: fleetOf(4),
      expected: parseExpectation("80:20"),
      maxProbes: 400,
      stopWhenSettled: false,
      rate: Number.POSITIVE_INFINITY,
      probe: () => simulatedProbe(HEALTHY, 7)(),
    });
    expect(report.endpoints.map((e) => e.probes)).toEqual([100, 100, 100, 100]);
    expect(report.probes).toBe(400);
  });

  it("refuses a budget that leaves an endpoint no probes", async () => {
    const run = runFleetCampaign({
      endpoints: fleetOf(4),
      expected: parseExpectation("80:20"),
      maxProbes: 3,
    });
    await expect(run).rejects.toThrow(ProberOptionError);
    await expect(run).rejects.toThrow(/maxProbes: must leave each of the 4 endpoints at least 1 probes/);
  });

  it("reports an endpoint that left the fleet during the run, and PASSes on those that stayed", async () => {
    const endpoints = fleetOf(3);
    const report = await fleetChangingAt(endpoints, 30, endpoints.slice(0, 2));
    expect(report.endpoints[2]?.goneAtMs).not.toBeNull();
    expect(report.endpoints[2]?.stoppedBy).toBe("interrupted");
    expect(report.verdict).toBe("PASS");
    expect(report.reason).toBe(
      "every endpoint PASSes: 2 of 2 (10.0.0.3:31400 (gw-2) left the fleet during the run)",
    );
  });

  it("reports an endpoint that appeared during the run as not verified: INCONCLUSIVE", async () => {
    const endpoints = fleetOf(2);
    const report = await fleetChangingAt(endpoints, 10, [
      ...endpoints,
      { host: "10.0.0.9", port: 31400, pod: "gw-new" },
    ]);
    expect(report.appeared).toEqual([{ target: "10.0.0.9:31400", pod: "gw-new", atMs: expect.any(Number) }]);
    expect(report.verdict).toBe("INCONCLUSIVE");
    expect(report.reason).toMatch(
      /appeared during the run and was not verified: 10\.0\.0\.9:31400 \(gw-new\)/,
    );
  });

  it("stops every endpoint when its signal aborts, and reports what was seen", async () => {
    const interrupt = new AbortController();
    let probed = 0;
    const report = await runFleetCampaign({
      endpoints: fleetOf(3),
      expected: parseExpectation("80:20"),
      rate: Number.POSITIVE_INFINITY,
      signal: interrupt.signal,
      probe: simulatedProbeOnce(() => {
        probed += 1;
        if (probed === 20) interrupt.abort();
      }),
    });
    expect(report.endpoints.map((e) => e.stoppedBy)).toEqual(["interrupted", "interrupted", "interrupted"]);
    expect(report.verdict).toBe("INCONCLUSIVE");
  });
});

/** A seeded 80:20 fleet check whose endpoints are read again as `next` at probe number `at`. */
function fleetChangingAt(endpoints: Endpoint[], at: number, next: Endpoint[]) {
  let probed = 0;
  let update: ((next: Endpoint[]) => void) | undefined;
  return runFleetCampaign({
    endpoints,
    expected: parseExpectation("80:20"),
    rate: Number.POSITIVE_INFINITY,
    followEndpoints: (hand) => {
      update = hand;
    },
    probe: simulatedProbeOnce(() => {
      probed += 1;
      if (probed === at) update?.(next);
    }),
  });
}

/** A seeded 80:20 probe per endpoint that calls `before` first. */
function simulatedProbeOnce(before: () => void) {
  const streams = new Map<string, ReturnType<typeof simulatedProbe>>();
  return (endpoint: Endpoint) => {
    before();
    let stream = streams.get(endpoint.host);
    if (stream === undefined) {
      stream = simulatedProbe(HEALTHY, streams.size + 60);
      streams.set(endpoint.host, stream);
    }
    return stream();
  };
}
