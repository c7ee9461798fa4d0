import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestSuite } from "junit2json";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { activeCharacters } from "./support/inert-output.js";
import { caseMessage, caseStatus, property, readJunit } from "./support/junit-consumer.js";
import { runProber } from "./support/prober-process.js";
import { prefixingEcho, type RogueServer } from "./support/rogue-server.js";

/** Each case of a suite by name, as a CI system lists it. */
const statuses = (suite: TestSuite | undefined) =>
  Object.fromEntries((suite?.testcase ?? []).map((test) => [test.name, caseStatus(test)]));

describe("prober --junit FILE (the verdict as JUnit XML, read by a CI system)", () => {
  let dir: string;
  let one: EchoServerProcess;
  let two: EchoServerProcess;
  let hostile: RogueServer;
  const at = (server: { ports: number[] }) => `127.0.0.1:${server.ports[0]}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "prober-junit-"));
    [one, two] = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
    // Control bytes, markup, a CDATA end, a non-character and a byte that is not UTF-8, as one prefix.
    const prefix = Buffer.concat([Buffer.from('\x1b[2J<b>]]>&"\ufffe', "utf8"), Buffer.from([0xff])]);
    hostile = await prefixingEcho(prefix);
  });
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop(), hostile?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const check = async (name: string, args: string[]) => {
    const file = join(dir, `${name}.xml`);
    const run = await runProber([...args, "--junit", file]);
    return { run, suites: await readJunit(file), xml: readFileSync(file, "utf8") };
  };

  it("writes a PASS as a valid testsuite whose cases all pass, with the figures as properties", async () => {
    const { run, suites } = await check("pass", [at(one), "--expect", "100:0"]);
    expect(run.code).toBe(0);
    expect(suites).toHaveLength(1);
    const [suite] = suites;
    expect(statuses(suite)).toEqual({ split: "passed", "one at 100%": "passed", "two at 0%": "passed" });
    expect(property(suite as TestSuite, "verdict")).toBe("PASS");
    expect(Number(property(suite as TestSuite, "replies.one"))).toBeGreaterThan(0);
    expect(suite?.["system-out"]?.[0]).toContain("PASS");
  });

  it("writes a FAIL as failures of the split and of the versions outside their bands, with the reason", async () => {
    const { run, suites } = await check("fail", [at(two), "--expect", "100:0"]);
    expect(run.code).toBe(1);
    const [suite] = suites;
    expect(statuses(suite)).toEqual({ split: "failure", "one at 100%": "failure", "two at 0%": "failure" });
    expect(caseMessage(suite?.testcase?.[0] ?? {})).toMatch(/^FAIL: weight-0 version answered: two/);
    expect(suite?.failures).toBe(3);
  });

  it("writes an unreachable target as errors", async () => {
    const { run, suites } = await check("error", ["127.0.0.1:1", "--expect", "100:0"]);
    expect(run.code).toBe(3);
    expect(statuses(suites[0])).toEqual({ split: "error", "one at 100%": "error", "two at 0%": "error" });
    expect(suites[0]?.errors).toBe(3);
  });

  it("writes an INCONCLUSIVE as skipped cases, saying what is still open", async () => {
    const { run, suites } = await check("inconclusive", [at(one), "--expect", "80:20", "--max-probes", "3"]);
    expect(run.code).toBe(2);
    expect(statuses(suites[0])).toEqual({
      split: "skipped",
      "one at 80%": "skipped",
      "two at 20%": "skipped",
    });
    expect(caseMessage(suites[0]?.testcase?.[0] ?? {})).toMatch(/^INCONCLUSIVE: /);
  });

  it("keeps a hostile prefix inert and the document valid: controls, markup and stray bytes escaped", async () => {
    const { run, suites, xml } = await check("hostile", [`127.0.0.1:${hostile.port}`, "--expect", "100:0"]);
    expect(run.code).toBe(1);
    const suite = suites[0] as TestSuite;
    const unexpected = suite.properties?.find((p) => p.name?.startsWith("unexpected."));
    expect(unexpected?.name).toBe('unexpected.\\x1b[2J<b>]]>&"\\ufffe\\xff');
    expect(activeCharacters(xml)).toEqual([]);
    expect(caseMessage(suite.testcase?.[0] ?? {})).toContain("\\x1b[2J<b>");
    // The text report as it is printed: its lines kept, the prefix escaped once.
    expect(suite["system-out"]?.[0]).toContain('\nunexpected prefixes: \\x1b[2J<b>]]>&"\\ufffe\\xff ');
  });

  it("writes a fleet as a suite of its own and one per endpoint, the stale endpoint's cases failing by name", async () => {
    const { run, suites } = await check("fleet", ["--targets", `${at(one)},${at(two)}`, "--expect", "100:0"]);
    expect(run.code).toBe(1);
    expect(suites.map((s) => s.name)).toEqual(["fleet", at(one), at(two)]);
    expect(statuses(suites[0])).toEqual({ fleet: "failure" });
    expect(property(suites[0] as TestSuite, "named")).toBe(at(two));
    expect(statuses(suites[2])).toEqual({
      split: "failure",
      "one at 100%": "failure",
      "two at 0%": "failure",
    });
    expect(statuses(suites[1]).split).not.toBe("failure");
  });

  it("writes a watch as a case for its verdict and one per step, a step not reached skipped", async () => {
    const { run, suites } = await check("watch", [
      "watch",
      at(one),
      "--expect-steps",
      "100:0,0:100",
      "--duration",
      "4",
      "--interval",
      "1",
    ]);
    expect(run.code).toBe(2);
    expect(statuses(suites[0])).toEqual({
      watch: "skipped",
      "step 100:0": "passed",
      "step 0:100": "skipped",
    });
    expect(caseMessage(suites[0]?.testcase?.[2] ?? {})).toMatch(/^not reached: INCONCLUSIVE: /);
    expect(property(suites[0] as TestSuite, "step.1")).toMatch(/^100:0 passed at /);
  });

  it("writes a watch of a fleet as a suite per endpoint", async () => {
    const { suites } = await check("fleet-watch", [
      "watch",
      "--targets",
      `${at(one)},${at(two)}`,
      "--expect",
      "100:0",
      "--duration",
      "4",
    ]);
    expect(suites.map((s) => s.name)).toEqual(["fleet", at(one), at(two)]);
    expect(statuses(suites[2]).watch).toBe("failure");
  });
});
