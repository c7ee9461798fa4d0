import { describe, expect, it } from "vitest";
import { type EndpointStanding, endpointConfidence, judgeFleet } from "../prober/statistics/fleet-verdict.js";

const standing = (name: string, verdict: EndpointStanding["verdict"], present = true): EndpointStanding => ({
  name,
  verdict,
  reason: `${verdict.toLowerCase()} because`,
  present,
});

describe("endpointConfidence", () => {
  it("gives each of k endpoints an error budget of alpha / k", () => {
    expect(endpointConfidence(0.99, 5)).toBeCloseTo(0.998, 12);
    expect(endpointConfidence(0.99, 10)).toBeCloseTo(0.999, 12);
  });

  it("is the confidence itself for one endpoint", () => {
    expect(endpointConfidence(0.99, 1)).toBe(0.99);
  });
});

describe("judgeFleet", () => {
  it("PASSes only when every endpoint PASSes", () => {
    const fleet = judgeFleet([standing("a", "PASS"), standing("b", "PASS")]);
    expect(fleet).toEqual({ verdict: "PASS", reason: "every endpoint PASSes: 2 of 2", named: [] });
  });

  it("FAILs when one endpoint FAILs, naming it with its reason", () => {
    const fleet = judgeFleet([standing("a", "PASS"), standing("b", "FAIL"), standing("c", "INCONCLUSIVE")]);
    expect(fleet.verdict).toBe("FAIL");
    expect(fleet.reason).toBe("1 of 3 endpoints FAIL: b: fail because");
    expect(fleet.named).toEqual(["b"]);
  });

  it("names every endpoint that FAILs", () => {
    const fleet = judgeFleet([standing("a", "FAIL"), standing("b", "FAIL")]);
    expect(fleet.reason).toBe("2 of 2 endpoints FAIL: a: fail because; also FAIL: b");
  });

  it("puts a FAIL before an ERROR", () => {
    expect(judgeFleet([standing("a", "ERROR"), standing("b", "FAIL")]).verdict).toBe("FAIL");
  });

  it("is ERROR when one endpoint ERRORs and none FAILs", () => {
    const fleet = judgeFleet([standing("a", "PASS"), standing("b", "ERROR")]);
    expect(fleet).toMatchObject({ verdict: "ERROR", reason: "1 of 2 endpoints ERROR: b: error because" });
  });

  it("is INCONCLUSIVE while one endpoint is open, naming it", () => {
    const fleet = judgeFleet([standing("a", "PASS"), standing("b", "INCONCLUSIVE")]);
    expect(fleet).toMatchObject({ verdict: "INCONCLUSIVE", named: ["b"] });
    expect(fleet.reason).toBe("1 of 2 endpoints not settled: b: inconclusive because");
  });

  it("does not wait for an endpoint that left the fleet, and says it left", () => {
    const fleet = judgeFleet([standing("a", "PASS"), standing("b", "INCONCLUSIVE", false)]);
    expect(fleet).toMatchObject({
      verdict: "PASS",
      reason: "every endpoint PASSes: 1 of 1 (b left the fleet during the run)",
    });
  });

  it("keeps the FAIL of an endpoint that left the fleet", () => {
    expect(judgeFleet([standing("a", "PASS"), standing("b", "FAIL", false)]).verdict).toBe("FAIL");
  });

  it("is INCONCLUSIVE when an endpoint appeared during the run, naming it", () => {
    const fleet = judgeFleet([standing("a", "PASS")], ["c"]);
    expect(fleet).toMatchObject({
      verdict: "INCONCLUSIVE",
      reason: "1 endpoint appeared during the run and was not verified: c; probe again",
      named: ["c"],
    });
  });

  it("is ERROR with no endpoints at all", () => {
    expect(judgeFleet([])).toEqual({ verdict: "ERROR", reason: "no endpoints to probe", named: [] });
  });
});
