import { Presets, SingleBar } from "cli-progress";
import type { CampaignProgress } from "../campaign/index.js";

/** A live bar on stderr while probes run, redrawn at most every 100 ms; nothing when stderr is no TTY. */
export function createProgressBar(stream: NodeJS.WriteStream): {
  update: (progress: CampaignProgress) => void;
  stop: () => void;
} {
  if (!stream.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new SingleBar(
    {
      stream,
      format: "probing [{bar}] {value}/{total} probes | {split} | errors {errors}",
      hideCursor: true,
      fps: 10,
    },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(progress) {
      const split = Object.entries(progress.counts)
        .map(([label, count]) => `${label} ${count}`)
        .join(" · ");
      const payload = { split, errors: progress.failedProbes };
      if (!started) {
        bar.start(progress.maxProbes, progress.probes, payload);
        started = true;
      } else bar.update(progress.probes, payload);
    },
    stop: () => bar.stop(),
  };
}
