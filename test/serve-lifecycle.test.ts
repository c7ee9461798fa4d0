import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROBER_CLI, spawnTracked } from "./support/child-processes.js";
import { type CountingTarget, countingTarget, post, startServe } from "./support/prober-serve.js";
import { rogueServer } from "./support/rogue-server.js";

// All replies are `one`: a check of 100:0 at ±1 pp and 99.99% takes ~900 probes, so it runs its whole duration.
const longCheck = (port: number, duration: number) =>
  JSON.stringify({
    target: `127.0.0.1:${port}`,
    expect: "100:0",
    tolerance: 0.01,
    confidence: 0.9999,
    duration,
    rate: 100,
  });

describe("prober serve on SIGTERM", () => {
  let target: CountingTarget;
  beforeAll(async () => {
    target = await countingTarget("one");
  });
  afterAll(async () => {
    await target?.close();
  });

  it("turns /healthz and new checks to 503 at once, lets a running check finish, then exits 0", async () => {
    const serve = await startServe(["--drain-seconds", "10"]);
    const running = post(`${serve.url}/verify`, longCheck(target.port, 2));
    await serve.proc.waitForLine((line) => line.includes('"msg":"serving"'), "serving");
    while (target.accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    serve.proc.child.kill("SIGTERM");
    await serve.proc.waitForLine((line) => line.includes('"msg":"draining"'), "draining");
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(503);
    expect((await post(`${serve.url}/verify`, longCheck(target.port, 1))).status).toBe(503);
    const finished = await running;
    expect(finished.status).toBe(200);
    expect(((await finished.json()) as { stoppedBy: string }).stoppedBy).toBe("duration");
    expect(await serve.proc.exited).toBe(0);
  });

  it("keeps draining through a second SIGTERM (GNU timeout sends one to the process group too)", async () => {
    const serve = await startServe(["--drain-seconds", "10"]);
    const running = post(`${serve.url}/verify`, longCheck(target.port, 2));
    await serve.proc.waitForLine((line) => line.includes('"msg":"serving"'), "serving");
    const before = target.accepted.length;
    while (target.accepted.length === before) await new Promise((resolve) => setTimeout(resolve, 20));
    serve.proc.child.kill("SIGTERM");
    serve.proc.child.kill("SIGTERM");
    const finished = await running;
    expect(finished.status).toBe(200);
    expect(((await finished.json()) as { stoppedBy: string }).stoppedBy).toBe("duration");
    expect(await serve.proc.exited).toBe(0);
  });

  it("turns /healthz on the --health-listen thread to 503 as soon as the drain begins", async () => {
    const serve = await startServe(["--drain-seconds", "10", "--health-listen", "127.0.0.1:0"]);
    const healthUrl = `${serve.healthUrl}/healthz`;
    expect((await fetch(healthUrl)).status).toBe(200);
    const accepted = target.accepted.length;
    const running = post(`${serve.url}/verify`, longCheck(target.port, 2));
    await serve.proc.waitForLine((line) => line.includes('"msg":"serving"'), "serving");
    while (target.accepted.length === accepted) await new Promise((resolve) => setTimeout(resolve, 20));
    serve.proc.child.kill("SIGTERM");
    await serve.proc.waitForLine((line) => line.includes('"msg":"draining"'), "draining");
    expect((await fetch(healthUrl)).status).toBe(503);
    expect((await running).status).toBe(200);
    expect(await serve.proc.exited).toBe(0);
  });

  it("answers a check still running when the drain time ends 503, and exits 0", async () => {
    const serve = await startServe(["--drain-seconds", "0.5"]);
    const running = post(`${serve.url}/verify`, longCheck(target.port, 5));
    const from = target.accepted.length;
    while (target.accepted.length === from) await new Promise((resolve) => setTimeout(resolve, 20));
    serve.proc.child.kill("SIGTERM");
    const answer = await running;
    expect(answer.status).toBe(503);
    expect(((await answer.json()) as { error: string }).error).toBe(
      "this server shut down before the check ended",
    );
    expect(await serve.proc.exited).toBe(0);
  });
});

describe("prober serve when a caller gives up", () => {
  it("stops the check's probes once the caller disconnects", async () => {
    const target = await countingTarget("one");
    const serve = await startServe();
    try {
      const caller = new AbortController();
      const request = fetch(`${serve.url}/verify`, {
        method: "POST",
        body: longCheck(target.port, 6),
        headers: { "content-type": "application/json" },
        signal: caller.signal,
      }).catch(() => undefined);
      while (target.accepted.length < 50) await new Promise((resolve) => setTimeout(resolve, 20));
      caller.abort();
      await request;
      // The check's log line is written once its campaign has ended.
      const line = JSON.parse(
        await serve.proc.waitForLine((l) => l.includes('"msg":"check"'), "the check's log line"),
      );
      const after = target.accepted.length;
      expect(line.probes).toBeLessThan(300);
      expect(line.durationMs).toBeLessThan(5000);
      expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
      expect(target.accepted.length).toBe(after);
    } finally {
      await serve.stop();
      await target.close();
    }
  });
});

describe("prober serve when its health port is taken", () => {
  it("refuses in one line naming the busy port, exit code 69, no stack trace", async () => {
    const busy = await rogueServer(() => {});
    try {
      const proc = spawnTracked(process.execPath, [
        PROBER_CLI,
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--health-listen",
        `127.0.0.1:${busy.port}`,
      ]);
      expect(await proc.exited).toBe(69);
      expect(proc.stderr()).toBe(
        `prober: the health listener on 127.0.0.1:${busy.port}: listen EADDRINUSE: address already in use 127.0.0.1:${busy.port}\n`,
      );
    } finally {
      await busy.close();
    }
  });
});
