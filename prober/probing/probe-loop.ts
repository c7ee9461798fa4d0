import { randomBytes } from "node:crypto";
import type { ProbeOutcome } from "../probe-outcome.js";
import { StartOrder } from "../statistics/index.js";

export type ProbeFunction = (id: string, signal: AbortSignal) => Promise<ProbeOutcome>;

export interface ProbeLoopOptions {
  probe: ProbeFunction;
  /** Probes in flight at once. */
  concurrency: number;
  /** Cap on probes started per second; undefined for no cap. */
  rate?: number | undefined;
  /** No probe starts after this many. */
  maxProbes: number;
  /** Each outcome, in the order its probe started, with when it started (ms since the loop began). */
  onOutcome: (outcome: ProbeOutcome, startedMs: number) => void;
}

/**
 * Runs probes, `concurrency` at a time and at most `rate` a second, and hands their outcomes on in the
 * order the probes started. Each probe's line carries the run's id and its sequence number.
 */
export class ProbeLoop {
  readonly began = performance.now();
  private readonly controller = new AbortController();
  private readonly order = new StartOrder<{ outcome: ProbeOutcome; startedMs: number }>();
  private startedProbes = 0;
  private handedOn = 0;
  private stopped = false;

  constructor(private readonly options: ProbeLoopOptions) {}

  /** Aborted when the loop stops with `abort`: what the probes in flight listen to. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Outcomes handed on so far (one by one: a probe that finishes late releases several at once). */
  get counted(): number {
    return this.handedOn;
  }

  /** Starts no more probes; with `abort`, ends those in flight at once, and they are not handed on. */
  stop(abort: boolean): void {
    this.stopped = true;
    if (abort) this.controller.abort();
  }

  /** Resolves once every probe started has finished. */
  async run(): Promise<void> {
    const runId = randomBytes(4).toString("hex");
    const { options } = this;
    const worker = async () => {
      while (!this.stopped && this.startedProbes < options.maxProbes) {
        const sequence = this.startedProbes++;
        if (options.rate !== undefined) {
          const wait = this.began + (sequence * 1000) / options.rate - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          if (this.stopped) break;
        }
        const startedMs = performance.now() - this.began;
        const outcome = await options.probe(
          `probe run=${runId} seq=${sequence} t=${Date.now()}`,
          this.signal,
        );
        if (this.signal.aborted) continue;
        for (const result of this.order.add(sequence, { outcome, startedMs })) {
          this.handedOn += 1;
          options.onOutcome(result.outcome, result.startedMs);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(options.concurrency, options.maxProbes)) }, worker),
    );
  }
}
