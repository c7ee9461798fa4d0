/** The prober's library: `import { runProbeCampaign } from "tcp-echo/prober"` loads nothing of the server. */
export {
  CAMPAIGN_DEFAULTS,
  type CampaignOptions,
  type CampaignProgress,
  type CampaignReport,
  type EndpointReport,
  type FleetOptions,
  type FleetReport,
  FOLLOW_CHANGES_RATE,
  type LatencySummary,
  resolveCampaignOptions,
  runFleetCampaign,
  runProbeCampaign,
  type SegmentReport,
  type StopReason,
} from "./campaign/index.js";
export {
  type Endpoint,
  EndpointError,
  type EndpointFollower,
  endpointName,
  resolveEachAddress,
} from "./endpoints/index.js";
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
export {
  campaignReportHtml,
  checkJunitXml,
  fleetReportHtml,
  formatFleetReport,
  formatReport,
  type JunitContext,
  watchJunitXml,
  watchReportHtml,
} from "./reports/index.js";
export {
  type EdgeFindings,
  endpointConfidence,
  type GoodnessOfFit,
  type Interval,
  judgeFleet,
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
  describeReach,
  type FleetWatchEvent,
  type FleetWatchOptions,
  type FleetWatchSummary,
  resolveWatchOptions,
  runFleetWatch,
  runWatch,
  type Shares,
  type StepReach,
  WATCH_DEFAULTS,
  type WatchEvent,
  type WatchOptions,
  type WatchSummary,
} from "./watch/index.js";
