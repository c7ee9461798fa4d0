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
}
