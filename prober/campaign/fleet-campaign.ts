import {
  type Endpoint,
  type EndpointFollower,
  endpointName,
  type FleetMember,
  fanOut,
  namedTarget,
  runFleet,
  shareOut,
} from "../endpoints/index.js";
import { ProberOptionError } from "../errors.js";
import type { ClusterSource } from "../expectations/index.js";
import type { ProbeOutcome } from "../probe-outcome.js";
import { endpointConfidence, judgeFleet, type Verdict } from "../statistics/index.js";
import {
  CAMPAIGN_DEFAULTS,
  type CampaignOptions,
  type CampaignProgress,
  resolveCampaignOptions,
} from "./campaign-options.js";
import { type CampaignReport, runProbeCampaign } from "./probe-campaign.js";

/** A check of every endpoint of a fleet: the campaign's options, with the endpoints instead of one target. */
export interface FleetOptions extends Omit<CampaignOptions, "host" | "port" | "probe" | "onProgress"> {
  endpoints: Endpoint[];
  /** Called once at the start; hands on the fleet's endpoints whenever they are read again. */
  followEndpoints?: EndpointFollower | undefined;
  /** Replaces the TCP probe of one endpoint, e.g. with a seeded simulation. */
  probe?: ((endpoint: Endpoint, id: string, signal: AbortSignal) => Promise<ProbeOutcome>) | undefined;
  /** Called after every probe counted, with the totals over all endpoints. */
  onProgress?: ((progress: CampaignProgress) => void) | undefined;
}

/** One endpoint's check within the fleet's. */
export interface EndpointReport extends CampaignReport {
  endpoint: { host: string; port: number; pod: string | null };
  /** `10.0.0.7:31400 (traefik-6d9c-x2k)`: how reasons name it. */
  name: string;
  /** When the endpoint left the fleet during the run, in ms since the start; null if it stayed. */
  goneAtMs: number | null;
}

/** Everything the CLI prints of a fleet's check, as data; documented in docs/prober.md. */
export interface FleetReport {
  verdict: Verdict;
  reason: string;
  /** `FAIL: 1 of 5 endpoints FAIL: …`: the verdict and its reason in one string, for a controller that records one value (Argo's jsonPath). */
  summary: string;
  /** The confidence over all endpoints at once, as asked for. */
  confidence: number;
  /** The confidence of each endpoint's FAIL and ERROR: 1 - (1 - confidence) / endpoints (its PASS: `confidence`). */
  endpointConfidence: number;
  tolerance: number;
  expected: Record<string, number>;
  probes: number;
  durationMs: number;
  probesPerSecond: number;
  endpoints: EndpointReport[];
  /** Endpoints that joined the fleet during the run: reported, never verified. */
  appeared: { target: string; pod: string | null; atMs: number }[];
  /** The endpoints the verdict names (FAILed, ERRORed, or open). */
  named: string[];
  expectedFrom: ClusterSource | null;
}

/**
 * The fleet's budgets shared out: each endpoint an equal part of the rate, the concurrency and a probe
 * budget given; without one, each endpoint the budget of a check of its own (shared out, the default
 * left 282 of 500 seeded ten-replica fleets INCONCLUSIVE).
 */
function budgetsOf(options: FleetOptions, k: number) {
  const { endpoints, followEndpoints, probe, onProgress, ...campaign } = options;
  const resolved = resolveCampaignOptions({ ...campaign, host: "fleet", port: 1 });
  const given = options.maxProbes !== undefined;
  const maxProbes = given ? Math.floor(resolved.maxProbes / k) : resolved.maxProbes;
  if (maxProbes < 1 || maxProbes < resolved.minProbes) {
    throw new ProberOptionError(
      "maxProbes",
      `must leave each of the ${k} endpoints at least ${Math.max(1, resolved.minProbes)} probes (the budget is shared out)`,
    );
  }
  return {
    family: k,
    ...shareOut(k, resolved.rate, resolved.concurrency),
    maxProbes,
  };
}

/**
 * Checks each endpoint on its own, all at once, and judges the fleet: PASS only when every endpoint
 * PASSes, FAIL as soon as one FAILs (the others are then stopped). Each endpoint's FAIL and ERROR tests
 * run at (1 - confidence) / k (Bonferroni), its PASS tests at 1 - confidence (intersection-union: a
 * wrong PASS of the fleet needs the PASS of an endpoint outside its band), so that the fleet's verdict
 * keeps the confidence asked for. The rate, the concurrency and a probe budget given are shared out.
 * Endpoints that leave or join during the run (followEndpoints) are reported. Throws ProberOptionError
 * for an option out of range.
 */
export async function runFleetCampaign(options: FleetOptions): Promise<FleetReport> {
  const { endpoints, followEndpoints, probe, onProgress, ...campaign } = options;
  const k = Math.max(1, endpoints.length);
  const share = budgetsOf(options, k);
  const following = new AbortController();
  const expectation = fanOut(options.followExpectation, following.signal);
  const progress: (CampaignProgress | undefined)[] = endpoints.map(() => undefined);
  const reportProgress = () => {
    const counts: Record<string, number> = {};
    for (const p of progress)
      for (const [label, n] of Object.entries(p?.counts ?? {})) counts[label] = (counts[label] ?? 0) + n;
    onProgress?.({
      probes: progress.reduce((sum, p) => sum + (p?.probes ?? 0), 0),
      maxProbes: share.maxProbes * k,
      counts,
      failedProbes: progress.reduce((sum, p) => sum + (p?.failedProbes ?? 0), 0),
    });
  };
  const fleet = await runFleet({
    endpoints,
    followEndpoints,
    signal: options.signal,
    run: (endpoint, stop, i) =>
      runProbeCampaign({
        ...campaign,
        ...share,
        host: endpoint.host,
        port: endpoint.port,
        signal: stop,
        followExpectation: expectation && ((update) => expectation(update)),
        probe: probe && ((id, signal) => probe(endpoint, id, signal)),
        onProgress: (p) => {
          progress[i] = p;
          reportProgress();
        },
      }),
    // One endpoint shown wrong decides the fleet: the others need not go on.
    decides: ({ verdict, stoppedBy }) =>
      (verdict === "FAIL" || verdict === "ERROR") && stoppedBy === "settled",
  });
  following.abort();
  return fleetReport(options, fleet.members, fleet.appeared, fleet.durationMs);
}

/**
 * The verdict and reason of a check the fleet cut short: stopped once another endpoint settled, or
 * left the fleet. Under --wait a FAIL is no verdict until the wait ends (the old weights may still be
 * on their way), so one that left before is INCONCLUSIVE, its last evidence told.
 */
function cutShort(member: FleetMember<CampaignReport>, followChanges: boolean): Partial<CampaignReport> {
  const report = member.result;
  if (report.stoppedBy === "settled") return {};
  const evidence = report.reason.replace(/^(interrupted|still outside the band when the wait ended): /, "");
  if (member.goneAtMs !== null) {
    const left = `left the fleet ${(member.goneAtMs / 1000).toFixed(1)} s after the start`;
    return followChanges && report.verdict !== "PASS"
      ? { verdict: "INCONCLUSIVE", reason: `${left}, before its wait ended; last seen: ${evidence}` }
      : { reason: `${left}: ${evidence}` };
  }
  if (member.stoppedFor !== undefined)
    return { reason: `stopped once ${member.stoppedFor} settled: ${evidence}` };
  return {};
}

/** The fleet's verdict over its members' own (a check's or a watch's), and the endpoints that joined. */
export function judgeMembers(
  members: { name: string; verdict: Verdict; reason: string; goneAtMs: number | null }[],
  appeared: FleetReport["appeared"],
) {
  return judgeFleet(
    members.map((m) => ({
      name: m.name,
      verdict: m.verdict,
      reason: m.reason,
      present: m.goneAtMs === null,
    })),
    appeared.map((a) => namedTarget(a.target, a.pod)),
  );
}

function fleetReport(
  options: FleetOptions,
  members: FleetMember<CampaignReport>[],
  appeared: FleetReport["appeared"],
  durationMs: number,
): FleetReport {
  const endpoints = members.map(
    (member): EndpointReport => ({
      ...member.result,
      ...cutShort(member, options.followChanges ?? false),
      endpoint: { host: member.endpoint.host, port: member.endpoint.port, pod: member.endpoint.pod ?? null },
      name: endpointName(member.endpoint),
      goneAtMs: member.goneAtMs,
    }),
  );
  const judgement = judgeMembers(endpoints, appeared);
  const probes = endpoints.reduce((sum, e) => sum + e.probes, 0);
  const confidence = options.confidence ?? CAMPAIGN_DEFAULTS.confidence;
  return {
    verdict: judgement.verdict,
    reason: judgement.reason,
    summary: `${judgement.verdict}: ${judgement.reason}`,
    confidence,
    endpointConfidence: endpointConfidence(confidence, members.length),
    tolerance: options.tolerance ?? CAMPAIGN_DEFAULTS.tolerance,
    expected:
      endpoints[0]?.expected ??
      Object.fromEntries(options.expected.labels.map((l, i) => [l, options.expected.shares[i] ?? 0])),
    probes,
    durationMs,
    probesPerSecond: durationMs > 0 ? (probes * 1000) / durationMs : 0,
    endpoints,
    appeared,
    named: judgement.named,
    expectedFrom: endpoints[0]?.expectedFrom ?? options.expectedFrom ?? null,
  };
}
