import type { ProbeOutcome } from "../probe-outcome.js";
import { ChangeDetector, DEFAULT_CHANGE_DETECTOR } from "./change-detector.js";
import { countIn, countOutcome, emptyObservation } from "./observation.js";
import { SegmentHalves } from "./segment-halves.js";
import { SegmentTrend } from "./segment-trend.js";
import {
  bandOf,
  judgeSplit,
  type SplitCriteria,
  type SplitJudgement,
  type SplitObservation,
} from "./split-verdict.js";

/** Trend (z²/2 nats) that holds back a PASS in the run's first segment, and in every later one (docs/statistics.md). */
const TREND_THRESHOLD = 2;
const TREND_THRESHOLD_AFTER_CHANGE = 1;
/** Standard errors by which a flagged trend's end must lie inside every band to release the PASS. */
const RELEASE_Z = 2;

/** One stretch of the run over which the split is taken to be fixed. */
export interface Segment {
  /** Its first probe, counted in start order from 0 since the run began. */
  startProbe: number;
  /** When that probe started, in ms since the run began. */
  startMs: number;
  /** Its error budget: the run's 1 - confidence spent over segments. */
  alpha: number;
  observation: SplitObservation;
  judgement: SplitJudgement;
  /** Whether its halves disagree, checkpoint by checkpoint. */
  halves: SegmentHalves;
  /** Whether its shares move steadily from its first reply to its last. */
  trend: SegmentTrend;
  /** Why it ended: a change of the split was detected, its evidence contradicted itself, or what is expected changed. */
  endedBy: "change" | "contradiction" | "expectation" | undefined;
  /** For a segment begun by a detected change: the estimated change point (probe number and ms). */
  changeAtProbe: number | undefined;
  changeAtMs: number | undefined;
}

/**
 * True at the probe counts where the verdict is re-checked: every probe up to `everyProbeUpTo` (1,000:
 * where most runs settle, and checking each probe there settles a still 80:20 about 20 probes sooner),
 * then about every 1%.
 */
export function isCheckpoint(probes: number, everyProbeUpTo = 1000): boolean {
  return probes <= everyProbeUpTo || probes % Math.ceil(probes / 100) === 0;
}

/**
 * The split test over a run, outcome by outcome in start order. Without `followChanges` the run is one
 * segment at the full alpha: the split is assumed fixed, and a change detected before the verdict
 * settles ends the run (`changed`) rather than letting a blend of two splits decide it. With
 * `followChanges` (`--wait`, `watch`), a detected change, or evidence for both PASS and FAIL within one
 * segment, starts a new segment on the outcomes that follow; segment k gets alpha / 2^k, so the run's
 * error rates stay within alpha in all (the data after a stopping time of an i.i.d. sequence is again
 * i.i.d. and independent of it). A FAIL or ERROR then does not end the run: the next weights may still arrive.
 */
export class SegmentedSplitTest {
  readonly segments: Segment[] = [];
  private detector: ChangeDetector;
  private probes = 0;
  /** Start times of the probes at the detector's block boundaries, by their index in the segment. */
  private boundaryTimes = new Map<number, number>();
  private lastStartedMs = 0;
  /** Set without followChanges when a change shows before the verdict settled. */
  changed: { atProbe: number; atMs: number } | undefined;

  constructor(
    private criteria: SplitCriteria,
    private readonly followChanges: boolean,
  ) {
    this.detector = this.newDetector();
    this.startSegment(0, 0, undefined);
  }

  get current(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  /**
   * True when the run can stop: any settled verdict without followChanges; with it, only a PASS. A FAIL
   * or an ERROR may be the old weights, or a reload's moment of refused connections: the next segment
   * may still PASS, and the last one's verdict stands when the wait ends.
   */
  get decided(): boolean {
    const { judgement } = this.current;
    if (this.changed) return true;
    return judgement.settled && (!this.followChanges || judgement.verdict === "PASS");
  }

  /** Takes the next outcome in start order, started `startedMs` after the run began. */
  record(outcome: ProbeOutcome, startedMs: number): void {
    const segment = this.current;
    const { observation } = segment;
    const category = countOutcome(observation, this.criteria.expected.labels, outcome);
    if (category < this.criteria.expected.labels.length) segment.trend.add(category);
    const index = this.probes - segment.startProbe;
    this.probes += 1;
    this.lastStartedMs = startedMs;
    const { blockSize, candidates } = DEFAULT_CHANGE_DETECTOR;
    if (index % blockSize === 0) {
      this.boundaryTimes.set(index, startedMs);
      this.boundaryTimes.delete(index - (candidates + 1) * blockSize);
    }
    const change = this.detector.add(category);
    if (isCheckpoint(index + 1)) this.judge();
    if (change === undefined || this.decided || this.current !== segment) return;
    const atProbe = segment.startProbe + change.before;
    const atMs = this.boundaryTimes.get(change.before) ?? startedMs;
    if (!this.followChanges) {
      this.changed = { atProbe, atMs };
      return;
    }
    this.judge();
    segment.endedBy = "change";
    this.startSegment(this.probes, startedMs, { atProbe, atMs });
  }

  /** The current segment judged on everything it holds (the final word at the end of a run). */
  judge(): SplitJudgement {
    const segment = this.current;
    // Once the run may stop, its verdict stays: outcomes of probes still in flight are counted and may
    // mark it contradicted, but start no new segment for the report to rest on.
    const final = this.decided;
    segment.judgement = judgeSplit(segment.observation, this.criteria, {
      previous: segment.judgement,
      alpha: segment.alpha,
      unsteady:
        segment.halves.differAt(
          this.criteria.expected.labels.map((label) => countIn(segment.observation.counts, label)),
        ) || this.trending(segment),
    });
    if (
      this.followChanges &&
      !final &&
      segment.judgement.contradicted &&
      !segment.judgement.errorsShownAbove
    ) {
      segment.endedBy = "contradiction";
      this.startSegment(this.probes, this.lastStartedMs, undefined);
    }
    return this.current.judgement;
  }

  /**
   * The trend above which a PASS is held back. A split that ramps makes the segment's shares lag behind the
   * current ones, and a PASS near a checkpoint where the trend happens to look flat would rest on the lag.
   * In a later segment (after a change, a contradiction or new weights) the split is known to be in motion
   * (replicas take new weights one after another), and a stretch of a ramp looks much like a still split
   * over the 800 probes of a PASS: there it is held back more readily.
   */
  private trendThreshold(): number {
    return this.segments.length === 1 ? TREND_THRESHOLD : TREND_THRESHOLD_AFTER_CHANGE;
  }

  /** A trend above the threshold, unless the segment's trend line ends inside every band (RELEASE_Z). */
  private trending(segment: Segment): boolean {
    if (segment.trend.statistic() <= this.trendThreshold()) return false;
    const bands = this.criteria.expected.shares.map((share) => bandOf(share, this.criteria.tolerance));
    return !segment.trend.endInside(bands, RELEASE_Z);
  }

  /** The split the run is judged against from now on (a followed cluster object changed): a new segment. */
  expect(expected: SplitCriteria["expected"]): void {
    this.criteria = { ...this.criteria, expected };
    this.current.endedBy = "expectation";
    this.startSegment(this.probes, this.lastStartedMs, undefined);
  }

  /** What the current segment is judged against. */
  get expected(): SplitCriteria["expected"] {
    return this.criteria.expected;
  }

  private newDetector(): ChangeDetector {
    return new ChangeDetector({
      ...DEFAULT_CHANGE_DETECTOR,
      categories: this.criteria.expected.labels.length + 1,
    });
  }

  private startSegment(
    startProbe: number,
    startMs: number,
    change: { atProbe: number; atMs: number } | undefined,
  ): void {
    const alpha = 1 - this.criteria.confidence;
    const observation = emptyObservation(this.criteria.expected.labels);
    this.segments.push({
      startProbe,
      startMs,
      alpha: this.followChanges ? alpha / 2 ** (this.segments.length + 1) : alpha,
      observation,
      judgement: judgeSplit(observation, this.criteria),
      halves: new SegmentHalves(),
      trend: new SegmentTrend(this.criteria.expected.labels.length),
      endedBy: undefined,
      changeAtProbe: change?.atProbe,
      changeAtMs: change?.atMs,
    });
    this.detector = this.newDetector();
    this.boundaryTimes = new Map();
  }
}
