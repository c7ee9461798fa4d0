import type { CampaignReport } from "../campaign/index.js";
import { shownPrefix, terminalText } from "../untrusted-text.js";

export const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const ms = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(1));
/** Counts by key; a key may be a reply's prefix, shown inert. */
const listing = (record: Record<string, number>) =>
  Object.keys(record).length === 0
    ? "none"
    : Object.entries(record)
        .map(([key, count]) => `${shownPrefix(key)} ${count}`)
        .join(", ");

/** Rows as columns padded to their widest cell. */
export function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? "").length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The report as people read it: a table per version, the evidence, then the verdict line last. */
export function formatReport(report: CampaignReport): string {
  const level = `${Math.round(report.confidence * 1000) / 10}%`;
  const rows = [["version", "expected", "observed", `${level} bounds`, "replies", "p50 ms", "p99 ms"]];
  for (const [label, expected] of Object.entries(report.expected)) {
    const interval = report.intervals[label];
    rows.push([
      shownPrefix(label),
      percent(expected),
      percent(report.shares[label] ?? 0),
      interval ? `[${percent(interval.lower)}, ${percent(interval.upper)}]` : "-",
      String(report.counts[label] ?? 0),
      ms(report.latencyMs[label]?.p50),
      ms(report.latencyMs[label]?.p99),
    ]);
  }
  const lines = [
    `target ${report.target}: ${report.probes} probes in ${(report.durationMs / 1000).toFixed(2)} s (${Math.round(report.probesPerSecond)}/s), stopped by ${report.stoppedBy}, tolerance ±${(report.tolerance * 100).toFixed(1)} pp`,
    table(rows),
    `unexpected prefixes: ${listing(report.unexpected)}; errors: ${listing(report.errors)}`,
  ];
  const fit = report.goodnessOfFit;
  if (fit) {
    lines.push(
      `goodness of fit to the exact weights (${fit.method}): X² = ${fit.statistic.toFixed(2)}, df = ${fit.degreesOfFreedom}, p = ${fit.pValue.toPrecision(3)}`,
    );
  }
  if (report.stickiness) {
    const { connections, sameVersion } = report.stickiness;
    lines.push(
      `${sameVersion} of ${connections} connections kept one version for all their lines (TCP routing picks a version per connection)`,
    );
  }
  if (report.expectedFrom !== null) {
    const { kind, name, namespace, apiVersion, resourceVersion } = report.expectedFrom;
    lines.push(
      `weights from ${kind.toLowerCase()}/${name} in ${namespace} (${apiVersion}, resourceVersion ${resourceVersion})`,
    );
  }
  if (report.convergedAfterMs !== null) {
    lines.push(
      `new weights seen at the gateway ${(report.convergedAfterMs / 1000).toFixed(2)} s after the start (probe ${report.convergedAfterProbes}), ${report.segments.length} segments`,
    );
  }
  if (report.probesToSettle !== null) {
    lines.push(`about ${report.probesToSettle} probes in all would likely settle it (--max-probes)`);
  }
  // The reason may quote replies' prefixes: shown inert, as every line here that may hold one.
  lines.push(`${report.verdict}: ${terminalText(report.reason)}`);
  return `${lines.join("\n")}\n`;
}
