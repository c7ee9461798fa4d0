import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFleetCampaign } from "../prober/campaign/fleet-campaign.js";
import { runProbeCampaign } from "../prober/campaign/probe-campaign.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import {
  campaignReportHtml,
  fleetReportHtml,
  fleetWatchReportHtml,
  watchReportHtml,
} from "../prober/reports/html-report.js";
import { type FleetWatchEvent, runFleetWatch } from "../prober/watch/fleet-watch.js";
import { runWatch, type WatchEvent } from "../prober/watch/split-watch.js";
import { startWeightedSplitter, type WeightedSplitter } from "../splitter/weighted-splitter.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { renderedSummary, renderInChromium } from "./support/headless-chromium.js";

/** Reports and their screenshots are kept with the test output. */
const OUT = fileURLToPath(new URL("../test-results/", import.meta.url));

describe("the HTML reports, rendered in headless Chromium", () => {
  let one: EchoServerProcess;
  let two: EchoServerProcess;
  let splitter: WeightedSplitter;
  const route = (w1: number, w2: number) =>
    splitter.setBackends([
      { host: "127.0.0.1", port: one.ports[0] as number, weight: w1 },
      { host: "127.0.0.1", port: two.ports[0] as number, weight: w2 },
    ]);
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    [one, two] = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
    splitter = await startWeightedSplitter([
      { host: "127.0.0.1", port: one.ports[0] as number, weight: 100 },
    ]);
  });
  afterAll(async () => {
    await splitter?.close();
    await Promise.all([one?.stop(), two?.stop()]);
  });

  it("draws a --wait run across a change: a chart per version, five series each, the new segment marked", async () => {
    route(100, 0);
    const report = await runProbeCampaign({
      host: "127.0.0.1",
      port: splitter.port,
      expected: parseExpectation("80:20"),
      followChanges: true,
      durationMs: 20_000,
      trace: true,
      onProgress: ({ probes }) => {
        if (probes === 300) route(80, 20);
      },
    });
    expect(report.verdict, report.reason).toBe("PASS");
    const html = campaignReportHtml(report);
    expect(html).not.toMatch(/<(script|link|img|iframe)[^>]*\s(src|href)=/i);
    const file = `${OUT}report-wait.html`;
    writeFileSync(file, html);
    const rendered = renderedSummary(await renderInChromium(file, `${OUT}report-wait.png`));
    expect(rendered.charts).toBe(2);
    expect(rendered.series).toBe(10);
    expect(rendered.marks).toBe(2 * (report.segments.length - 1));
    expect(rendered.marks).toBeGreaterThan(0);
    expect(statSync(`${OUT}report-wait.png`).size).toBeGreaterThan(10_000);
  }, 60_000);

  it("draws a watch over a step: its change and both steps marked on each version's timeline", async () => {
    route(100, 0);
    const events: WatchEvent[] = [];
    let stepped = false;
    const summary = await runWatch({
      host: "127.0.0.1",
      port: splitter.port,
      steps: [parseExpectation("100:0"), parseExpectation("80:20")],
      rate: 2000,
      intervalMs: 250,
      durationMs: 20_000,
      onEvent: (event) => {
        events.push(event);
        if (event.event === "step" && !stepped) {
          stepped = true;
          route(80, 20);
        }
      },
    });
    expect(summary.verdict, summary.reason).toBe("PASS");
    const file = `${OUT}report-watch.html`;
    writeFileSync(file, watchReportHtml(events));
    const rendered = renderedSummary(await renderInChromium(file, `${OUT}report-watch.png`));
    const marked = events.filter((e) => e.event === "change" || e.event === "step").length;
    expect(rendered.charts).toBe(2);
    expect(rendered.series).toBe(6);
    expect(marked).toBeGreaterThanOrEqual(3);
    expect(rendered.marks).toBe(2 * marked);
  }, 60_000);
});

describe("the fleet's HTML reports, rendered in headless Chromium: a lane per endpoint", () => {
  let servers: EchoServerProcess[] = [];
  let replicas: WeightedSplitter[] = [];
  const endpoints = (...which: number[]) =>
    which.map((i) => ({ host: "127.0.0.1", port: replicas[i]?.port as number }));
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    servers = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
    const [one, two] = servers.map((s) => s.ports[0] as number);
    replicas = await Promise.all([
      startWeightedSplitter([
        { host: "127.0.0.1", port: one as number, weight: 80 },
        { host: "127.0.0.1", port: two as number, weight: 20 },
      ]),
      startWeightedSplitter([{ host: "127.0.0.1", port: one as number, weight: 100 }]),
      startWeightedSplitter([{ host: "127.0.0.1", port: one as number, weight: 100 }]),
    ]);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await Promise.all(servers.map((s) => s.stop()));
  });

  it("draws a check of two replicas, one stale: a chart per endpoint and version, each naming its endpoint", async () => {
    const report = await runFleetCampaign({
      endpoints: endpoints(0, 1),
      expected: parseExpectation("80:20"),
      trace: true,
    });
    expect(report.verdict, report.reason).toBe("FAIL");
    const file = `${OUT}report-fleet.html`;
    writeFileSync(file, fleetReportHtml(report));
    const dom = await renderInChromium(file, `${OUT}report-fleet.png`);
    const rendered = renderedSummary(dom);
    expect(rendered.charts).toBe(4);
    expect(rendered.series).toBe(20);
    for (const { port } of endpoints(0, 1)) expect(dom).toContain(`<h2>127.0.0.1:${port}: one</h2>`);
  }, 60_000);

  it("draws a watch of two replicas: a timeline per endpoint and version, the steps' reach in the table", async () => {
    const events: FleetWatchEvent[] = [];
    const summary = await runFleetWatch({
      endpoints: endpoints(1, 2),
      steps: [parseExpectation("100:0"), parseExpectation("80:20")],
      rate: 4000,
      intervalMs: 250,
      durationMs: 6000,
      onEvent: (event) => events.push(event),
    });
    expect(summary.endpoints).toHaveLength(2);
    const file = `${OUT}report-fleet-watch.html`;
    writeFileSync(file, fleetWatchReportHtml(events));
    const dom = await renderInChromium(file, `${OUT}report-fleet-watch.png`);
    const rendered = renderedSummary(dom);
    expect(rendered.charts).toBe(4);
    expect(rendered.series).toBe(12);
    expect(dom).toMatch(/100:0 on 2\/2 replicas [\d.]+ s after the first/);
    expect(dom).toContain("80:20 on 0/2 replicas: no replica took it");
  }, 60_000);
});
