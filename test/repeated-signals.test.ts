import { spawn } from "node:child_process";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROBER_CLI, spawnTracked } from "./support/child-processes.js";
import { type RogueServer, rogueServer } from "./support/rogue-server.js";

/**
 * GNU `timeout`, as CI steps run a check, sends SIGTERM to the prober when told to stop, and again to
 * its process group: the second signal once killed the prober before it printed (4 of 12 runs).
 */
describe("a repeated SIGTERM never loses the report", () => {
  let backend: RogueServer;
  beforeAll(async () => {
    // Answers each line as tcp-echo v1 would, 200 ms late: probes are in flight when the signal comes.
    backend = await rogueServer((socket) => {
      socket.once("data", (chunk: Buffer) => {
        setTimeout(() => socket.end(Buffer.concat([Buffer.from("one "), chunk])), 200);
      });
    });
  });
  afterAll(async () => {
    await backend.close();
  });

  /**
   * `timeout 1 prober ARGS --json` in a process group of its own, as a CI step runs it: when its second
   * runs out, timeout sends SIGTERM to the prober and then to the whole group, the prober included.
   */
  async function underTimeout(args: string[]): Promise<{ code: number | null; stdout: string }> {
    const child = spawn("timeout", ["1", process.execPath, PROBER_CLI, ...args, "--json"], {
      detached: true,
      stdio: ["ignore", "pipe", "ignore"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    const [code] = (await once(child, "exit")) as [number | null];
    return { code, stdout };
  }

  it("prints the check's report in 5 of 5 runs under timeout", async () => {
    const runs = [];
    for (let run = 0; run < 5; run++) {
      runs.push(
        await underTimeout(["--expect", "100:0", "--min-probes", "10000", `127.0.0.1:${backend.port}`]),
      );
    }
    expect(
      runs.map((r) => (r.stdout ? JSON.parse(r.stdout).stoppedBy : `no report, exit ${r.code}`)),
    ).toEqual(Array(5).fill("interrupted"));
    // timeout's own exit code for a command it timed out.
    expect(runs.map((r) => r.code)).toEqual(Array(5).fill(124));
  }, 180_000);

  it("prints the watch's summary in 3 of 3 runs under timeout", async () => {
    const runs = [];
    for (let run = 0; run < 3; run++) runs.push(await underTimeout(["watch", `127.0.0.1:${backend.port}`]));
    expect(
      runs.map((r) =>
        r.stdout ? JSON.parse(r.stdout.trim().split("\n").at(-1) as string).stoppedBy : "none",
      ),
    ).toEqual(Array(3).fill("interrupted"));
  }, 120_000);

  it("prints the watch's summary after two SIGTERMs in a row", async () => {
    const watch = spawnTracked(process.execPath, [
      PROBER_CLI,
      "watch",
      `127.0.0.1:${backend.port}`,
      "--json",
    ]);
    await watch.waitForLine((line) => line.includes('"event":"window"'), "a first window");
    watch.child.kill("SIGTERM");
    watch.child.kill("SIGTERM");
    expect(await watch.exited).toBe(0);
    expect(JSON.parse(watch.lines.at(-1) as string)).toMatchObject({
      event: "summary",
      stoppedBy: "interrupted",
    });
  }, 60_000);
});
