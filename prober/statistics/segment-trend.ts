/**
 * A score test for a linear trend in each version's share across a segment's replies (Cochran 1954;
 * Armitage 1955): the covariance of "this reply came from version j" with the reply's position, over its
 * variance under a fixed split. A split that ramps (gateway replicas taking new weights one after another)
 * makes the segment's cumulative shares lag behind the current ones; the trend is what shows it.
 */
export class SegmentTrend {
  private replies = 0;
  private sumPosition = 0;
  private sumPositionSquared = 0;
  private readonly counts: number[];
  private readonly sumPositionByVersion: number[];

  constructor(versions: number) {
    this.counts = new Array(versions).fill(0);
    this.sumPositionByVersion = new Array(versions).fill(0);
  }

  /** Takes the next reply's version index. */
  add(version: number): void {
    const position = this.replies;
    this.replies += 1;
    this.sumPosition += position;
    this.sumPositionSquared += position * position;
    this.counts[version] = (this.counts[version] as number) + 1;
    this.sumPositionByVersion[version] = (this.sumPositionByVersion[version] as number) + position;
  }

  /**
   * The largest over versions of z²/2 (nats), z the standardized trend score: about 0.5 on average under a
   * fixed split, and growing with the replies under a moving one.
   */
  statistic(): number {
    const n = this.replies;
    if (n < 2) return 0;
    const spread = this.sumPositionSquared - (this.sumPosition * this.sumPosition) / n;
    let largest = 0;
    this.counts.forEach((count, j) => {
      const share = count / n;
      const variance = share * (1 - share) * spread;
      if (variance <= 0) return;
      const score = (this.sumPositionByVersion[j] as number) - share * this.sumPosition;
      largest = Math.max(largest, (score * score) / variance / 2);
    });
    return largest;
  }

  /**
   * True when, for every version, the share the linear trend puts at the segment's last reply lies inside
   * its band by `z` standard errors (under a fixed split: p̂(1 - p̂)(1/n + (t_last - t̄)² / Σ(t - t̄)²)).
   * A still split that the trend test flags by chance (|z| > 1.41 at a third of checkpoints, often for
   * thousands of replies) is released once its end is known to be inside; a ramp whose end is outside is not.
   */
  endInside(bands: { lower: number; upper: number }[], z: number): boolean {
    const n = this.replies;
    if (n < 2) return false;
    const mean = this.sumPosition / n;
    const spread = this.sumPositionSquared - this.sumPosition * mean;
    if (spread <= 0) return false;
    const lever = (n - 1 - mean) ** 2 / spread + 1 / n;
    return bands.every((band, j) => {
      const share = (this.counts[j] as number) / n;
      const score = (this.sumPositionByVersion[j] as number) - share * this.sumPosition;
      const atEnd = share + (score / spread) * (n - 1 - mean);
      const margin = z * Math.sqrt(share * (1 - share) * lever);
      return atEnd - margin >= band.lower && atEnd + margin <= band.upper;
    });
  }
}
