import type { Verdict } from "./split-verdict.js";

/** One endpoint's standing in a check of several: its own verdict, and whether it still serves. */
export interface EndpointStanding {
  /** How the endpoint is named in reasons: `10.0.0.7:31400 (traefik-6d9c-x2k)`. */
  name: string;
  verdict: Verdict;
  reason: string;
  /** False once the endpoint left the fleet during the run (its pod was deleted, say). */
  present: boolean;
}

export interface FleetJudgement {
  verdict: Verdict;
  reason: string;
  /** The endpoints the verdict names: those that FAILed, ERRORed or are still open. */
  named: string[];
}

/**
 * The error budget of each endpoint's own check, so that the fleet's verdict keeps the confidence asked
 * for over all k endpoints at once (Bonferroni: a wrong FAIL or ERROR needs one of k wrong verdicts).
 */
export function endpointConfidence(confidence: number, endpoints: number): number {
  return 1 - (1 - confidence) / Math.max(1, endpoints);
}

const listNames = (names: string[]) =>
  names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;

/**
 * The verdict over a fleet from its endpoints' verdicts, pure. FAIL as soon as one endpoint FAILs (it
 * names each), else ERROR if one ERRORed; an endpoint that appeared during the run was never verified,
 * so the fleet is then INCONCLUSIVE; PASS only when every endpoint still present PASSed (one that left
 * the fleet before it settled no longer carries traffic); INCONCLUSIVE otherwise, naming those open.
 */
export function judgeFleet(endpoints: EndpointStanding[], appeared: string[] = []): FleetJudgement {
  const total = endpoints.length;
  const failed = endpoints.filter((e) => e.verdict === "FAIL");
  if (failed.length > 0) {
    const [first] = failed as [EndpointStanding];
    const more = failed.length > 1 ? `; also FAIL: ${listNames(failed.slice(1).map((e) => e.name))}` : "";
    return {
      verdict: "FAIL",
      reason: `${failed.length} of ${total} endpoints FAIL: ${first.name}: ${first.reason}${more}`,
      named: failed.map((e) => e.name),
    };
  }
  const erred = endpoints.filter((e) => e.verdict === "ERROR");
  if (erred.length > 0) {
    const [first] = erred as [EndpointStanding];
    return {
      verdict: "ERROR",
      reason: `${erred.length} of ${total} endpoints ERROR: ${first.name}: ${first.reason}`,
      named: erred.map((e) => e.name),
    };
  }
  if (total === 0) return { verdict: "ERROR", reason: "no endpoints to probe", named: [] };
  if (appeared.length > 0) {
    return {
      verdict: "INCONCLUSIVE",
      reason: `${appeared.length} endpoint${appeared.length > 1 ? "s" : ""} appeared during the run and ${appeared.length > 1 ? "were" : "was"} not verified: ${listNames(appeared)}; probe again`,
      named: appeared,
    };
  }
  const present = endpoints.filter((e) => e.present);
  const open = present.filter((e) => e.verdict !== "PASS");
  const gone = endpoints.filter((e) => !e.present).map((e) => e.name);
  const goneNote = gone.length > 0 ? ` (${listNames(gone)} left the fleet during the run)` : "";
  if (present.length > 0 && open.length === 0) {
    return {
      verdict: "PASS",
      reason: `every endpoint PASSes: ${present.length} of ${present.length}${goneNote}`,
      named: [],
    };
  }
  if (present.length === 0) {
    return {
      verdict: "INCONCLUSIVE",
      reason: `every endpoint left the fleet during the run${goneNote}`,
      named: [],
    };
  }
  const [first] = open as [EndpointStanding];
  return {
    verdict: "INCONCLUSIVE",
    reason: `${open.length} of ${present.length} endpoints not settled: ${first.name}: ${first.reason}${goneNote}`,
    named: open.map((e) => e.name),
  };
}
