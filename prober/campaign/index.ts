/** A check: its options with their defaults, and the run that probes until a verdict. */
export {
  CAMPAIGN_DEFAULTS,
  type CampaignOptions,
  type CampaignProgress,
  FOLLOW_CHANGES_RATE,
  resolveCampaignOptions,
  withoutUndefined,
} from "./campaign-options.js";
export {
  type EndpointReport,
  type FleetOptions,
  type FleetReport,
  judgeMembers,
  runFleetCampaign,
} from "./fleet-campaign.js";
export {
  type CampaignReport,
  type LatencySummary,
  runProbeCampaign,
  type SegmentReport,
  type StopReason,
} from "./probe-campaign.js";
