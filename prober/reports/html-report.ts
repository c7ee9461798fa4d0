import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { CampaignReport, FleetReport } from "../campaign/index.js";
import { namedTarget } from "../endpoints/index.js";
import { bandOf } from "../statistics/index.js";
import { SHOWN_PREFIX_CHARACTERS, terminalText } from "../untrusted-text.js";
import { describeReach, type FleetWatchEvent, type WatchEvent } from "../watch/index.js";

/**
 * Self-contained HTML reports: uPlot (its minified script and stylesheet) and the data are inlined, so nothing is fetched when the file is opened. One chart per
 * version: its share, the anytime-valid bounds as a band, the tolerance band's edges, and vertical marks
 * for segment starts, changes and steps.
 */
function asset(name: string): string {
  const beside = new URL(`./vendor/${name}`, import.meta.url);
  // Beside the module in dist/ and in the image's bundle; from the package when run from source.
  const path = existsSync(beside) ? beside : createRequire(import.meta.url).resolve(`uplot/dist/${name}`);
  return readFileSync(path, "utf8");
}

/** JSON safe inside a <script> element. */
const embed = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");

/** What the page draws: per version, x values with share and bounds, the band, and marks. */
interface ChartData {
  xLabel: string;
  versions: {
    label: string;
    x: number[];
    share: (number | null)[];
    lower: (number | null)[];
    upper: (number | null)[];
    band: { lower: number; upper: number } | null;
  }[];
  marks: { x: number; kind: "segment" | "change" | "step"; text: string }[];
}

const RENDER = `
const data = JSON.parse(document.getElementById("report-data").textContent);
document.title = data.page.title;
document.getElementById("title").textContent = data.page.title;
const verdict = document.getElementById("verdict");
verdict.textContent = data.page.reason;
verdict.classList.add("verdict-" + data.page.verdict);
const details = document.getElementById("details");
for (const [key, value] of data.page.details) {
  const row = details.insertRow();
  const th = document.createElement("th");
  th.textContent = key;
  row.appendChild(th);
  row.insertCell().textContent = value;
}
const charts = document.getElementById("charts");
let series = 0;
for (const version of data.versions) {
  const box = document.createElement("section");
  box.className = "chart";
  // A label is a prefix from the network: text, never markup.
  const heading = document.createElement("h2");
  heading.textContent = version.label;
  box.appendChild(heading);
  charts.appendChild(box);
  const pct = (v) => (v == null ? null : v * 100);
  const columns = [version.x, version.share.map(pct), version.lower.map(pct), version.upper.map(pct)];
  const seriesOptions = [
    { label: data.xLabel },
    { label: "share %", stroke: "#1f5fbf", width: 2 },
    { label: "lower bound %", stroke: "#7fa7e0" },
    { label: "upper bound %", stroke: "#7fa7e0" },
  ];
  if (version.band) {
    columns.push(version.x.map(() => version.band.lower * 100), version.x.map(() => version.band.upper * 100));
    seriesOptions.push(
      { label: "band lower %", stroke: "#2a9d3a", dash: [6, 4] },
      { label: "band upper %", stroke: "#2a9d3a", dash: [6, 4] },
    );
  }
  const drawMarks = (u) => {
    for (const old of u.over.querySelectorAll(".mark")) old.remove();
    for (const mark of data.marks) {
      const div = document.createElement("div");
      div.className = "mark mark-" + mark.kind;
      div.title = mark.text;
      div.style.left = Math.max(0, Math.min(u.over.clientWidth, u.valToPos(mark.x, "x"))) + "px";
      u.over.appendChild(div);
    }
  };
  const plot = new uPlot(
    {
      width: Math.min(960, window.innerWidth - 40),
      height: 260,
      series: seriesOptions,
      bands: [{ series: [3, 2], fill: "rgba(31, 95, 191, 0.12)" }],
      scales: { x: { time: false }, y: { range: (u, min, max) => [Math.max(0, min - 5), Math.min(100, max + 5)] } },
      hooks: { draw: [drawMarks] },
    },
    columns,
    box,
  );
  series += plot.series.length - 1;
}
// uPlot draws on its next turn: count what it drew after that.
setTimeout(() => {
  const marks = document.querySelectorAll(".mark").length;
  const charts = document.querySelectorAll(".uplot").length;
  document.body.dataset.rendered = JSON.stringify({ charts, series, marks });
}, 0);
`;

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 20px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 15px; margin: 12px 0 4px; }
.verdict { font-weight: 600; padding: 6px 10px; border-radius: 4px; display: inline-block; }
.verdict-PASS { background: #dff3e2; } .verdict-FAIL { background: #fbe0e0; }
.verdict-INCONCLUSIVE { background: #fff3cd; } .verdict-ERROR { background: #f3d9fa; }
.mark { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px solid; }
.mark-segment, .mark-change { border-color: #d9822b; } .mark-step { border-color: #2a9d3a; border-left-style: dashed; }
table { border-collapse: collapse; margin-top: 12px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
`;

/**
 * The page: its text (title, verdict, details, chart labels) travels as data and is placed by the
 * page's script as text nodes, never parsed as markup, each shown as terminalText shows it (a reply's
 * controls and bidi overrides escaped), so that a reply can change nothing outside its own text.
 */
function page(title: string, verdict: string, reason: string, details: string[][], data: ChartData): string {
  const shown = {
    ...data,
    versions: data.versions.map((v) => ({ ...v, label: terminalText(v.label, 2 * SHOWN_PREFIX_CHARACTERS) })),
    page: {
      title: terminalText(title),
      verdict,
      reason: terminalText(`${verdict}: ${reason}`),
      details: details.map((row) => row.map((cell) => terminalText(cell ?? ""))),
    },
  };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>prober report</title>
<style>${asset("uPlot.min.css")}${STYLE}</style></head>
<body>
<h1 id="title"></h1>
<p id="verdict" class="verdict"></p>
<div id="charts"></div>
<table id="details"></table>
<script id="report-data" type="application/json">${embed(shown)}</script>
<script>${asset("uPlot.iife.min.js")}</script>
<script>${RENDER}</script>
</body></html>
`;
}

/** Each version's share and bounds against probes from a campaign's trace, `lane` naming whose chart it is. */
function traceLanes(report: CampaignReport, lane = ""): ChartData["versions"] {
  const trace = report.trace ?? [];
  return Object.keys(report.expected).map((label) => {
    const expected = report.expected[label] as number;
    return {
      label: lane ? `${lane}: ${label}` : label,
      x: trace.map((point) => point.probes),
      share: trace.map((point) => point.shares[label] ?? null),
      lower: trace.map((point) => point.bounds[label]?.lower ?? null),
      upper: trace.map((point) => point.bounds[label]?.upper ?? null),
      band: bandOf(expected, report.tolerance),
    };
  });
}

/** A fleet's check (run with `trace`): a lane per endpoint, each version's share against that endpoint's probes. */
export function fleetReportHtml(report: FleetReport): string {
  const data: ChartData = {
    xLabel: "probes",
    versions: report.endpoints.flatMap((e) => traceLanes(e, e.name)),
    marks: [],
  };
  const details = [
    [
      "endpoints",
      `${report.endpoints.length}, each PASS at ${(report.confidence * 100).toFixed(2)}% and each FAIL at ${(report.endpointConfidence * 100).toFixed(2)}% confidence`,
    ],
    ...report.endpoints.map((e) => [e.name, `${e.verdict}: ${e.reason}`]),
    ...report.appeared.map((a) => [namedTarget(a.target, a.pod), "appeared during the run, not verified"]),
    ["probes", `${report.probes} in ${(report.durationMs / 1000).toFixed(2)} s`],
  ];
  return page(
    `prober: ${report.endpoints.length} endpoints: ${report.verdict}`,
    report.verdict,
    report.reason,
    details,
    data,
  );
}

/** A campaign's report (it must have been run with `trace`): each version's share against probes. */
export function campaignReportHtml(report: CampaignReport): string {
  const data: ChartData = {
    xLabel: "probes",
    versions: traceLanes(report),
    marks: report.segments.slice(1).map((segment, i) => ({
      x: segment.startProbe,
      kind: "segment" as const,
      text: `segment ${i + 2} from probe ${segment.startProbe} (${segment.endedBy ?? "change"})`,
    })),
  };
  const details = [
    ["target", report.target],
    [
      "expected",
      Object.entries(report.expected)
        .map(([l, s]) => `${l} ${(s * 100).toFixed(1)}%`)
        .join(", "),
    ],
    [
      "probes",
      `${report.probes} in ${(report.durationMs / 1000).toFixed(2)} s, stopped by ${report.stoppedBy}`,
    ],
    ["segments", String(report.segments.length)],
    [
      "new split seen after",
      report.convergedAfterMs === null
        ? "held from the start"
        : `${(report.convergedAfterMs / 1000).toFixed(2)} s`,
    ],
    ["method", report.method],
  ];
  return page(`prober ${report.target}: ${report.verdict}`, report.verdict, report.reason, details, data);
}

const seconds = (ms: number) => Math.round(ms) / 1000;

/** Each version's share since the last change against time, for every version any window saw (a monitor learns them as they come). */
function windowLanes(events: WatchEvent[], lane = ""): ChartData["versions"] {
  const windows = events.filter((e): e is Extract<WatchEvent, { event: "window" }> => e.event === "window");
  const labels = [...new Set(windows.flatMap((w) => Object.keys(w.shares)))];
  return labels.map((label) => ({
    label: lane ? `${lane}: ${label}` : label,
    x: windows.map((w) => seconds(w.atMs)),
    share: windows.map((w) => w.segment.shares[label] ?? null),
    lower: windows.map((w) => w.segment.intervals[label]?.lower ?? null),
    upper: windows.map((w) => w.segment.intervals[label]?.upper ?? null),
    band: null,
  }));
}

/** Changes and steps as marks, `lane` naming whose they are. */
function watchMarks(events: WatchEvent[], lane = ""): ChartData["marks"] {
  const whose = lane ? `${lane}: ` : "";
  return events.flatMap((e): ChartData["marks"] =>
    e.event === "change"
      ? [{ x: seconds(e.atMs), kind: "change" as const, text: `${whose}change near ${seconds(e.atMs)} s` }]
      : e.event === "step"
        ? [
            {
              x: seconds(e.atMs),
              kind: "step" as const,
              text: `${whose}step ${e.step + 1} PASSED: ${e.split}`,
            },
          ]
        : [],
  );
}

/** A fleet's watch: a lane per endpoint, each version's share against time; each step's reach over the replicas. */
export function fleetWatchReportHtml(events: FleetWatchEvent[]): string {
  const summary = events.find(
    (e): e is Extract<FleetWatchEvent, { event: "fleet-summary" }> => e.event === "fleet-summary",
  );
  const names = [...new Set(events.flatMap((e) => ("endpoint" in e ? [e.endpoint] : [])))];
  const own = (name: string) =>
    events.filter((e): e is WatchEvent & { endpoint: string } => "endpoint" in e && e.endpoint === name);
  const data: ChartData = {
    xLabel: "seconds",
    versions: names.flatMap((name) => windowLanes(own(name), name)),
    marks: names.flatMap((name) => watchMarks(own(name), name)),
  };
  const details = [
    [
      "endpoints",
      `${names.length}, each judged at ${((summary?.endpointConfidence ?? 0) * 100).toFixed(2)}% confidence`,
    ],
    ...(summary?.steps ?? []).map((step, i) => [`step ${i + 1}`, describeReach(step)]),
    ...(summary?.endpoints ?? []).map((e) => [e.endpoint, `${e.verdict}: ${e.reason}`]),
  ];
  const verdict = summary?.verdict ?? "INCONCLUSIVE";
  return page(
    `prober watch: ${names.length} endpoints: ${verdict}`,
    verdict,
    summary?.reason ?? "",
    details,
    data,
  );
}

/** A watch's events: each version's share since the last change against time, changes and steps marked. */
export function watchReportHtml(events: WatchEvent[]): string {
  const summary = events.find((e): e is Extract<WatchEvent, { event: "summary" }> => e.event === "summary");
  const data: ChartData = {
    xLabel: "seconds",
    versions: windowLanes(events),
    marks: watchMarks(events),
  };
  const details = [
    ["target", summary?.target ?? ""],
    [
      "probes",
      summary
        ? `${summary.probes} in ${(summary.durationMs / 1000).toFixed(1)} s, stopped by ${summary.stoppedBy}`
        : "",
    ],
    ["changes", String(summary?.changes ?? 0)],
    ...((summary?.steps.length ?? 0) > 1
      ? (summary?.steps ?? []).map((step, i) => [
          `step ${i + 1}: ${step.split}`,
          step.missed
            ? "missed"
            : step.unverified
              ? `unverified (held ${seconds(step.unverified.heldMs)} s, ${step.unverified.probes} probes)`
              : step.passedAtMs === null
                ? "not seen"
                : `PASSED at ${seconds(step.passedAtMs)} s`,
        ])
      : []),
  ];
  const verdict = summary?.verdict ?? "INCONCLUSIVE";
  return page(
    `prober watch ${summary?.target ?? ""}: ${verdict}`,
    verdict,
    summary?.reason ?? "",
    details,
    data,
  );
}
