import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Debian's Chromium, headless, kept off the network it cannot reach here (and need not: pages are local). */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--window-size=1000,1400",
  // Lets the page's timers run (uPlot draws on its next turn) before the DOM is dumped.
  "--virtual-time-budget=5000",
];

/**
 * Opens a local HTML file in a real headless Chromium: returns the DOM after its scripts ran, and writes
 * a screenshot of the page to `screenshot`. Each run gets a fresh profile, removed afterwards.
 */
export async function renderInChromium(file: string, screenshot: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), "tcp-echo-chromium-"));
  try {
    const url = pathToFileURL(file).href;
    const common = [...FLAGS, `--user-data-dir=${profile}`];
    const { stdout } = await run("chromium", [...common, "--dump-dom", url], { maxBuffer: 64 << 20 });
    await run("chromium", [...common, `--screenshot=${screenshot}`, url]);
    return stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The summary the report's own script leaves on <body data-rendered>, once it has drawn every chart. */
export function renderedSummary(dom: string): { charts: number; series: number; marks: number } {
  const attribute = /data-rendered="([^"]*)"/.exec(dom)?.[1];
  if (attribute === undefined)
    throw new Error("the page did not finish rendering (no data-rendered on <body>)");
  return JSON.parse(attribute.replace(/&quot;/g, '"'));
}
