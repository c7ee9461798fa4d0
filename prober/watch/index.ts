/** A watch: a whole rollout followed step by step; its judging a pure machine, driven by `runWatch`. */

export { describeReach, type StepReach, stepsReached } from "./fleet-rollout.js";
export {
  type FleetWatchEvent,
  type FleetWatchOptions,
  type FleetWatchSummary,
  runFleetWatch,
} from "./fleet-watch.js";
export {
  resolveWatchOptions,
  runWatch,
  WATCH_DEFAULTS,
  type WatchOptions,
} from "./split-watch.js";
export {
  advanceWatch,
  concludeWatch,
  type Shares,
  type StepState,
  startWatch,
  type WatchCriteria,
  type WatchEvent,
  type WatchInput,
  type WatchState,
  type WatchSummary,
} from "./watch-machine.js";
