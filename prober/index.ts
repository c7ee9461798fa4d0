/** The prober's library: `import { runProbeCampaign } from "tcp-echo/prober"` loads nothing of the server. */
export {
  CAMPAIGN_DEFAULTS,
  type CampaignOptions,
  type CampaignProgress,
  FOLLOW_CHANGES_RATE,
  resolveCampaignOptions,
} from "./campaign/campaign-options.js";
export {
  type CampaignReport,
  type LatencySummary,
  runProbeCampaign,
  type SegmentReport,
  type StopReason,
} from "./campaign/probe-campaign.js";
export { ExpectationError, ProberOptionError } from "./errors.js";
export {
  DEFAULT_LABELS,
  type Expectation,
  expectationFromWeights,
  parseExpectation,
} from "./expectations/expectation.js";
export { expectationFromManifest, parseLabelMap } from "./expectations/manifest-expectation.js";
export type { ProbeErrorKind, ProbeOutcome } from "./probe-outcome.js";
export { formatTarget } from "./probing/target-address.js";
export { type TcpProbeOptions, TcpProber } from "./probing/tcp-probe.js";
export { campaignReportHtml, watchReportHtml } from "./reports/html-report.js";
export { formatReport } from "./reports/report-format.js";
export type { GoodnessOfFit } from "./statistics/goodness-of-fit.js";
export {
  type EdgeFindings,
  type Interval,
  judgeSplit,
  probesToSettle,
  type SplitCriteria,
  type SplitJudgement,
  type SplitObservation,
  splitBounds,
  type Verdict,
  type VersionEvidence,
} from "./statistics/split-verdict.js";
export {
  resolveWatchOptions,
  runWatch,
  type Shares,
  WATCH_DEFAULTS,
  type WatchEvent,
  type WatchOptions,
  type WatchSummary,
} from "./watch/split-watch.js";
