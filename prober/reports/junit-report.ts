import type { CampaignReport, FleetReport } from "../campaign/index.js";
import type { Verdict } from "../statistics/index.js";
import { terminalText } from "../untrusted-text.js";
import type { FleetWatchSummary, StepState, WatchSummary } from "../watch/index.js";
import { formatReport } from "./report-format.js";

/** Where and when the run happened, as a JUnit testsuite records it. */
export interface JunitContext {
  hostname: string;
  /** When the run began. */
  startedAt: Date;
}

type Outcome = { kind: "pass" } | { kind: "failure" | "error" | "skipped"; message: string };

interface TestCase {
  name: string;
  outcome: Outcome;
}

interface Suite {
  name: string;
  durationMs: number;
  properties: [string, string | number][];
  cases: TestCase[];
  /** The system-out text, already shown inert (the text report, or the verdict line). */
  out: string;
}

/** How a verdict shows in CI: FAIL a failure, ERROR an error, INCONCLUSIVE skipped, each with its reason. */
function verdictOutcome(verdict: Verdict, reason: string): Outcome {
  if (verdict === "PASS") return { kind: "pass" };
  const kind = verdict === "FAIL" ? "failure" : verdict === "ERROR" ? "error" : "skipped";
  return { kind, message: `${verdict}: ${reason}` };
}

/** Text already shown inert (as a terminal shows it), XML-escaped; U+FFFE and U+FFFF are not XML characters. */
function xmlEscape(shown: string): string {
  return shown
    .replace(/[\ufffe\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/**
 * Raw text for an XML document: shown as a terminal shows it (controls and stray bytes escaped, so the
 * document stays well-formed XML 1.0), then XML-escaped.
 */
const xmlText = (text: string) => xmlEscape(terminalText(text));

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** A version's case: what the verdict says of it, from its band and the replies it got. */
function versionCase(report: CampaignReport, label: string): TestCase {
  const weight = report.expected[label] ?? 0;
  const name = `${label} at ${Math.round(weight * 1000) / 10}%`;
  if (report.verdict !== "FAIL") return { name, outcome: verdictOutcome(report.verdict, report.reason) };
  const share = report.shares[label] ?? 0;
  const outside =
    weight === 0 ? (report.counts[label] ?? 0) > 0 : Math.abs(share - weight) > report.tolerance;
  return {
    name,
    outcome: outside
      ? verdictOutcome("FAIL", report.reason)
      : { kind: "skipped", message: `not what FAILed: ${report.reason}` },
  };
}

function checkSuite(report: CampaignReport, name: string): Suite {
  const labels = Object.keys(report.expected);
  const cases = [
    { name: "split", outcome: verdictOutcome(report.verdict, report.reason) },
    ...labels.map((label) => versionCase(report, label)),
  ];
  const properties: [string, string | number][] = [
    ["verdict", report.verdict],
    ["reason", report.reason],
    ["target", report.target],
    ["expected", labels.map((l) => `${l}=${report.expected[l]}`).join(",")],
    ["confidence", report.confidence],
    ["tolerance", report.tolerance],
    ["probes", report.probes],
    ["probesPerSecond", Math.round(report.probesPerSecond)],
    ...Object.entries(report.counts).map(([l, n]): [string, number] => [`replies.${l}`, n]),
    ...Object.entries(report.shares).map(([l, s]): [string, number] => [`share.${l}`, s]),
    ...Object.entries(report.unexpected).map(([p, n]): [string, number] => [`unexpected.${p}`, n]),
    ...Object.entries(report.errors).map(([e, n]): [string, number] => [`errors.${e}`, n]),
  ];
  return { name, durationMs: report.durationMs, properties, cases, out: formatReport(report) };
}

function stepCase(step: StepState, summary: WatchSummary): TestCase {
  const name = `step ${step.split}`;
  if (step.passedAtMs !== null) return { name, outcome: { kind: "pass" } };
  if (step.missed) {
    return { name, outcome: { kind: "failure", message: "missed: shown outside its band every time" } };
  }
  if (step.unverified) {
    const { probes, heldMs, neededProbes } = step.unverified;
    const needed = neededProbes === null ? "" : ` (about ${neededProbes} needed)`;
    const message = `unverified: held ${probes} probes over ${seconds(heldMs)} s, too few to prove${needed}`;
    return { name, outcome: { kind: "skipped", message } };
  }
  return {
    name,
    outcome: { kind: "skipped", message: `not reached: ${summary.verdict}: ${summary.reason}` },
  };
}

function watchSuite(summary: WatchSummary, name: string): Suite {
  return {
    name,
    durationMs: summary.durationMs,
    properties: [
      ["verdict", summary.verdict],
      ["reason", summary.reason],
      ["target", summary.target],
      ["probes", summary.probes],
      ["changes", summary.changes],
      ["stoppedBy", summary.stoppedBy],
      ...summary.steps.map((s, i): [string, string] => [
        `step.${i + 1}`,
        `${s.split} ${s.passedAtMs === null ? (s.missed ? "missed" : "not passed") : `passed at ${seconds(s.passedAtMs)} s`}`,
      ]),
    ],
    cases: [
      { name: "watch", outcome: verdictOutcome(summary.verdict, summary.reason) },
      ...summary.steps.map((step) => stepCase(step, summary)),
    ],
    out: `${summary.verdict}: ${terminalText(summary.reason)}\n`,
  };
}

function counted(cases: TestCase[], kind: Outcome["kind"]): number {
  return cases.filter((c) => c.outcome.kind === kind).length;
}

function caseXml(test: TestCase, classname: string, time: string): string {
  const open = `    <testcase name="${xmlText(test.name)}" classname="${xmlText(classname)}" time="${time}"`;
  const { outcome } = test;
  if (outcome.kind === "pass") return `${open}/>`;
  const type = outcome.kind === "skipped" ? "" : ` type="${outcome.message.split(":")[0]}"`;
  const message = xmlText(outcome.message);
  return `${open}>\n      <${outcome.kind} message="${message}"${type}>${message}</${outcome.kind}>\n    </testcase>`;
}

/** The suites in the layout of Ant's JUnit schema (the one CI systems read), every field it requires. */
function documentXml(suites: Suite[], context: JunitContext): string {
  const timestamp = context.startedAt.toISOString().slice(0, 19);
  const body = suites.map((suite, id) => {
    const time = seconds(suite.durationMs);
    const classname = `prober.${suite.name}`;
    return [
      `  <testsuite name="${xmlText(suite.name)}" package="prober" id="${id}" timestamp="${timestamp}" hostname="${xmlText(context.hostname)}" tests="${suite.cases.length}" failures="${counted(suite.cases, "failure")}" errors="${counted(suite.cases, "error")}" skipped="${counted(suite.cases, "skipped")}" time="${time}">`,
      "    <properties>",
      ...suite.properties.map(
        ([name, value]) => `      <property name="${xmlText(name)}" value="${xmlText(String(value))}"/>`,
      ),
      "    </properties>",
      ...suite.cases.map((test) => caseXml(test, classname, time)),
      `    <system-out>${xmlEscape(suite.out)}</system-out>`,
      "    <system-err/>",
      "  </testsuite>",
    ].join("\n");
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${body.join("\n")}\n</testsuites>\n`;
}

/** The fleet's own suite: its verdict, which endpoints it names, and those that joined unverified. */
function fleetSuite(
  verdict: Verdict,
  reason: string,
  durationMs: number,
  named: string[],
  appeared: string[],
): Suite {
  return {
    name: "fleet",
    durationMs,
    properties: [
      ["verdict", verdict],
      ["reason", reason],
      ["named", named.join(",")],
      ["appeared", appeared.join(",")],
    ],
    cases: [{ name: "fleet", outcome: verdictOutcome(verdict, reason) }],
    out: `${verdict}: ${terminalText(reason)}\n`,
  };
}

const isFleet = (report: CampaignReport | FleetReport): report is FleetReport => "endpoints" in report;

/**
 * A check's report as JUnit XML: a testsuite per endpoint (one for a single target) with a case for the
 * split's verdict and one per version (FAIL a failure, ERROR an error, INCONCLUSIVE skipped, with the
 * reason); the figures as properties, the text report as system-out. Replies' prefixes are escaped.
 */
export function checkJunitXml(report: CampaignReport | FleetReport, context: JunitContext): string {
  const suites = isFleet(report)
    ? [
        fleetSuite(
          report.verdict,
          report.reason,
          report.durationMs,
          report.named,
          report.appeared.map((a) => a.target),
        ),
        ...report.endpoints.map((endpoint) => checkSuite(endpoint, endpoint.name)),
      ]
    : [checkSuite(report, report.target)];
  return documentXml(suites, context);
}

const isFleetWatch = (summary: WatchSummary | FleetWatchSummary): summary is FleetWatchSummary =>
  "endpoints" in summary;

/** A watch's summary as JUnit XML: a testsuite per endpoint, a case for the verdict and one per step. */
export function watchJunitXml(summary: WatchSummary | FleetWatchSummary, context: JunitContext): string {
  const suites = isFleetWatch(summary)
    ? [
        fleetSuite(
          summary.verdict,
          summary.reason,
          summary.durationMs,
          summary.endpoints.filter((e) => e.verdict !== "PASS").map((e) => e.endpoint),
          summary.appeared.map((a) => a.target),
        ),
        ...summary.endpoints.map((endpoint) => watchSuite(endpoint, endpoint.endpoint)),
      ]
    : [watchSuite(summary, summary.target)];
  return documentXml(suites, context);
}
