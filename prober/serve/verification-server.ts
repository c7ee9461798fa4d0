import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type Logger, pino } from "pino";
import { Counter, Histogram, Registry } from "prom-client";
import { type CampaignOptions, runFleetCampaign, runProbeCampaign } from "../campaign/index.js";
import type { Endpoint } from "../endpoints/index.js";
import { inertJson, terminalText } from "../untrusted-text.js";
import { type CheckLimits, checkOptions, RequestError } from "./check-request.js";
import { fleetRequest, resolveFleetRequest } from "./fleet-request.js";
import { ForbiddenTargetError, type TargetPolicy } from "./target-policy.js";

/** What `prober serve` is configured with. */
export interface VerificationServerOptions {
  /** Bearer token every check must carry; undefined accepts any caller (the CLI then binds loopback only). */
  token?: string | undefined;
  /** Checks running at once; one more is answered 429 with Retry-After. */
  maxConcurrentChecks: number;
  /** What one check may ask for at most. */
  limits: CheckLimits;
  /** Which targets checks may probe. */
  targets: TargetPolicy;
  /** Open connections at most (default 1000); past it the oldest connection not running a check is closed. */
  maxConnections?: number | undefined;
  /** How long a client may take to send a whole request, in ms (default 15 s; its headers get at most 10 s). */
  requestTimeoutMs?: number | undefined;
  /** One line per request (endpoint, status, verdict, duration, the reason of a refusal); default silent. */
  logger?: Logger | undefined;
}

/** The HTTP server, and the way to stop it gently. */
export interface VerificationServer {
  http: Server;
  /**
   * Stops taking checks: /healthz and new checks answer 503 at once, running checks may finish for up to
   * `timeoutMs`, then are aborted and answered 503; resolves once the listener is closed.
   */
  drain(timeoutMs: number): Promise<void>;
}

const BODY_LIMIT = 64 * 1024;
/** Slow clients: by default the headers within 10 s, the whole request within 15 s; an idle keep-alive closed after 5 s. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        // The rest is read and dropped, so the client can read the 413 (the request timeout ends a body
        // that never ends).
        request.removeAllListeners("data");
        request.resume();
        reject(new RequestError(413, "bad_body", `the body is larger than ${BODY_LIMIT} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
    request.on("close", () =>
      reject(new RequestError(400, "bad_body", "the client closed before the body ended")),
    );
  });
}

/** JSON, or no type at all (a caller that sets none); form posts and the like are refused. */
function checkContentType(request: IncomingMessage): void {
  const type = request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type === undefined || type === "" || type === "application/json" || type.endsWith("+json")) return;
  throw new RequestError(415, "bad_body", `content type ${type}: the body must be application/json`);
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  contentType = "application/json",
  headers: Record<string, string> = {},
): void {
  const payload = typeof body === "string" ? body : `${inertJson(body)}\n`;
  response.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
}

const unauthorized = () =>
  new RequestError(
    401,
    "unauthorized",
    "a bearer token is required (Authorization: Bearer …; for /flagger, or metadata.token)",
  );

const tokenMatches = (expected: string, header: string | undefined) => {
  const given = Buffer.from(header?.startsWith("Bearer ") ? header.slice(7) : "");
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
};

/**
 * At most `max` open connections: past it the oldest one not running a check (idle, or slow to send its
 * request) is closed, so that a flood of idle connections cannot lock callers and /healthz out.
 */
function capConnections(http: Server, max: number, working: Set<Socket>): void {
  const sockets = new Set<Socket>();
  http.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    if (sockets.size <= max) return;
    for (const candidate of sockets) {
      if (!working.has(candidate)) {
        candidate.destroy();
        return;
      }
    }
  });
}

const tooMany = (running: number) =>
  new RequestError(429, "too_many", `${running} checks are running, the most this server runs at once`);

/** One target's check, or each endpoint's of a fleet (its report has the same verdict, reason and probes). */
function runCheck(campaign: CampaignOptions, endpoints: Endpoint[] | undefined, signal: AbortSignal) {
  if (endpoints === undefined) return runProbeCampaign({ ...campaign, signal });
  const { host, port, probe, onProgress, ...shared } = campaign;
  return runFleetCampaign({ ...shared, endpoints, signal });
}

/** The status, metrics reason and message of a refused request; anything unforeseen is a 500. */
function refusalOf(error: unknown): { status: number; reason: string; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof RequestError
    ? { status: error.status, reason: error.reason, message }
    : { status: 500, reason: "internal", message };
}

/** What /metrics shows: checks by verdict, probes, check durations, refusals by status and reason. */
function serveMetrics() {
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
    help: "Requests refused, by status and reason",
    labelNames: ["status", "reason"],
    registers: [registry],
  });
  return { registry, checks, probes, durations, refused };
}

/**
 * The verification step for canary controllers, over HTTP:
 * - `POST /verify`: a JSON body of prober options (CLI names in camelCase) → 200 and the report, for every
 *   verdict (Argo Rollouts' `web` provider counts any non-2xx as a measurement error and reads the
 *   verdict with a jsonPath such as `{$.verdict}`);
 * - `POST /flagger`: Flagger's webhook payload, the options as strings in `metadata` → 200 on PASS, 412
 *   on any other verdict (Flagger fails the check on any status above 202), the report in the body;
 * - `GET /healthz`, `GET /metrics` (checks by verdict, probes, check durations, refusals by reason).
 * Refused: a missing or wrong bearer token (401; /flagger also takes it as `metadata.token`, since Flagger's
 * webhooks carry no headers), a body that is not JSON or bad options (400, 413,
 * 415), a request above the server's limits (400 naming the limit), a target the policy does not allow
 * (403), more checks at once than allowed (429), and anything while draining (503).
 */
export function createVerificationServer(options: VerificationServerOptions): VerificationServer {
  const logger = options.logger ?? pino({ enabled: false });
  const maxConnections = options.maxConnections ?? 1000;
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const { registry, checks, probes, durations, refused } = serveMetrics();
  /** Each running check's way to stop it: the caller went away, or the drain ran out of time. */
  const running = new Set<AbortController>();
  /** Connections running a check: never closed to make room. */
  const working = new Set<Socket>();
  let draining = false;

  const check = async (
    endpoint: "verify" | "flagger",
    request: IncomingMessage,
    response: ServerResponse,
  ) => {
    const authorized = (header: string | undefined) =>
      options.token === undefined || tokenMatches(options.token, header);
    // Flagger's webhooks send no headers: its callers may carry the token in the payload's metadata.
    if (endpoint === "verify" && !authorized(request.headers.authorization)) throw unauthorized();
    if (draining) throw new RequestError(503, "draining", "this server is shutting down");
    // Full already: answered before the body is read, so a burst costs the server little.
    if (running.size >= options.maxConcurrentChecks) throw tooMany(running.size);
    checkContentType(request);
    const raw = await readBody(request);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new RequestError(400, "bad_body", "the body is not JSON");
    }
    if (endpoint === "flagger") {
      const metadata = (body as { metadata?: unknown } | null)?.metadata;
      const { token, ...flaggerOptions } =
        typeof metadata === "object" && metadata !== null ? (metadata as Record<string, unknown>) : {};
      if (
        !authorized(request.headers.authorization) &&
        !(typeof token === "string" && authorized(`Bearer ${token}`))
      )
        throw unauthorized();
      if (typeof metadata !== "object" || metadata === null) {
        throw new RequestError(
          400,
          "bad_body",
          "a Flagger webhook payload holds the prober options in metadata",
        );
      }
      body = flaggerOptions;
    }
    const campaign = checkOptions(body, options.limits);
    const fleet = fleetRequest(body as Record<string, unknown>);
    if (fleet === undefined) {
      try {
        Object.assign(campaign, await options.targets.authorize(campaign.host, campaign.port));
      } catch (error) {
        if (error instanceof ForbiddenTargetError)
          throw new RequestError(403, "forbidden_target", error.message);
        throw error;
      }
    }
    const endpoints = fleet === undefined ? undefined : await resolveFleetRequest(fleet, options.targets);
    // Checked again once the request is whole and valid: a slow or bad request holds no slot.
    if (running.size >= options.maxConcurrentChecks) throw tooMany(running.size);
    const controller = new AbortController();
    // A caller that gives up (Argo's or Flagger's timeout) takes its check with it.
    response.once("close", () => controller.abort());
    running.add(controller);
    working.add(request.socket);
    const began = performance.now();
    try {
      const report = await runCheck(campaign, endpoints, controller.signal);
      durations.observe((performance.now() - began) / 1000);
      probes.inc(report.probes);
      if (draining && controller.signal.aborted) {
        throw new RequestError(503, "draining", "this server shut down before the check ended");
      }
      checks.inc({ endpoint, verdict: report.verdict });
      send(response, endpoint === "flagger" && report.verdict !== "PASS" ? 412 : 200, report);
      // The reason too: Argo records only the jsonPath's value, so an INCONCLUSIVE is explained only here.
      return {
        verdict: report.verdict,
        // A reason may quote replies' prefixes: inert in the log, as in the terminal.
        reason: terminalText(report.reason),
        target:
          endpoints === undefined ? `${campaign.host}:${campaign.port}` : `${endpoints.length} endpoints`,
        probes: report.probes,
      };
    } finally {
      running.delete(controller);
      working.delete(request.socket);
    }
  };

  const route = (
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<Record<string, unknown> | undefined> => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "POST" && path === "/verify") return check("verify", request, response);
    if (request.method === "POST" && path === "/flagger") return check("flagger", request, response);
    if (request.method === "GET" && path === "/healthz") {
      if (draining) return Promise.reject(new RequestError(503, "draining", "draining"));
      send(response, 200, "ok\n", "text/plain");
      return Promise.resolve(undefined);
    }
    if (request.method === "GET" && path === "/metrics")
      return registry.metrics().then((body) => {
        send(response, 200, body, registry.contentType);
        return undefined;
      });
    return Promise.reject(
      new RequestError(
        404,
        "not_found",
        `no ${request.method} ${path}: POST /verify, POST /flagger, GET /healthz, GET /metrics`,
      ),
    );
  };

  const http = createServer(
    {
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeout),
      requestTimeout,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: 1000,
    },
    (request, response) => {
      const began = performance.now();
      const path = (request.url ?? "/").split("?")[0];
      route(request, response)
        .then((outcome) => {
          if (path === "/healthz" || path === "/metrics") return;
          logger.info(
            {
              method: request.method,
              path,
              status: response.statusCode,
              ...outcome,
              durationMs: Math.round(performance.now() - began),
            },
            "check",
          );
        })
        .catch((error: unknown) => {
          const { status, reason, message } = refusalOf(error);
          refused.inc({ status: String(status), reason });
          const durationMs = Math.round(performance.now() - began);
          logger.warn(
            { method: request.method, path, status, reason, error: message, durationMs },
            "refused",
          );
          if (response.headersSent || response.destroyed) return;
          const retry =
            status === 429 ? { "retry-after": String(Math.ceil(options.limits.maxCheckMs / 1000)) } : {};
          // A refused body may be unread or still arriving: read and drop it, and close after the answer.
          request.resume();
          send(response, status, { error: message }, "application/json", { connection: "close", ...retry });
        });
    },
  );
  // A request may wait for its check this long without a byte on the wire.
  http.setTimeout(options.limits.maxCheckMs + requestTimeout);
  capConnections(http, maxConnections, working);

  const drain = async (timeoutMs: number) => {
    draining = true;
    const deadline = performance.now() + timeoutMs;
    while (running.size > 0 && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    for (const controller of running) controller.abort();
    while (running.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  };

  return { http, drain };
}
