import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Counter, Histogram, Registry } from "prom-client";
import { type CampaignOptions, resolveCampaignOptions, runProbeCampaign } from "../campaign/index.js";
import { ExpectationError, ProberOptionError } from "../errors.js";
import {
  type Expectation,
  expectationFromManifest,
  parseExpectation,
  parseLabelMap,
} from "../expectations/index.js";
import { resolveTarget } from "../probing/index.js";

/** What `prober serve` is configured with. */
export interface VerificationServerOptions {
  /** Bearer token every check must carry; undefined accepts any caller (the CLI then binds loopback only). */
  token?: string | undefined;
  /** Checks running at once; one more is answered 429. */
  maxConcurrentChecks: number;
  /** Longest time a check may take, in ms: a request asking for a longer wait or duration is refused. */
  maxCheckMs: number;
}

/** A request the server refuses, with its HTTP status. */
class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const BODY_LIMIT = 64 * 1024;

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
  concurrency?: unknown;
  rate?: unknown;
  timeout?: unknown;
  connectTimeout?: unknown;
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
  "concurrency",
  "rate",
  "timeout",
  "connectTimeout",
]);

function text(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new RequestError(400, `${name} must be a string`);
  return value;
}

function number(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof parsed !== "number" || !Number.isFinite(parsed))
    throw new RequestError(400, `${name} must be a number`);
  return parsed;
}

function expectationOf(request: CheckRequest): Expectation {
  const expect = text("expect", request.expect);
  const manifest = text("expectFrom", request.expectFrom);
  if ((expect === undefined) === (manifest === undefined)) {
    throw new RequestError(
      400,
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

/** A check request as campaign options, each checked; throws RequestError (400) with the reason. */
export function checkOptions(request: unknown, maxCheckMs: number): CampaignOptions {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    throw new RequestError(400, "the body must be a JSON object of prober options");
  }
  const body = request as CheckRequest;
  const unknown = Object.keys(body).filter((key) => !KNOWN.has(key));
  if (unknown.length > 0) throw new RequestError(400, `unknown option ${unknown.join(", ")}`);
  const targetText = text("target", body.target);
  if (targetText === undefined) throw new RequestError(400, "missing target (host:port)");
  try {
    const { host, port } = resolveTarget(targetText, {});
    const wait = number("wait", body.wait);
    const duration = number("duration", body.duration);
    if (wait !== undefined && duration !== undefined)
      throw new RequestError(400, "give either wait or duration");
    const seconds = wait ?? duration ?? maxCheckMs / 1000;
    if (seconds * 1000 > maxCheckMs) {
      throw new RequestError(
        400,
        `${wait !== undefined ? "wait" : "duration"} ${seconds} s is above this server's --max-check-seconds ${maxCheckMs / 1000}`,
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
      maxProbes: number("maxProbes", body.maxProbes),
      concurrency: number("concurrency", body.concurrency),
      rate: number("rate", body.rate),
      timeoutMs: secondsToMs("timeout"),
      connectTimeoutMs: secondsToMs("connectTimeout"),
    };
    resolveCampaignOptions(options);
    return options;
  } catch (error) {
    if (error instanceof ProberOptionError || error instanceof ExpectationError)
      throw new RequestError(400, error.message);
    if (error instanceof RequestError) throw error;
    // resolveTarget and parsePort speak the CLI's UsageError: here it is a bad request all the same.
    throw new RequestError(400, error instanceof Error ? error.message : String(error));
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new RequestError(413, `the body is larger than ${BODY_LIMIT} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  contentType = "application/json",
): void {
  const payload = typeof body === "string" ? body : `${JSON.stringify(body)}\n`;
  response.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(payload) });
  response.end(payload);
}

const tokenMatches = (expected: string, header: string | undefined) => {
  const given = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
};

/**
 * The verification step for canary controllers, over HTTP:
 * - `POST /verify`: a JSON body of prober options (CLI names in camelCase) → 200 and the report, for every
 *   verdict (Argo Rollouts' `web` provider counts any non-2xx as a measurement error and reads the
 *   verdict with a jsonPath such as `{$.verdict}`);
 * - `POST /flagger`: Flagger's webhook payload, the options as strings in `metadata` → 200 on PASS, 412
 *   on any other verdict (Flagger fails the check on any status above 202), the report in the body;
 * - `GET /healthz`, `GET /metrics` (checks by verdict, probes, check durations).
 * A body that is not JSON, or bad options: 400 with the reason; more checks at once than allowed: 429;
 * a missing or wrong bearer token when one is configured: 401.
 */
export function createVerificationServer(options: VerificationServerOptions): Server {
  const registry = new Registry();
  const checks = new Counter({
    name: "prober_checks_total",
    help: "Checks by verdict",
    labelNames: ["endpoint", "verdict"],
    registers: [registry],
  });
  const probes = new Counter({
    name: "prober_probes_total",
    help: "Probes counted by checks",
    registers: [registry],
  });
  const durations = new Histogram({
    name: "prober_check_duration_seconds",
    help: "How long checks took",
    buckets: [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [registry],
  });
  const refused = new Counter({
    name: "prober_requests_refused_total",
    help: "Requests refused, by status",
    labelNames: ["status"],
    registers: [registry],
  });
  let running = 0;

  const check = async (
    endpoint: "verify" | "flagger",
    request: IncomingMessage,
    response: ServerResponse,
  ) => {
    if (options.token !== undefined && !tokenMatches(options.token, request.headers.authorization)) {
      throw new RequestError(401, "a bearer token is required (Authorization: Bearer …)");
    }
    if (running >= options.maxConcurrentChecks) {
      throw new RequestError(429, `${running} checks are running, the most this server runs at once`);
    }
    running += 1;
    try {
      const raw = await readBody(request);
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        throw new RequestError(400, "the body is not JSON");
      }
      if (endpoint === "flagger") {
        const payload = body as { metadata?: unknown } | null;
        if (typeof payload !== "object" || payload === null || typeof payload.metadata !== "object") {
          throw new RequestError(400, "a Flagger webhook payload holds the prober options in metadata");
        }
        body = payload.metadata;
      }
      const began = performance.now();
      const report = await runProbeCampaign(checkOptions(body, options.maxCheckMs));
      durations.observe((performance.now() - began) / 1000);
      checks.inc({ endpoint, verdict: report.verdict });
      probes.inc(report.probes);
      send(response, endpoint === "flagger" && report.verdict !== "PASS" ? 412 : 200, report);
    } finally {
      running -= 1;
    }
  };

  return createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const route =
      request.method === "POST" && path === "/verify"
        ? check("verify", request, response)
        : request.method === "POST" && path === "/flagger"
          ? check("flagger", request, response)
          : request.method === "GET" && path === "/healthz"
            ? Promise.resolve(send(response, 200, "ok\n", "text/plain"))
            : request.method === "GET" && path === "/metrics"
              ? registry.metrics().then((body) => send(response, 200, body, registry.contentType))
              : Promise.reject(
                  new RequestError(
                    404,
                    `no ${request.method} ${path}: POST /verify, POST /flagger, GET /healthz, GET /metrics`,
                  ),
                );
    route.catch((error: unknown) => {
      const status = error instanceof RequestError ? error.status : 500;
      refused.inc({ status: String(status) });
      if (!response.headersSent)
        send(response, status, { error: error instanceof Error ? error.message : String(error) });
    });
  });
}
