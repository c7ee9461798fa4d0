import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { spawnTracked } from "./support/child-processes.js";

const DEMO = fileURLToPath(new URL("../dist/demo/run-demo.js", import.meta.url));

describe("npm run demo", () => {
  it("shows PASS on the true 80:20 split, then FAIL on a 50:50 misconfiguration, and exits 0", async () => {
    const demo = spawnTracked(process.execPath, [DEMO]);
    const code = await demo.exited;
    const output = demo.lines.join("\n");
    expect(output).toMatch(/^PASS: /m);
    expect(output).toMatch(/^FAIL: /m);
    expect(output).toContain("Demo done: PASS on the true split, FAIL on the wrong one.");
    expect(code).toBe(0);
  });

  it("reports a failure to start as one line on stderr and exit code 70, not a stack trace", async () => {
    const fault = fileURLToPath(new URL("./fixtures/fail-listen.cjs", import.meta.url));
    const demo = spawnTracked(process.execPath, ["--require", fault, DEMO]);
    expect(await demo.exited).toBe(70);
    expect(demo.stderr()).toBe(
      "demo: cannot listen on port 0: listen EADDRNOTAVAIL: address not available (injected)\n",
    );
  });
});
