/**
 * Finds a change of the split within a stream of outcomes (one category each: a version, or "other").
 * Outcomes are gathered in blocks; after every block, each of the last `candidates` block boundaries is
 * tried as the change point with the generalized likelihood ratio of "one multinomial before it, another
 * after it" against "one throughout" (a Page-Lorden CUSUM with both splits unknown; Siegmund & Venkatraman
 * 1995). An alarm is raised when the largest ratio reaches `threshold` (in nats). Memory is one block per
 * candidate, whatever the length of the stream.
 */
export interface ChangeDetectorOptions {
  categories: number;
  blockSize: number;
  candidates: number;
  threshold: number;
}

export interface DetectedChange {
  /** Outcomes seen (since the detector started) before the estimated change point. */
  before: number;
  /** The log-likelihood ratio at that point. */
  statistic: number;
  /** Counts by category before and after the change point. */
  beforeCounts: number[];
  afterCounts: number[];
}

/** Blocks of 16 outcomes, change points tried over the last 2,048; the threshold is calibrated in docs/statistics.md. */
export const DEFAULT_CHANGE_DETECTOR: Omit<ChangeDetectorOptions, "categories"> = {
  blockSize: 16,
  candidates: 128,
  threshold: 14,
};

const addInto = (total: number[], counts: number[]) => {
  for (let j = 0; j < counts.length; j++) total[j] = (total[j] as number) + (counts[j] as number);
};
const xlogx = (count: number, total: number) => (count === 0 ? 0 : count * Math.log(count / total));

export class ChangeDetector {
  /** Counts before the oldest candidate boundary. */
  private readonly older: number[];
  private olderTotal = 0;
  /** Full blocks since then, oldest first. */
  private readonly blocks: number[][] = [];
  private current: number[];
  private inCurrent = 0;

  constructor(private readonly options: ChangeDetectorOptions) {
    this.older = new Array(options.categories).fill(0);
    this.current = new Array(options.categories).fill(0);
  }

  /** Takes one outcome's category; returns the change when this outcome completes a block that shows one. */
  add(category: number): DetectedChange | undefined {
    this.current[category] = (this.current[category] as number) + 1;
    this.inCurrent += 1;
    if (this.inCurrent < this.options.blockSize) return undefined;
    this.blocks.push(this.current);
    this.current = new Array(this.options.categories).fill(0);
    this.inCurrent = 0;
    if (this.blocks.length > this.options.candidates) {
      addInto(this.older, this.blocks.shift() as number[]);
      this.olderTotal += this.options.blockSize;
    }
    return this.scan();
  }

  private scan(): DetectedChange | undefined {
    const { categories, blockSize, threshold } = this.options;
    const total = this.olderTotal + this.blocks.length * blockSize;
    const all = [...this.older];
    for (const block of this.blocks) addInto(all, block);
    const whole = all.reduce((s, count) => s + xlogx(count, total), 0);
    const before = [...this.older];
    let beforeTotal = this.olderTotal;
    let best: DetectedChange | undefined;
    // Boundary i: the older counts and blocks 0..i-1 before it; at least one block on each side.
    for (let i = 0; i < this.blocks.length; i++) {
      if (beforeTotal > 0) {
        let statistic = -whole;
        for (let j = 0; j < categories; j++) {
          const b = before[j] as number;
          statistic += xlogx(b, beforeTotal) + xlogx((all[j] as number) - b, total - beforeTotal);
        }
        if (statistic >= threshold && (best === undefined || statistic > best.statistic)) {
          const afterCounts = all.map((count, j) => count - (before[j] as number));
          best = { before: beforeTotal, statistic, beforeCounts: [...before], afterCounts };
        }
      }
      addInto(before, this.blocks[i] as number[]);
      beforeTotal += blockSize;
    }
    return best;
  }
}
