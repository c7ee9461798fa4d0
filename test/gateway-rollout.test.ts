import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProbeCampaign } from "../prober/campaign/probe-campaign.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import { formatReport } from "../prober/reports/report-format.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { type L4Gateway, startGateway } from "./support/l4-gateway.js";
import { lateEchoServer } from "./support/late-echo-server.js";
import type { RogueServer } from "./support/rogue-server.js";
import { useTwoVersionGateway } from "./support/two-version-gateway.js";

/** The prober during a rollout, end to end through real gateways: a slow canary, and weights that move. */
describe("prober through nginx with a canary that answers 50 ms late", () => {
  let one: EchoServerProcess;
  let lateTwo: RogueServer;
  let gateway: L4Gateway;
  beforeAll(async () => {
    one = await startEchoServerProcess("0", "one");
    lateTwo = await lateEchoServer("two", 50);
    gateway = await startGateway("nginx", [
      { name: "v1", port: one.ports[0] as number, weight: 80 },
      { name: "v2", port: lateTwo.port, weight: 20 },
    ]);
  });
  afterAll(async () => {
    await gateway?.stop();
    await lateTwo?.close();
    await one?.stop();
  });

  it("FAILs the true 80:20 in at most 1 of 30 runs at the defaults (16 in flight)", async () => {
    const verdicts: string[] = [];
    for (let run = 0; run < 30; run++) {
      const report = await runProbeCampaign({
        host: "127.0.0.1",
        port: gateway.port,
        expected: parseExpectation("80:20"),
      });
      verdicts.push(report.verdict);
    }
    expect(verdicts.filter((v) => v === "FAIL").length, verdicts.join(" ")).toBeLessThanOrEqual(1);
    expect(verdicts.filter((v) => v === "PASS").length, verdicts.join(" ")).toBeGreaterThanOrEqual(29);
  }, 240_000);
});

for (const kind of ["nginx", "haproxy"] as const) {
  describe(`prober --wait through ${kind} while the weights are reloaded`, () => {
    const setup = useTwoVersionGateway(kind, [100, 0]);

    /** Runs --wait with the gateway at 100:0 and reloads it to `next` once 300 probes are counted. */
    async function waitAcrossReload(next: [number, number], waitMs: number) {
      await setup.route(100, 0);
      let reloadedAtMs: number | undefined;
      let reloading: Promise<void> | undefined;
      const began = performance.now();
      const report = await runProbeCampaign({
        host: "127.0.0.1",
        port: setup.gateway.port,
        expected: parseExpectation("80:20"),
        followChanges: true,
        durationMs: waitMs,
        onProgress: ({ probes }) => {
          if (probes === 300 && reloading === undefined) {
            reloading = setup.route(...next).then(() => {
              reloadedAtMs = performance.now() - began;
            });
          }
        },
      });
      await reloading;
      return { report, reloadedAtMs: reloadedAtMs as number };
    }

    it("PASSes once the reload to 80:20 lands, and dates the new split to within a second of it", async () => {
      const { report, reloadedAtMs } = await waitAcrossReload([80, 20], 30_000);
      expect(report.verdict, report.reason).toBe("PASS");
      expect(
        report.segments.length,
        JSON.stringify([report.probes, report.counts, report.segments]),
      ).toBeGreaterThanOrEqual(2);
      expect(report.convergedAfterMs).not.toBeNull();
      expect(Math.abs((report.convergedAfterMs as number) - reloadedAtMs)).toBeLessThan(1000);
      expect(formatReport(report)).toMatch(
        /^new weights seen at the gateway \d+\.\d\d s after the start \(probe \d+\), \d+ segments$/m,
      );
    }, 60_000);

    it("FAILs when the wait ends on a reload to a wrong split (50:50)", async () => {
      const { report } = await waitAcrossReload([50, 50], 8000);
      expect(report.verdict, report.reason).toBe("FAIL");
      expect(report.reason).toMatch(/^still outside the band when the wait ended: /);
      expect(report.stoppedBy).toBe("duration");
      expect(
        report.segments.length,
        JSON.stringify([report.probes, report.counts, report.segments]),
      ).toBeGreaterThanOrEqual(2);
    }, 60_000);
  });
}
