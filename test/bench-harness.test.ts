import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { waitUntilAccepting } from "../bench/echo-peers.js";
import { proberJson } from "../bench/prober-bench.js";
import { freePort } from "../devtools/free-port.js";
import { spawnTracked } from "./support/child-processes.js";

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

const BENCH = fileURLToPath(new URL("../dist/bench/run-bench.js", import.meta.url));

describe("the bench's failures are loud", () => {
  it("rejects, with the exit code and stderr, when the prober crashes instead of reporting", async () => {
    await expect(
      proberJson(["--expect", "80:20", "127.0.0.1:1"], fixture("crashing-program.mjs")),
    ).rejects.toThrow(/failed \(exit 70\): crashed on purpose/);
  });

  it("gives up on a peer that neither listens nor exits, naming it", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"]);
    await expect(waitUntilAccepting(await freePort(), child, "a silent peer", 300)).rejects.toThrow(
      /a silent peer did not accept connections on port \d+ within 300 ms/,
    );
    expect(child.killed).toBe(true);
  });
});

describe("npm run bench (smoke run with --quick, so the harness cannot rot)", () => {
  const out = mkdtempSync(join(tmpdir(), "tcp-echo-bench-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("measures every server peer and the prober, and writes JSON, Markdown and SVG charts", async () => {
    const bundle = spawnTracked("npm", ["run", "bundle"]);
    expect(await bundle.exited, bundle.stderr()).toBe(0);
    const bench = spawnTracked(process.execPath, [BENCH, "--quick", "--out", out]);
    expect(await bench.exited, bench.stderr()).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "bench.json"), "utf8"));
    expect(results.servers.map((s: { kind: string }) => s.kind)).toEqual([
      "tcp-echo",
      "tcp-echo-workers",
      "go-tuned",
      "istio",
      "fortio",
    ]);
    for (const server of results.servers) {
      expect(server.connections[32].perSecond, server.kind).toBeGreaterThan(0);
      expect(server.lines[32].perSecond, server.kind).toBeGreaterThan(0);
      expect(server.exchanges[100].perSecond, server.kind).toBeGreaterThan(0);
      expect(server.rssMegabytes[100], server.kind).toBeGreaterThan(0);
    }
    expect(results.prober.settle.map((s: { verdict: string }) => s.verdict)).toEqual(["PASS", "FAIL"]);
    expect(results.ratios.length).toBeGreaterThan(0);
    for (const file of ["bench.md", "throughput.svg", "connections.svg", "memory.svg", "convergence.svg"])
      expect(existsSync(join(out, file)), file).toBe(true);
  }, 240_000);
});
