/** Log-likelihood ratio between a segment's halves above which its split is taken to be moving. */
const HALVES_THRESHOLD = 4.5;

const xlogx = (count: number, of: number) => (count === 0 ? 0 : count * Math.log(count / of));
const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);

/**
 * Compares a segment's first half (up to the checkpoint nearest its middle) with the rest, by the
 * likelihood ratio of one multinomial for each against one for both. A blend of an old and a new split
 * can look like one inside the band, or like one outside every band, while its halves disagree. On a
 * fixed split the halves differ at about 0.3% of checkpoints (2 × 4.5 nats is the 99.7% point of
 * chi-square with 1 degree of freedom), for a checkpoint or two.
 */
export class SegmentHalves {
  private readonly snapshots: number[][] = [];

  /** Takes the replies by version at a checkpoint; true when the halves differ. */
  differAt(counts: number[]): boolean {
    this.snapshots.push(counts);
    const all = total(counts);
    let half: number[] | undefined;
    for (let i = this.snapshots.length - 1; i >= 0 && half === undefined; i--) {
      const snapshot = this.snapshots[i] as number[];
      if (total(snapshot) <= all / 2) half = snapshot;
    }
    const first = half === undefined ? 0 : total(half);
    if (half === undefined || first === 0) return false;
    let statistic = 0;
    counts.forEach((count, j) => {
      const a = (half as number[])[j] as number;
      statistic += xlogx(a, first) + xlogx(count - a, all - first) - xlogx(count, all);
    });
    return statistic > HALVES_THRESHOLD;
  }
}
