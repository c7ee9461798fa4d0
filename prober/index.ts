/** The prober's library: `import { runProbeCampaign } from "tcp-echo/prober"` loads nothing of the server. */
export {
  CAMPAIGN_DEFAULTS,
  type CampaignOptions,
  type CampaignProgress,
  type CampaignReport,
  FOLLOW_CHANGES_RATE,
  type LatencySummary,
  resolveCampaignOptions,
  runProbeCampaign,
  type SegmentReport,
  type StopReason,
} from "./campaign/index.js";
export { ExpectationError, ProberOptionError } from "./errors.js";
export {
  DEFAULT_LABELS,
  type Expectation,
  expectationFromManifest,
  expectationFromWeights,
  parseExpectation,
  parseLabelMap,
} from "./expectations/index.js";
export type { ProbeErrorKind, ProbeOutcome } from "./probe-outcome.js";
export { formatTarget, type TcpProbeOptions, TcpProber } from "./probing/index.js";
export { campaignReportHtml, formatReport, watchReportHtml } from "./reports/index.js";
export {
  type EdgeFindings,
  type GoodnessOfFit,
  type Interval,
  judgeSplit,
  probesToSettle,
  type SplitCriteria,
  type SplitJudgement,
  type SplitObservation,
  splitBounds,
  type Verdict,
  type VersionEvidence,
} from "./statistics/index.js";
export {
  resolveWatchOptions,
  runWatch,
  type Shares,
  WATCH_DEFAULTS,
  type WatchEvent,
  type WatchOptions,
  type WatchSummary,
} from "./watch/index.js";
