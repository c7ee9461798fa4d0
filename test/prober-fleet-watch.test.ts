import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetWatchEvent } from "../prober/watch/fleet-watch.js";
import { PROBER_CLI, spawnTracked } from "./support/child-processes.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { type L4Gateway, startGateway } from "./support/l4-gateway.js";
import { versionBackends } from "./support/two-version-gateway.js";

const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as FleetWatchEvent);
const isStep = (line: string, endpoint: string, step: number) =>
  line.includes('"event":"step"') &&
  line.includes(`"step":${step}`) &&
  line.includes(`"endpoint":"${endpoint}"`);

/**
 * A rollout over a fleet of three nginx replicas: each replica is reloaded to the next step only once
 * the watch saw it PASS the step before, one replica after another, so each takes each step at its own
 * moment, as gateway replicas pick up a route.
 */
describe("prober watch on every replica of a fleet", () => {
  let servers: EchoServerProcess[] = [];
  const replicas: L4Gateway[] = [];
  const targets = () => replicas.map((replica) => `127.0.0.1:${replica.port}`);
  const route = (weights: number[]) => versionBackends(servers, weights);

  beforeAll(async () => {
    servers = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
    for (let i = 0; i < 3; i++) replicas.push(await startGateway("nginx", route([100, 0])));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await Promise.all(servers.map((server) => server.stop()));
  });

  const watchFleet = (duration: number) =>
    spawnTracked(process.execPath, [
      PROBER_CLI,
      "watch",
      ...targets(),
      "--expect-steps",
      "100:0,80:20,50:50",
      "--rate",
      "3000",
      "--duration",
      String(duration),
      "--json",
    ]);

  it("shows each replica's steps in order, and when each step had reached every replica", async () => {
    await Promise.all(replicas.map((replica) => replica.reload(route([100, 0]))));
    const watch = watchFleet(90);
    for (const [step, weights] of [
      [80, 20],
      [50, 50],
    ].entries()) {
      for (const [i, replica] of replicas.entries()) {
        await watch.waitForLine(
          (line) => isStep(line, targets()[i] as string, step),
          `replica ${i} step ${step + 1}`,
        );
        await replica.reload(route(weights));
      }
    }
    expect(await watch.exited, watch.lines.filter((l) => !l.includes('"window"')).join("\n")).toBe(0);
    const events = parse(watch.lines);
    for (const target of targets()) {
      const steps = events
        .filter((e) => e.event === "step" && e.endpoint === target)
        .map((e) => e.event === "step" && e.step);
      expect(steps).toEqual([0, 1, 2]);
    }
    const summary = events.at(-1) as Extract<FleetWatchEvent, { event: "fleet-summary" }>;
    expect(summary.verdict, summary.reason).toBe("PASS");
    expect(summary.steps.map((s) => [s.split, s.reached, s.replicas])).toEqual([
      ["100:0", 3, 3],
      ["80:20", 3, 3],
      ["50:50", 3, 3],
    ]);
    // The replicas took 80:20 one after another: the last after the first.
    expect((summary.steps[1]?.lastAtMs ?? 0) - (summary.steps[1]?.firstAtMs ?? 0)).toBeGreaterThan(0);
  }, 120_000);

  it("names the replica that never took a step, in the text summary", async () => {
    await Promise.all(replicas.map((replica) => replica.reload(route([100, 0]))));
    const stale = targets()[2] as string;
    const watch = spawnTracked(process.execPath, [
      PROBER_CLI,
      "watch",
      ...targets(),
      "--expect-steps",
      "100:0,80:20",
      "--rate",
      "3000",
      "--duration",
      "12",
    ]);
    for (const i of [0, 1]) {
      await watch.waitForLine(
        (line) => line.startsWith(`${targets()[i]}  `) && line.includes("STEP 1 PASSED"),
        `replica ${i} step 1`,
      );
      await replicas[i]?.reload(route([80, 20]));
    }
    expect(await watch.exited).toBe(2);
    expect(watch.lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^  80:20 on 2/3 replicas \\(the last [\\d.]+ s after the first\\); never on ${stale}$`),
      ),
    );
    expect(watch.lines.at(-1)).toMatch(
      new RegExp(`^INCONCLUSIVE: 1 of 3 endpoints not settled: ${stale}: time budget spent`),
    );
  }, 60_000);
});
