import type { FleetReport } from "../campaign/index.js";
import { namedTarget } from "../endpoints/index.js";
import { shownPrefix, terminalText } from "../untrusted-text.js";
import { percent, table } from "./report-format.js";

const level = (confidence: number) => `${Math.round(confidence * 10000) / 100}%`;

/**
 * A fleet's check as people read it: a row per endpoint (its pod, each version's share and bounds, its
 * replies and verdict), the reason of each endpoint that did not PASS, then the fleet's verdict last.
 */
export function formatFleetReport(report: FleetReport): string {
  const labels = Object.keys(report.expected);
  const header = [
    "endpoint",
    "pod",
    ...labels.map((l) => `${shownPrefix(l)} (${percent(report.expected[l] ?? 0)})`),
    "replies",
    "errors",
    "verdict",
  ];
  const rows = [header];
  for (const e of report.endpoints) {
    const errors = Object.values(e.errors).reduce((a, b) => a + b, 0);
    rows.push([
      e.target,
      e.endpoint.pod ?? "-",
      ...labels.map((l) => {
        const bound = e.intervals[l];
        const share = percent(e.shares[l] ?? 0);
        return bound ? `${share} [${percent(bound.lower)}, ${percent(bound.upper)}]` : share;
      }),
      String(Object.values(e.counts).reduce((a, b) => a + b, 0)),
      String(errors),
      e.goneAtMs === null ? e.verdict : `${e.verdict} (gone at ${(e.goneAtMs / 1000).toFixed(1)} s)`,
    ]);
  }
  const lines = [
    `${report.endpoints.length} endpoint${report.endpoints.length === 1 ? "" : "s"}, each PASS at ${level(report.confidence)} and each FAIL at ${level(report.endpointConfidence)} confidence (${level(report.confidence)} over all): ${report.probes} probes in ${(report.durationMs / 1000).toFixed(2)} s (${Math.round(report.probesPerSecond)}/s), tolerance ±${(report.tolerance * 100).toFixed(1)} pp`,
    table(rows),
  ];
  for (const e of report.endpoints) {
    if (e.verdict !== "PASS") lines.push(`  ${e.name}: ${e.verdict}: ${terminalText(e.reason)}`);
  }
  for (const a of report.appeared) {
    lines.push(
      `  ${namedTarget(a.target, a.pod)}: appeared ${(a.atMs / 1000).toFixed(1)} s after the start, not verified`,
    );
  }
  if (report.expectedFrom !== null) {
    const { kind, name, namespace, resourceVersion } = report.expectedFrom;
    lines.push(
      `weights from ${kind.toLowerCase()}/${name} in ${namespace} (resourceVersion ${resourceVersion})`,
    );
  }
  lines.push(`${report.verdict}: ${terminalText(report.reason)}`);
  return `${lines.join("\n")}\n`;
}
