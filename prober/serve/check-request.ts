import { UsageError } from "../../common/cli-failure.js";
import { type CampaignOptions, resolveCampaignOptions } from "../campaign/index.js";
import { ExpectationError, ProberOptionError } from "../errors.js";
import {
  type Expectation,
  expectationFromManifest,
  parseExpectation,
  parseLabelMap,
} from "../expectations/index.js";
import { resolveTarget } from "../probing/index.js";

/** What the operator allows a check at most: requests cannot raise these. */
export interface CheckLimits {
  /** Longest time a check may take, in ms: a request asking for a longer wait or duration is refused. */
  maxCheckMs: number;
  /** Probes started per second by one check (also its rate when the request names none). */
  maxRate: number;
  /** Probes in flight at once in one check. */
  maxConcurrency: number;
  /** Probes one check may start (also its budget when the request names none). */
  maxProbes: number;
}

/** A request the server refuses, with its HTTP status. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    /** For the refusals metric: forbidden_target, cap, too_many, bad_body, unauthorized, ... */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** The body's options, by their CLI names in camelCase; numbers may come as strings (Flagger's metadata). */
interface CheckRequest {
  target?: unknown;
  expect?: unknown;
  expectFrom?: unknown;
  labels?: unknown;
  map?: unknown;
  wait?: unknown;
  duration?: unknown;
  confidence?: unknown;
  tolerance?: unknown;
  maxErrorRate?: unknown;
  maxProbes?: unknown;
  minProbes?: unknown;
  concurrency?: unknown;
  rate?: unknown;
  timeout?: unknown;
  connectTimeout?: unknown;
  targets?: unknown;
  eachEndpoint?: unknown;
}

const KNOWN = new Set([
  "target",
  "expect",
  "expectFrom",
  "labels",
  "map",
  "wait",
  "duration",
  "confidence",
  "tolerance",
  "maxErrorRate",
  "maxProbes",
  "minProbes",
  "concurrency",
  "rate",
  "timeout",
  "connectTimeout",
  // A fleet's (fleet-request.ts).
  "targets",
  "eachAddress",
  "eachEndpoint",
  "namespace",
]);

function text(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new RequestError(400, "bad_body", `${name} must be a string`);
  return value;
}

function number(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof parsed !== "number" || !Number.isFinite(parsed))
    throw new RequestError(400, "bad_body", `${name} must be a number`);
  return parsed;
}

function expectationOf(request: CheckRequest): Expectation {
  const expect = text("expect", request.expect);
  const manifest = text("expectFrom", request.expectFrom);
  if ((expect === undefined) === (manifest === undefined)) {
    throw new RequestError(
      400,
      "bad_body",
      "give either expect (80:20) or expectFrom (a VirtualService or TCPRoute as YAML)",
    );
  }
  const map = text("map", request.map);
  if (manifest !== undefined)
    return expectationFromManifest(
      manifest,
      "expectFrom",
      map === undefined ? undefined : parseLabelMap(map),
    );
  return parseExpectation(
    expect as string,
    text("labels", request.labels)
      ?.split(",")
      .map((l) => l.trim()),
  );
}

/** A number the request may set up to the server's cap, and the cap when it sets none. */
function capped(name: string, value: unknown, cap: number, flag: string): number {
  const asked = number(name, value);
  if (asked !== undefined && asked > cap) {
    throw new RequestError(400, "cap", `${name} ${asked} is above this server's ${flag} ${cap}`);
  }
  return asked ?? cap;
}

/**
 * A check request as campaign options within the server's limits, each checked; throws RequestError
 * (400) with the reason. The target is as requested: whether it may be probed is the TargetPolicy's call.
 */
export function checkOptions(request: unknown, limits: CheckLimits): CampaignOptions {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    throw new RequestError(400, "bad_body", "the body must be a JSON object of prober options");
  }
  const body = request as CheckRequest;
  const unknown = Object.keys(body).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) throw new RequestError(400, "bad_body", `unknown option ${unknown.join(", ")}`);
  const targetText = text("target", body.target);
  const fleet = body.targets !== undefined || body.eachEndpoint !== undefined;
  if (targetText === undefined && !fleet) {
    throw new RequestError(400, "bad_body", "missing target (host:port), targets or eachEndpoint");
  }
  try {
    // A fleet's endpoints are read after the checks; until then a placeholder that passes them.
    const { host, port } =
      targetText === undefined ? { host: "fleet", port: 1 } : resolveTarget(targetText, {});
    const wait = number("wait", body.wait);
    const duration = number("duration", body.duration);
    if (wait !== undefined && duration !== undefined)
      throw new RequestError(400, "bad_body", "give either wait or duration");
    const seconds = wait ?? duration ?? limits.maxCheckMs / 1000;
    if (seconds * 1000 > limits.maxCheckMs) {
      throw new RequestError(
        400,
        "cap",
        `${wait !== undefined ? "wait" : "duration"} ${seconds} s is above this server's --max-check-seconds ${limits.maxCheckMs / 1000}`,
      );
    }
    const secondsToMs = (name: string) => {
      const value = number(name, body[name as keyof CheckRequest]);
      return value === undefined ? undefined : value * 1000;
    };
    const options: CampaignOptions = {
      host,
      port,
      expected: expectationOf(body),
      durationMs: seconds * 1000,
      followChanges: wait !== undefined,
      confidence: number("confidence", body.confidence),
      tolerance: number("tolerance", body.tolerance),
      maxErrorRate: number("maxErrorRate", body.maxErrorRate),
      maxProbes: capped("maxProbes", body.maxProbes, limits.maxProbes, "--max-probes"),
      minProbes: number("minProbes", body.minProbes),
      concurrency: capped("concurrency", body.concurrency, limits.maxConcurrency, "--max-concurrency"),
      rate: capped("rate", body.rate, limits.maxRate, "--max-rate"),
      timeoutMs: secondsToMs("timeout"),
      connectTimeoutMs: secondsToMs("connectTimeout"),
    };
    resolveCampaignOptions(options);
    return options;
  } catch (error) {
    if (error instanceof ProberOptionError || error instanceof ExpectationError)
      throw new RequestError(400, "bad_body", error.message);
    if (error instanceof RequestError) throw error;
    // resolveTarget and parsePort speak the CLI's UsageError: here it is a bad request all the same.
    if (error instanceof UsageError) throw new RequestError(400, "bad_body", error.message);
    // Anything else is no fault of the request: the server answers it 500 and logs it (refusalOf).
    throw error;
  }
}
