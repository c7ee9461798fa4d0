/** The prober's library: `import { runProbeCampaign } from "tcp-echo/prober"` loads nothing of the server. */
export {
  CAMPAIGN_DEFAULTS,
  type CampaignOptions,
  type CampaignProgress,
  FOLLOW_CHANGES_RATE,
  resolveCampaignOptions,
} from "./campaign-options.js";
export { DEFAULT_LABELS, type Expectation, expectationFromWeights, parseExpectation } from "./expectation.js";
export type { GoodnessOfFit } from "./goodness-of-fit.js";
export { campaignReportHtml, watchReportHtml } from "./html-report.js";
export { expectationFromManifest, parseLabelMap } from "./manifest-expectation.js";
export {
  type CampaignReport,
  type LatencySummary,
  runProbeCampaign,
  type SegmentReport,
  type StopReason,
} from "./probe-campaign.js";
export type { ProbeErrorKind, ProbeOutcome } from "./probe-outcome.js";
export { ExpectationError, ProberOptionError } from "./prober-errors.js";
export { formatReport } from "./report-format.js";
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
} from "./split-verdict.js";
export {
  resolveWatchOptions,
  runWatch,
  type Shares,
  WATCH_DEFAULTS,
  type WatchEvent,
  type WatchOptions,
  type WatchSummary,
} from "./split-watch.js";
export { formatTarget } from "./target-address.js";
export { type TcpProbeOptions, TcpProber } from "./tcp-probe.js";
