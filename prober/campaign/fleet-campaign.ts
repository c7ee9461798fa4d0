import {
  type Endpoint,
  type EndpointFollower,
  endpointChanges,
  endpointKey,
  endpointName,
} from "../endpoints/index.js";
import { ProberOptionError } from "../errors.js";
import type { ClusterSource, Expectation } from "../expectations/index.js";
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

interface Member {
  endpoint: Endpoint;
  /** The endpoint whose FAIL or ERROR stopped this one's check, if one did. */
  stoppedFor?: string;
  stop: AbortController;
  progress: CampaignProgress | undefined;
  goneAtMs: number | null;
  report?: CampaignReport;
}

/**
 * The fleet's budgets shared out: each endpoint an equal part of the rate, the concurrency and a probe
 * budget given; without one, each endpoint the budget of a check of its own (shared out, the default
 * left a tenth of ten endpoints' checks INCONCLUSIVE in seeded runs).
 */
function shareOut(options: FleetOptions, k: number) {
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
    concurrency: Math.max(1, Math.ceil(resolved.concurrency / k)),
    rate: resolved.rate === undefined ? undefined : resolved.rate / k,
    maxProbes,
  };
}

/** One followed cluster object, its changes handed to every endpoint's check (one reader, not k). */
function fanOutExpectation(options: FleetOptions, signal: AbortSignal) {
  if (options.followExpectation === undefined) return undefined;
  const listeners: ((expected: Expectation, source: ClusterSource) => void)[] = [];
  options.followExpectation((expected, source) => {
    for (const listener of listeners) listener(expected, source);
  }, signal);
  return (update: (expected: Expectation, source: ClusterSource) => void) => {
    listeners.push(update);
  };
}

/**
 * Checks each endpoint on its own, all at once, and judges the fleet: PASS only when every endpoint
 * PASSes, FAIL as soon as one FAILs (the others are then stopped). Each endpoint's FAIL and ERROR tests
 * run at (1 - confidence) / k (Bonferroni), its PASS tests at 1 - confidence (intersection-union: a
 * wrong PASS of the fleet needs the PASS of an endpoint outside its band), so that the fleet's verdict
 * keeps the confidence asked for. The rate, the concurrency and a probe budget given are shared out. Endpoints that leave or join during the run
 * (followEndpoints) are reported. Throws ProberOptionError for an option out of range.
 */
export async function runFleetCampaign(options: FleetOptions): Promise<FleetReport> {
  const k = options.endpoints.length;
  const began = performance.now();
  const share = shareOut(options, Math.max(1, k));
  const following = new AbortController();
  const expectation = fanOutExpectation(options, following.signal);
  const members: Member[] = options.endpoints.map((endpoint) => ({
    endpoint,
    stop: new AbortController(),
    progress: undefined,
    goneAtMs: null,
  }));
  const appeared: FleetReport["appeared"] = [];
  const progress = () => {
    const all = members.map((m) => m.progress);
    const counts: Record<string, number> = {};
    for (const p of all)
      for (const [label, n] of Object.entries(p?.counts ?? {})) counts[label] = (counts[label] ?? 0) + n;
    options.onProgress?.({
      probes: all.reduce((sum, p) => sum + (p?.probes ?? 0), 0),
      maxProbes: share.maxProbes * Math.max(1, k),
      counts,
      failedProbes: all.reduce((sum, p) => sum + (p?.failedProbes ?? 0), 0),
    });
  };
  options.followEndpoints?.((endpoints) => {
    const { appeared: joined, gone } = endpointChanges(options.endpoints, endpoints);
    const atMs = performance.now() - began;
    for (const endpoint of joined) {
      if (!appeared.some((a) => a.target === endpointKey(endpoint))) {
        appeared.push({ target: endpointKey(endpoint), pod: endpoint.pod ?? null, atMs });
      }
    }
    for (const member of members) {
      if (member.goneAtMs === null && gone.some((g) => endpointKey(g) === endpointKey(member.endpoint))) {
        member.goneAtMs = atMs;
        member.stop.abort();
      }
    }
  }, following.signal);
  const stopAll = (decidedBy?: Member) => {
    for (const member of members) {
      if (decidedBy !== undefined && member !== decidedBy && !member.stop.signal.aborted) {
        member.stoppedFor = endpointName(decidedBy.endpoint);
      }
      member.stop.abort();
    }
  };
  const interrupt = () => stopAll();
  options.signal?.addEventListener("abort", interrupt, { once: true });
  if (options.signal?.aborted) interrupt();
  await Promise.all(
    members.map(async (member) => {
      const { endpoint } = member;
      const { endpoints, followEndpoints, probe, onProgress, ...campaign } = options;
      member.report = await runProbeCampaign({
        ...campaign,
        ...share,
        host: endpoint.host,
        port: endpoint.port,
        signal: member.stop.signal,
        followExpectation: expectation && ((update) => expectation(update)),
        probe: probe && ((id, signal) => probe(endpoint, id, signal)),
        onProgress: (p) => {
          member.progress = p;
          progress();
        },
      });
      // One endpoint shown wrong decides the fleet: the others need not go on.
      const { verdict, stoppedBy } = member.report;
      if ((verdict === "FAIL" || verdict === "ERROR") && stoppedBy === "settled") stopAll(member);
    }),
  );
  following.abort();
  options.signal?.removeEventListener("abort", interrupt);
  return fleetReport(options, members, appeared, performance.now() - began);
}

/**
 * The verdict and reason of a check the fleet cut short: stopped once another endpoint settled, or
 * left the fleet. Under --wait a FAIL is no verdict until the wait ends (the old weights may still be
 * on their way), so one that left before is INCONCLUSIVE, its last evidence told.
 */
function cutShort(member: Member, followChanges: boolean): Partial<CampaignReport> {
  const report = member.report as CampaignReport;
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

function fleetReport(
  options: FleetOptions,
  members: Member[],
  appeared: FleetReport["appeared"],
  durationMs: number,
): FleetReport {
  const endpoints = members.map(
    (member): EndpointReport => ({
      ...(member.report as CampaignReport),
      ...cutShort(member, options.followChanges ?? false),
      endpoint: { host: member.endpoint.host, port: member.endpoint.port, pod: member.endpoint.pod ?? null },
      name: endpointName(member.endpoint),
      goneAtMs: member.goneAtMs,
    }),
  );
  const judgement = judgeFleet(
    endpoints.map((e) => ({
      name: e.name,
      verdict: e.verdict,
      reason: e.reason,
      present: e.goneAtMs === null,
    })),
    appeared.map((a) => (a.pod ? `${a.target} (${a.pod})` : a.target)),
  );
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
