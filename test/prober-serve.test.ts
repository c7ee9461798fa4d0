import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { type L4Gateway, startGateway } from "./support/l4-gateway.js";
import { runProber } from "./support/prober-process.js";
import { post, type ServeProcess, startServe } from "./support/prober-serve.js";
import { rogueServer } from "./support/rogue-server.js";

/** The JSON body of an answer: a report, or `{ error }`. */
// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
const json = async (response: Response): Promise<any> => response.json();

for (const kind of ["nginx", "haproxy"] as const) {
  describe(`prober serve, checking an 80:20 split through ${kind}`, () => {
    let servers: EchoServerProcess[];
    let gateway: L4Gateway;
    let serve: ServeProcess;
    let target: string;
    beforeAll(async () => {
      servers = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
      gateway = await startGateway(kind, [
        { name: "v1", port: servers[0]?.ports[0] as number, weight: 80 },
        { name: "v2", port: servers[1]?.ports[0] as number, weight: 20 },
      ]);
      target = `127.0.0.1:${gateway.port}`;
      // The probe rate as the CLI's check has it (uncapped): what is checked here is the endpoints.
      serve = await startServe(["--max-rate", "100000"]);
    });
    afterAll(async () => {
      serve?.proc.child.kill("SIGTERM");
      await serve?.proc.exited;
      await gateway?.stop();
      await Promise.all((servers ?? []).map((s) => s.stop()));
    });

    it("POST /verify answers 200 and the report with verdict PASS", async () => {
      const response = await post(`${serve.url}/verify`, JSON.stringify({ target, expect: "80:20" }));
      expect(response.status).toBe(200);
      const report = await json(response);
      expect(report.verdict, report.reason).toBe("PASS");
      expect(report.target).toBe(target);
    });

    it("POST /verify holds back the PASS until minProbes probes are in", async () => {
      const body = JSON.stringify({ target, expect: "80:20", minProbes: 2500 });
      const report = await json(await post(`${serve.url}/verify`, body));
      expect(report.verdict, report.reason).toBe("PASS");
      expect(report.probes).toBeGreaterThanOrEqual(2500);
    });

    it("POST /verify answers 200 for a FAIL too: the verdict is in the body, for a jsonPath such as {$.verdict}", async () => {
      const response = await post(`${serve.url}/verify`, JSON.stringify({ target, expect: "50:50" }));
      expect(response.status).toBe(200);
      expect((await json(response)).verdict).toBe("FAIL");
    });

    it("logs each check with its verdict and reason, which Argo does not record", async () => {
      const report = await json(
        await post(`${serve.url}/verify`, JSON.stringify({ target, expect: "50:50" })),
      );
      const line = await serve.proc.waitForLine(
        (l) => l.includes('"msg":"check"') && l.includes(JSON.stringify(report.reason)),
        "the check's log line",
      );
      expect(JSON.parse(line)).toMatchObject({ verdict: "FAIL", reason: report.reason, target, status: 200 });
    });

    it("POST /flagger answers 200 on PASS, from options given as strings in the webhook's metadata", async () => {
      const payload = {
        name: "tcp-echo",
        namespace: "default",
        phase: "Progressing",
        checksum: "x",
        metadata: { target, expect: "80:20", confidence: "0.99" },
      };
      const response = await post(`${serve.url}/flagger`, JSON.stringify(payload));
      expect(response.status).toBe(200);
      expect((await json(response)).verdict).toBe("PASS");
    });

    it("POST /flagger answers 412 on anything but PASS, the report in the body", async () => {
      const payload = {
        name: "tcp-echo",
        namespace: "default",
        phase: "Progressing",
        metadata: { target, expect: "50:50" },
      };
      const response = await post(`${serve.url}/flagger`, JSON.stringify(payload));
      expect(response.status).toBe(412);
      expect((await json(response)).verdict).toBe("FAIL");
    });

    it("counts checks by verdict in /metrics", async () => {
      const metrics = await (await fetch(`${serve.url}/metrics`)).text();
      expect(metrics).toMatch(/prober_checks_total\{endpoint="verify",verdict="PASS"\} [1-9]/);
      expect(metrics).toMatch(/prober_check_duration_seconds_count [1-9]/);
    });
  });
}

describe("prober serve refusing requests", () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(["--max-concurrent-checks", "1", "--max-check-seconds", "5"]);
  });
  afterAll(async () => {
    serve?.proc.child.kill("SIGTERM");
    await serve?.proc.exited;
  });

  const cases: [string, string, RegExp][] = [
    ["a body that is not JSON", "{not json", /the body is not JSON/],
    [
      "an unknown option",
      JSON.stringify({ target: "127.0.0.1:1", expect: "80:20", fast: true }),
      /unknown option fast/,
    ],
    ["a missing target", JSON.stringify({ expect: "80:20" }), /missing target/],
    ["no expectation", JSON.stringify({ target: "127.0.0.1:1" }), /give either expect/],
    ["a bad split", JSON.stringify({ target: "127.0.0.1:1", expect: "80/20" }), /"80\/20" is not a weight/],
    [
      "a confidence of 1",
      JSON.stringify({ target: "127.0.0.1:1", expect: "80:20", confidence: 1 }),
      /confidence: must be a fraction/,
    ],
    [
      "a wait above the server's limit",
      JSON.stringify({ target: "127.0.0.1:1", expect: "80:20", wait: 30 }),
      /wait 30 s is above this server's --max-check-seconds 5/,
    ],
  ];
  for (const [what, body, reason] of cases) {
    it(`answers 400 with the reason for ${what}`, async () => {
      const response = await post(`${serve.url}/verify`, body);
      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatch(reason);
    });
  }

  it("answers 429 to a check beyond --max-concurrent-checks while one runs", async () => {
    let reached: () => void = () => {};
    const probed = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const silent = await rogueServer(() => reached());
    const slow = post(
      `${serve.url}/verify`,
      JSON.stringify({ target: `127.0.0.1:${silent.port}`, expect: "80:20", duration: 1 }),
    );
    await probed;
    const second = await post(
      `${serve.url}/verify`,
      JSON.stringify({ target: `127.0.0.1:${silent.port}`, expect: "80:20" }),
    );
    expect(second.status).toBe(429);
    expect((await slow).status).toBe(200);
    await silent.close();
  });

  it("answers /healthz", async () => {
    const response = await fetch(`${serve.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok\n");
  });
});

describe("prober serve with a bearer token", () => {
  const dir = mkdtempSync(join(tmpdir(), "tcp-echo-serve-"));
  let serve: ServeProcess;
  beforeAll(async () => {
    writeFileSync(join(dir, "token"), "s3cret-token\n");
    serve = await startServe(["--token-file", join(dir, "token")]);
  });
  afterAll(async () => {
    serve?.proc.child.kill("SIGTERM");
    await serve?.proc.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers 401 without the token and with a wrong one", async () => {
    const body = JSON.stringify({ target: "127.0.0.1:1", expect: "80:20", duration: 1 });
    expect((await post(`${serve.url}/verify`, body)).status).toBe(401);
    expect((await post(`${serve.url}/verify`, body, { authorization: "Bearer wrong" })).status).toBe(401);
  });

  it("runs the check with the right token", async () => {
    const body = JSON.stringify({ target: "127.0.0.1:1", expect: "80:20", maxProbes: 20 });
    const response = await post(`${serve.url}/verify`, body, { authorization: "Bearer s3cret-token" });
    expect(response.status).toBe(200);
    expect((await json(response)).verdict).toBe("ERROR");
  });

  it("takes the token from a Flagger payload's metadata, whose webhooks send no headers", async () => {
    const payload = (token: string) =>
      JSON.stringify({
        name: "tcp-echo",
        namespace: "default",
        phase: "Progressing",
        metadata: { target: "127.0.0.1:1", expect: "80:20", maxProbes: "20", token },
      });
    const response = await post(`${serve.url}/flagger`, payload("s3cret-token"));
    expect(response.status).toBe(412);
    expect((await json(response)).verdict).toBe("ERROR");
  });

  it("answers a Flagger payload with a wrong metadata token 401", async () => {
    const payload = JSON.stringify({
      name: "tcp-echo",
      metadata: { target: "127.0.0.1:1", expect: "80:20", token: "wrong" },
    });
    expect((await post(`${serve.url}/flagger`, payload)).status).toBe(401);
  });

  it("refuses an empty token file at start, exit code 64", async () => {
    writeFileSync(join(dir, "empty"), "\n");
    const run = await runProber(["serve", "--token-file", join(dir, "empty")]);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/^prober serve: --token-file .* is empty/);
  });
});
