import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTargetRule, TargetPolicy } from "../prober/serve/index.js";
import { runProber } from "./support/prober-process.js";
import {
  type CountingTarget,
  countingTarget,
  logLines,
  post,
  type ServeProcess,
  startServe,
} from "./support/prober-serve.js";

describe("an allowed-target rule", () => {
  it.each([
    ["gateway.istio-system:31400", 31400, 31400],
    ["gateway.istio-system:*", 1, 65535],
    ["10.96.0.0/12:9000-9001", 9000, 9001],
    ["[fd00::/8]:31400", 31400, 31400],
    ["127.0.0.1:8080", 8080, 8080],
  ])("reads %s", (text, from, to) => {
    expect(parseTargetRule(text).ports).toEqual({ from, to });
  });

  it.each([
    ["gateway", "expected HOST:PORT"],
    ["gateway:0", "the port must be 1-65535"],
    ["gateway:9001-9000", "the port must be 1-65535"],
    ["10.0.0.0/33:80", "is not a prefix length"],
    ["not a host:80", "expected HOST:PORT"],
    ["gate_way:80", "neither a DNS name nor an IP address"],
  ])("refuses %s, saying why", (text, why) => {
    expect(() => parseTargetRule(text)).toThrow(why);
  });
});

describe("the target policy", () => {
  // A resolver with fixed answers: what a cluster's DNS would say for these names.
  const dns: Record<string, string[]> = {
    "gateway.istio-system": ["10.96.0.20"],
    "evil.example": ["10.96.0.1"],
    "mixed.example": ["10.96.0.20", "10.96.0.1"],
  };
  const policy = new TargetPolicy(
    ["gateway.istio-system:31400", "10.244.0.0/16:9000"].map(parseTargetRule),
    async (name) => dns[name] ?? [],
  );

  it("allows a name rule's name as written, and probes it by name", async () => {
    expect(await policy.authorize("Gateway.Istio-System.", 31400)).toEqual({
      host: "Gateway.Istio-System.",
      port: 31400,
    });
  });

  it("allows an address a name rule's name resolves to", async () => {
    expect(await policy.authorize("10.96.0.20", 31400)).toEqual({ host: "10.96.0.20", port: 31400 });
  });

  it("allows an address inside a network rule, on its port only", async () => {
    expect(await policy.authorize("10.244.3.7", 9000)).toEqual({ host: "10.244.3.7", port: 9000 });
    await expect(policy.authorize("10.244.3.7", 9001)).rejects.toThrow(
      "target 10.244.3.7:9001 is not allowed here",
    );
  });

  it("refuses another name that resolves to an address no rule allows (the API server's)", async () => {
    await expect(policy.authorize("evil.example", 31400)).rejects.toThrow(
      "evil.example resolves to 10.96.0.1",
    );
  });

  it("refuses a name when any of its addresses is not allowed", async () => {
    await expect(policy.authorize("mixed.example", 31400)).rejects.toThrow("resolves to 10.96.0.1");
  });

  it("refuses a name that does not resolve", async () => {
    await expect(policy.authorize("nowhere.example", 31400)).rejects.toThrow(
      "nowhere.example does not resolve",
    );
  });

  it("refuses the allowed name on another port", async () => {
    await expect(policy.authorize("gateway.istio-system", 22)).rejects.toThrow("is not allowed here");
  });
});

describe("prober serve with allowed targets", () => {
  let allowed: CountingTarget;
  let forbidden: CountingTarget;
  let serve: ServeProcess;
  beforeAll(async () => {
    [allowed, forbidden] = await Promise.all([countingTarget(), countingTarget()]);
    // The forbidden target's port is allowed on another address only: a name must not smuggle 127.0.0.1 in.
    serve = await startServe([
      "--allow-target",
      `127.0.0.1:${allowed.port}`,
      "--allow-target",
      `127.0.0.2:${forbidden.port}`,
    ]);
  });
  afterAll(async () => {
    await serve?.stop();
    await Promise.all([allowed?.close(), forbidden?.close()]);
  });

  it("answers 403 for a target no rule allows, and opens no connection to it", async () => {
    const response = await post(
      `${serve.url}/verify`,
      JSON.stringify({ target: `127.0.0.1:${forbidden.port}`, expect: "100:0" }),
    );
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toContain(
      `target 127.0.0.1:${forbidden.port} is not allowed here`,
    );
    expect(forbidden.accepted).toHaveLength(0);
  });

  it("answers 403 for a name that resolves to a forbidden address (localhost for 127.0.0.1)", async () => {
    const response = await post(
      `${serve.url}/verify`,
      JSON.stringify({ target: `localhost:${forbidden.port}`, expect: "100:0" }),
    );
    expect(response.status).toBe(403);
    expect(forbidden.accepted).toHaveLength(0);
  });

  it("runs the check against an allowed target", async () => {
    const response = await post(
      `${serve.url}/verify`,
      JSON.stringify({ target: `127.0.0.1:${allowed.port}`, expect: "100:0" }),
    );
    expect(response.status).toBe(200);
    expect(((await response.json()) as { verdict: string }).verdict).toBe("PASS");
    expect(allowed.accepted.length).toBeGreaterThan(0);
  });

  it("logs each refusal with its status and reason", async () => {
    await serve.proc.waitForLine(
      (line) => line.includes('"reason":"forbidden_target"'),
      "a refusal's log line",
    );
    expect(logLines(serve).find((line) => line.reason === "forbidden_target")).toMatchObject({
      path: "/verify",
      status: 403,
      error: expect.stringContaining("is not allowed here"),
    });
  });

  it("logs each check with its verdict and duration", async () => {
    await serve.proc.waitForLine((line) => line.includes('"verdict":"PASS"'), "a check's log line");
    expect(logLines(serve).find((line) => line.verdict === "PASS")).toMatchObject({
      path: "/verify",
      status: 200,
      durationMs: expect.any(Number),
    });
  });

  it("counts refusals by reason in /metrics", async () => {
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/prober_requests_refused_total\{status="403",reason="forbidden_target"\} 2\n/);
  });
});

describe("prober serve listening beyond loopback", () => {
  it("refuses to start without --allow-target, in one line with exit code 64", async () => {
    const run = await runProber(["serve", "--listen", "0.0.0.0:0"]);
    expect(run.code).toBe(64);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^prober serve: listening on 0\.0\.0\.0 needs --allow-target HOST:PORT/);
  });

  it("starts with --allow-any-target, where every caller is trusted", async () => {
    const serve = await startServe(["--listen", "0.0.0.0:0", "--allow-any-target"]);
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    expect(await serve.stop()).toBe(0);
  });

  it("refuses a rule it cannot read at start, naming it", async () => {
    const run = await runProber(["serve", "--allow-target", "gateway"]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/^prober serve: allowed target "gateway": expected HOST:PORT/);
  });
});
