/** A watch: a whole rollout followed step by step. */
export {
  resolveWatchOptions,
  runWatch,
  type Shares,
  WATCH_DEFAULTS,
  type WatchEvent,
  type WatchOptions,
  type WatchSummary,
} from "./split-watch.js";
