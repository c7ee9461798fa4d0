import { simulateScenario, wilsonInterval } from "../devtools/campaign-simulation.js";
import { simulateFleet } from "../devtools/fleet-simulation.js";

/** One fleet size's figures: the cost of checking every replica, and what each way of checking sees. */
export interface FleetFigure {
  replicas: number;
  runs: number;
  /** Every replica at 80:20: the fleet check's verdicts and total probes. */
  healthy: { verdicts: Record<string, number>; medianProbes: number; p90Probes: number };
  /** The same split checked once through the Service (one target): the peer of the cost. */
  throughService: { verdicts: Record<string, number>; medianProbes: number; p90Probes: number };
  /** Median probes of the fleet check over the one check through the Service. */
  costRatio: number;
  /** Wrong FAILs of the healthy fleet, with Wilson's 95% interval. */
  wrongFail: { rate: number; interval: { lower: number; upper: number } };
  /** One replica stale at 100:0: the fleet check, and one check through the Service on the mix. */
  stale: {
    mixShareOfOne: number;
    fleet: { verdicts: Record<string, number>; medianProbes: number };
    throughService: { verdicts: Record<string, number>; medianProbes: number };
  };
}

export interface FleetBenchSettings {
  runs: number;
  sizes: number[];
  onProgress?: (done: string) => void;
}

const HEALTHY = { one: 0.8, two: 0.2 };
const STALE = { one: 1, two: 0 };

/** Seeded runs of the fleet check against one check through the Service, per fleet size (docs/statistics.md). */
export async function benchFleet(settings: FleetBenchSettings): Promise<FleetFigure[]> {
  const figures: FleetFigure[] = [];
  for (const k of settings.sizes) {
    const { runs } = settings;
    const healthy = await simulateFleet({ expect: "80:20", replicas: Array(k).fill(HEALTHY) }, runs, 1);
    const service = await simulateScenario({ expect: "80:20", split: HEALTHY }, runs, 1);
    const mix = (0.8 * (k - 1) + 1) / k;
    const staleFleet = await simulateFleet(
      { expect: "80:20", replicas: [...Array(k - 1).fill(HEALTHY), STALE] },
      runs,
      100_000,
    );
    // Through a Service that spreads connections evenly, the stale replica is a share of the mix.
    const staleService = await simulateScenario(
      { expect: "80:20", split: { one: mix, two: 1 - mix } },
      runs,
      100_000,
    );
    const wrong = healthy.verdicts.FAIL ?? 0;
    figures.push({
      replicas: k,
      runs,
      healthy: {
        verdicts: healthy.verdicts,
        medianProbes: healthy.medianProbes,
        p90Probes: healthy.p90Probes,
      },
      throughService: {
        verdicts: service.verdicts,
        medianProbes: service.medianProbes,
        p90Probes: service.p90Probes,
      },
      costRatio: healthy.medianProbes / service.medianProbes,
      wrongFail: { rate: wrong / runs, interval: wilsonInterval(wrong, runs) },
      stale: {
        mixShareOfOne: mix,
        fleet: { verdicts: staleFleet.verdicts, medianProbes: staleFleet.medianProbes },
        throughService: { verdicts: staleService.verdicts, medianProbes: staleService.medianProbes },
      },
    });
    settings.onProgress?.(`k = ${k}`);
  }
  return figures;
}
