import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnTracked, type TrackedProcess } from "./support/child-processes.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { exchange } from "./support/tcp-client.js";
import { preparedTool } from "./support/test-tools.js";

/** A small seeded generator (mulberry32) so a failing input can be reproduced from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random bytes, rich in newlines and carriage returns, cut into random write-sized pieces. */
function randomPieces(random: () => number): Buffer[] {
  const length = Math.floor(random() * 3000);
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    const roll = random();
    bytes[i] = roll < 0.08 ? 0x0a : roll < 0.12 ? 0x0d : Math.floor(random() * 256);
  }
  const pieces: Buffer[] = [];
  for (let at = 0; at < length; ) {
    const size = 1 + Math.floor(random() * 700);
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

describe("tcp-echo against Istio's Go tcp-echo", () => {
  let ours: EchoServerProcess;
  let istio: TrackedProcess;
  let istioPort: number;
  const prefix = "v1 ✓ one";

  beforeAll(async () => {
    ours = await startEchoServerProcess("0", prefix);
    istio = spawnTracked(preparedTool("istio-tcp-echo"), ["0", prefix]);
    const line = await istio.waitForLine((l) => l.startsWith("listening on"), "Istio's server listening");
    istioPort = Number(/:(\d+), prefix/.exec(line)?.[1]);
  });
  afterAll(async () => {
    await ours.stop();
    istio.child.kill("SIGKILL");
    await istio.exited;
  });

  it("sends byte-identical replies for 200 random inputs (seeds 1-200)", async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const pieces = randomPieces(seededRandom(seed));
      const [mine, theirs] = await Promise.all([
        exchange(ours.ports[0] as number, pieces),
        exchange(istioPort, pieces),
      ]);
      if (!mine.equals(theirs)) {
        expect.fail(`seed ${seed}: ours ${mine.toString("hex")} vs Istio's ${theirs.toString("hex")}`);
      }
    }
  });

  it("sends byte-identical replies for the hand-picked wire cases", async () => {
    const cases = ["hello\n", "a\nb\nc\n", "\n", "crlf\r\n", "\x00\xff\n", "partial", "done\nno newline"];
    for (const input of cases) {
      const pieces = [Buffer.from(input, "latin1")];
      const [mine, theirs] = await Promise.all([
        exchange(ours.ports[0] as number, pieces),
        exchange(istioPort, pieces),
      ]);
      expect(mine.toString("hex"), JSON.stringify(input)).toBe(theirs.toString("hex"));
    }
  });
});
