import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { type L4Gateway, startGateway } from "./support/l4-gateway.js";
import { runProber, runProberJson } from "./support/prober-process.js";
import { versionBackends } from "./support/two-version-gateway.js";

/**
 * A gateway fleet as production runs one: five nginx replicas (each an exact weighted-random pick per
 * connection, as Envoy's tcp_proxy) behind HAProxy `roundrobin`, as a Service spreads connections over
 * an ingress gateway's pods. Four took the shift to 80:20, one is stale at 100:0: the mix through the
 * balancer is 84:16, inside 80:20's band, while one connection in five meets a gateway that routes
 * nothing to v2.
 */
describe("prober on every replica of a gateway fleet, one replica stale", () => {
  const REPLICAS = 5;
  let servers: EchoServerProcess[] = [];
  let replicas: L4Gateway[] = [];
  let balancer: L4Gateway | undefined;
  const targets = () => replicas.map((replica) => `127.0.0.1:${replica.port}`);
  const stale = () => targets()[REPLICAS - 1] as string;

  beforeAll(async () => {
    servers = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
    for (let i = 0; i < REPLICAS; i++) {
      const weights = i === REPLICAS - 1 ? [100, 0] : [80, 20];
      replicas.push(await startGateway("nginx", versionBackends(servers, weights)));
    }
    balancer = await startGateway(
      "haproxy",
      replicas.map((replica, i) => ({ name: `replica${i}`, port: replica.port, weight: 1 })),
    );
  });
  afterAll(async () => {
    await balancer?.stop();
    await Promise.all(replicas.map((replica) => replica.stop()));
    await Promise.all(servers.map((server) => server.stop()));
    replicas = [];
  });

  it("does not FAIL the 84:16 mix through the balancer: the stale replica hides in the average", async () => {
    const { code, report } = await runProberJson([
      "--expect",
      "80:20",
      "--max-probes",
      "3000",
      `127.0.0.1:${balancer?.port}`,
    ]);
    expect(report.verdict).not.toBe("FAIL");
    expect([0, 2]).toContain(code);
    expect(report.shares.one).toBeGreaterThan(0.8);
  });

  it("FAILs per endpoint with exit code 1, naming the stale replica and how it is wrong", async () => {
    const run = await runProber(["--expect", "80:20", ...targets()]);
    expect(run.code).toBe(1);
    const verdict = run.stdout.split("\n").at(-1);
    expect(verdict).toMatch(
      new RegExp(
        `^FAIL: 1 of 5 endpoints FAIL: ${stale()}: one 100\\.0% of \\d+ replies: shown above its band's edge 85\\.0%`,
      ),
    );
  });

  it("prints a row per endpoint with its shares, bounds, replies and verdict", async () => {
    const run = await runProber(["--expect", "80:20", ...targets()]);
    const rows = run.stdout.split("\n").filter((line) => line.startsWith("127.0.0.1:"));
    expect(rows).toHaveLength(REPLICAS);
    expect(rows.at(-1)).toMatch(
      new RegExp(`^${stale()}\\s+-\\s+100\\.0% \\[[\\d.]+%, 100\\.0%\\]\\s+0\\.0% .*FAIL$`),
    );
  });

  it("reports each endpoint in the JSON report, its FAIL at 1 - 0.01/5 confidence", async () => {
    const { report } = await runProberJson(["--expect", "80:20", "--targets", targets().join(",")]);
    expect(report.verdict).toBe("FAIL");
    expect(report.endpointConfidence).toBeCloseTo(0.998, 10);
    expect(report.endpoints.map((e: { target: string }) => e.target)).toEqual(targets());
    expect(report.endpoints.at(-1)).toMatchObject({ verdict: "FAIL", counts: { two: 0 } });
    expect(report.endpoints.at(-1).reason).toMatch(/at 99\.8% confidence$/);
    expect(report.named).toEqual([stale()]);
  });

  it("PASSes every replica with --wait once the stale one takes the shift", async () => {
    await replicas[REPLICAS - 1]?.reload(versionBackends(servers, [80, 20]));
    // --wait's default rate, 500 a second, is shared over the five: a higher cap, for the suite's time.
    const { code, report } = await runProberJson([
      "--expect",
      "80:20",
      "--wait",
      "120",
      "--rate",
      "5000",
      ...targets(),
    ]);
    expect(report.endpoints.map((e: { verdict: string }) => e.verdict)).toEqual(Array(REPLICAS).fill("PASS"));
    expect(report.verdict).toBe("PASS");
    expect(code).toBe(0);
  });
});

describe("prober's fleet targets", () => {
  it("verifies every address a name resolves to with --each-address", async () => {
    const servers = [await startEchoServerProcess("0", "one")];
    try {
      const { report } = await runProberJson([
        "--expect",
        "100:0",
        "--each-address",
        `localhost:${servers[0]?.ports[0]}`,
      ]);
      expect(report.endpoints.map((e: { endpoint: { host: string } }) => e.endpoint.host)).toContain(
        "127.0.0.1",
      );
      expect(report.verdict).toBe("PASS");
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  });

  it("refuses a name that resolves to nothing in one line, exit code 68", async () => {
    const run = await runProber(["--expect", "80:20", "--each-address", "no-such-host.invalid:9000"]);
    expect(run.code).toBe(68);
    expect(run.stderr).toMatch(/^prober: cannot resolve no-such-host\.invalid: \w+\n$/);
  });

  it("refuses --each-endpoint with positional targets, exit code 64", async () => {
    const run = await runProber(["--expect", "80:20", "--each-endpoint", "service/gw", "127.0.0.1:1"]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/--each-endpoint names the targets itself/);
  });

  it("refuses a malformed --each-endpoint, exit code 64", async () => {
    const run = await runProber(["--expect", "80:20", "--each-endpoint", "deployment/gw"]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/invalid --each-endpoint "deployment\/gw": expected service\/NAME/);
  });

  it("refuses a target given twice, exit code 64", async () => {
    const run = await runProber(["--expect", "80:20", "127.0.0.1:9", "127.0.0.1:9"]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/a target is given twice/);
  });
});
