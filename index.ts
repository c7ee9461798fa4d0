export type { Interval } from "./prober/confidence-sequence.js";
export { type Expectation, parseExpectation } from "./prober/expectation.js";
export type { GoodnessOfFit } from "./prober/goodness-of-fit.js";
export { expectationFromManifest, parseLabelMap } from "./prober/manifest-expectation.js";
export {
  type CampaignOptions,
  type CampaignProgress,
  type CampaignReport,
  runProbeCampaign,
} from "./prober/probe-campaign.js";
export { formatReport } from "./prober/report-format.js";
export {
  judgeSplit,
  probesToSettle,
  type SplitCriteria,
  type SplitJudgement,
  type SplitObservation,
  type Verdict,
} from "./prober/split-verdict.js";
export { type ProbeOutcome, TcpProber } from "./prober/tcp-probe.js";
export { type EchoServer, type EchoServerOptions, startEchoServer } from "./server/echo-server.js";
export { LineEchoer } from "./server/line-echoer.js";
export { ServerMetrics } from "./server/server-metrics.js";
export { type Backend, startWeightedSplitter, type WeightedSplitter } from "./splitter/weighted-splitter.js";
