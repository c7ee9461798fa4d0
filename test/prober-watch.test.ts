import { describe, expect, it } from "vitest";
import { simulatedProbe } from "../devtools/simulated-probe.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import { runWatch, type WatchEvent } from "../prober/watch/split-watch.js";
import { PROBER_CLI, spawnTracked } from "./support/child-processes.js";
import { runProber } from "./support/prober-process.js";
import { useTwoVersionGateway } from "./support/two-version-gateway.js";

const parseEvents = (lines: string[]) => lines.map((line) => JSON.parse(line) as WatchEvent);

/** A watch on simulated probes that stops after `probes` of them. */
async function simulatedWatch(
  split: Parameters<typeof simulatedProbe>[0],
  probes: number,
  seed: number,
  steps = ["80:20"],
) {
  const controller = new AbortController();
  const simulated = simulatedProbe(split, seed);
  let started = 0;
  const events: WatchEvent[] = [];
  const summary = await runWatch({
    host: "simulated",
    port: 1,
    steps: steps.map((step) => parseExpectation(step)),
    rate: 1e9,
    // Simulated probes take no time: persistence is measured in probes here, not seconds.
    persistMs: 0,
    signal: controller.signal,
    onEvent: (event) => events.push(event),
    probe: () => {
      started += 1;
      if (started === probes) controller.abort();
      return simulated();
    },
  });
  return { summary, events };
}

describe("prober watch on seeded simulated probes", () => {
  it("raises no change on a still 80:20 split over 300,000 probes (about 33 minutes at 150/s)", async () => {
    const { summary } = await simulatedWatch({ one: 0.8, two: 0.2 }, 300_000, 1);
    expect(summary.changes).toBe(0);
  }, 120_000);

  it("announces a change from 100:0 to 80:20 within 200 probes, with the shares before and after", async () => {
    const { events } = await simulatedWatch(
      [{ truth: { one: 1, two: 0 }, probes: 3000 }, { truth: { one: 0.8, two: 0.2 } }],
      6000,
      2,
    );
    const changes = events.filter((e) => e.event === "change");
    expect(changes).toHaveLength(1);
    const [change] = changes as Extract<WatchEvent, { event: "change" }>[];
    expect(change?.before.two).toBe(0);
    expect(change?.after.two).toBeGreaterThan(0.1);
  }, 60_000);

  it("passes through every step in order and ends PASS", async () => {
    const { summary, events } = await simulatedWatch(
      [
        { truth: { one: 1, two: 0 }, probes: 4000 },
        { truth: { one: 0.8, two: 0.2 }, probes: 6000 },
        { truth: { one: 0.5, two: 0.5 }, probes: 6000 },
        { truth: { one: 0, two: 1 } },
      ],
      40_000,
      3,
      ["100:0", "80:20", "50:50", "0:100"],
    );
    expect(summary.verdict, summary.reason).toBe("PASS");
    expect(events.filter((e) => e.event === "step").map((e) => (e as { split: string }).split)).toEqual([
      "100:0",
      "80:20",
      "50:50",
      "0:100",
    ]);
  }, 60_000);

  it("FAILs, naming the split, when one that matches no remaining step persists", async () => {
    const { summary } = await simulatedWatch(
      [{ truth: { one: 1, two: 0 }, probes: 4000 }, { truth: { one: 0.65, two: 0.35 } }],
      40_000,
      4,
      ["100:0", "80:20", "50:50"],
    );
    expect(summary.verdict).toBe("FAIL");
    expect(summary.stoppedBy).toBe("no-step");
    expect(summary.reason).toMatch(/one 6\d\.\d%, two 3\d\.\d%, which matches no remaining step/);
  }, 60_000);
});

for (const kind of ["nginx", "haproxy"] as const) {
  describe(`prober watch through ${kind}`, () => {
    const setup = useTwoVersionGateway(kind, [100, 0]);

    it("follows the tutorial's shift 100:0 → 80:20 → 50:50 → 0:100 by reloads: three changes, every step, exit 0", async () => {
      await setup.route(100, 0);
      const watch = spawnTracked(process.execPath, [
        PROBER_CLI,
        "watch",
        setup.target,
        "--expect-steps",
        "100:0,80:20,50:50,0:100",
        "--rate",
        "3000",
        "--duration",
        "60",
        "--json",
      ]);
      const next: [number, number][] = [
        [80, 20],
        [50, 50],
        [0, 100],
      ];
      for (const [step, weights] of next.entries()) {
        await watch.waitForLine(
          (line) => line.includes('"event":"step"') && line.includes(`"step":${step}`),
          `step ${step + 1}`,
        );
        await setup.route(...weights);
      }
      expect(await watch.exited, watch.lines.filter((l) => !l.includes("window")).join("\n")).toBe(0);
      const events = parseEvents(watch.lines);
      const summary = events.at(-1) as Extract<WatchEvent, { event: "summary" }>;
      expect(summary.verdict, summary.reason).toBe("PASS");
      expect(summary.changes).toBeGreaterThanOrEqual(3);
      expect(summary.steps.every((s) => s.passedAtMs !== null && !s.missed)).toBe(true);
    }, 90_000);

    it("reports windows and no change on a still 80:20 split", async () => {
      await setup.route(80, 20);
      const run = await runProber([
        "watch",
        setup.target,
        "--expect",
        "80:20",
        "--rate",
        "500",
        "--interval",
        "0.5",
        "--duration",
        "4",
        "--json",
      ]);
      const events = parseEvents(run.stdout.split("\n"));
      expect(events.filter((e) => e.event === "window").length).toBeGreaterThanOrEqual(6);
      expect(events.filter((e) => e.event === "change")).toEqual([]);
      expect(events.at(-1)?.event).toBe("summary");
    }, 30_000);

    it("monitors with nothing expected: the versions it meets, the change when the split moves, exit 0", async () => {
      await setup.route(100, 0);
      const watch = spawnTracked(process.execPath, [
        PROBER_CLI,
        "watch",
        setup.target,
        "--rate",
        "1000",
        "--json",
      ]);
      await watch.waitForLine((line) => line.includes('"event":"window"'), "a first window");
      await setup.route(50, 50);
      await watch.waitForLine((line) => line.includes('"event":"change"'), "the change to 50:50");
      watch.child.kill("SIGINT");
      expect(await watch.exited).toBe(0);
      const summary = parseEvents(watch.lines).at(-1) as Extract<WatchEvent, { event: "summary" }>;
      expect(summary).toMatchObject({ verdict: "PASS", stoppedBy: "interrupted" });
      expect(summary.reason).toMatch(
        /^monitored with no expectation: [1-9]\d* changes? of the split seen; versions seen: one, two$/,
      );
    }, 60_000);
  });
}

describe("prober watch as a command", () => {
  it("ends on SIGTERM with its summary", async () => {
    const watch = spawnTracked(process.execPath, [
      PROBER_CLI,
      "watch",
      "127.0.0.1:1",
      "--expect",
      "80:20",
      "--rate",
      "20",
      "--json",
    ]);
    await watch.waitForLine((line) => line.includes('"event":"window"'), "a first window");
    watch.child.kill("SIGTERM");
    await watch.exited;
    const summary = parseEvents(watch.lines).at(-1) as Extract<WatchEvent, { event: "summary" }>;
    expect(summary.event).toBe("summary");
    expect(summary.stoppedBy === "interrupted" || summary.stoppedBy === "errors").toBe(true);
  });

  it("rejects two kinds of expectation with exit code 64 and one line", async () => {
    const run = await runProber([
      "watch",
      "127.0.0.1:1",
      "--expect",
      "80:20",
      "--expect-steps",
      "100:0,80:20",
    ]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/^prober watch: give one of --expect, --expect-steps or --expect-from/);
  });

  it("names the flag of an option out of range", async () => {
    const run = await runProber(["watch", "127.0.0.1:1", "--expect", "80:20", "--interval", "0"]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/^prober watch: invalid --interval: must be a number > 0/);
  });
});
