import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CountingTarget,
  countingTarget,
  post,
  type ServeProcess,
  startServe,
} from "./support/prober-serve.js";
import { rogueServer } from "./support/rogue-server.js";

/** The most connections accepted in any one second, from their accept times in ms. */
function peakPerSecond(accepted: number[]): number {
  let peak = 0;
  for (let i = 0, j = 0; i < accepted.length; i++) {
    while ((accepted[i] as number) - (accepted[j] as number) >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

describe("prober serve's caps on a check", () => {
  let counted: CountingTarget;
  let serve: ServeProcess;
  beforeAll(async () => {
    counted = await countingTarget("one");
    serve = await startServe(["--max-rate", "100", "--max-concurrency", "8", "--max-probes", "5000"]);
  });
  afterAll(async () => {
    await serve?.stop();
    await counted?.close();
  });
  /** When the target accepted each connection: the check as the target sees it. */
  const accepted = () => counted.accepted;
  // All replies are `one`: showing its share above 99% at 99.99% takes ~900 probes, so a check runs its whole duration.
  const slowToSettle = { expect: "100:0", tolerance: 0.01, confidence: 0.9999 };
  const target = () => `127.0.0.1:${counted.port}`;

  it.each([
    ["rate", 1_000_000, "rate 1000000 is above this server's --max-rate 100"],
    ["concurrency", 2000, "concurrency 2000 is above this server's --max-concurrency 8"],
    ["maxProbes", 60_000, "maxProbes 60000 is above this server's --max-probes 5000"],
  ])(
    "answers 400 to a %s above its cap, naming the cap, and opens no connection",
    async (option, value, message) => {
      const before = accepted().length;
      const response = await post(
        `${serve.url}/verify`,
        JSON.stringify({ target: target(), expect: "80:20", [option]: value }),
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe(message);
      expect(accepted().length).toBe(before);
    },
  );

  it("probes at most --max-rate a second when the request names no rate (counted at the target)", async () => {
    const from = accepted().length;
    const response = await post(
      `${serve.url}/verify`,
      JSON.stringify({ target: target(), ...slowToSettle, duration: 3 }),
    );
    expect(response.status).toBe(200);
    const check = accepted().slice(from);
    expect(check.length).toBeGreaterThan(150);
    expect(peakPerSecond(check)).toBeLessThanOrEqual(110);
  });

  it("probes at the lower rate a request asks for", async () => {
    const from = accepted().length;
    await post(
      `${serve.url}/verify`,
      JSON.stringify({ target: target(), ...slowToSettle, duration: 2, rate: 40 }),
    );
    const check = accepted().slice(from);
    expect(check.length).toBeGreaterThan(50);
    expect(peakPerSecond(check)).toBeLessThanOrEqual(45);
  });

  it("keeps at most --max-concurrency probes in flight (a target that never answers)", async () => {
    const accepts: number[] = [];
    const silent = await rogueServer(() => accepts.push(performance.now()));
    await post(
      `${serve.url}/verify`,
      JSON.stringify({ target: `127.0.0.1:${silent.port}`, expect: "80:20", duration: 1, timeout: 0.5 }),
    );
    await silent.close();
    // No probe ends before its 0.5 s timeout: every connection of the first 0.4 s is in flight at once.
    const first = accepts[0] as number;
    expect(accepts.filter((at) => at - first < 400)).toHaveLength(8);
  });
});
