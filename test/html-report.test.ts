import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runProbeCampaign } from "../prober/campaign/probe-campaign.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import { campaignReportHtml, watchReportHtml } from "../prober/reports/html-report.js";
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
