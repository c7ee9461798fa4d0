/** The statistics: pure functions and state machines over counts of outcomes, with no I/O and no clock. */
export { ChangeDetector, DEFAULT_CHANGE_DETECTOR } from "./change-detector.js";
export {
  type EndpointStanding,
  endpointConfidence,
  type FleetJudgement,
  judgeFleet,
} from "./fleet-verdict.js";
export type { GoodnessOfFit } from "./goodness-of-fit.js";
export { countIn, countOutcome, emptyObservation, emptyRecord } from "./observation.js";
export { SegmentHalves } from "./segment-halves.js";
export { isCheckpoint, type Segment, SegmentedSplitTest } from "./split-segments.js";
export {
  bandOf,
  type EdgeFindings,
  type Interval,
  judgeSplit,
  METHOD,
  probesToSettle,
  type SplitCriteria,
  type SplitJudgement,
  type SplitObservation,
  splitBounds,
  type Verdict,
  type VersionEvidence,
} from "./split-verdict.js";
export { StartOrder } from "./start-order.js";
