import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expectationFromManifest, parseLabelMap } from "../prober/expectations/manifest-expectation.js";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

describe("expectations read from routing manifests", () => {
  it("reads the tutorial's VirtualService as one=80, two=20 by the v1/v2 convention", () => {
    const expectation = expectationFromManifest(fixture("tutorial-virtualservice-80-20.yaml"), "vs.yaml");
    expect(expectation).toEqual({ labels: ["one", "two"], weights: [80, 20], shares: [0.8, 0.2] });
  });

  it("reads Istio's TCPRoute sample as one=80, two=20 from the backend names", () => {
    const expectation = expectationFromManifest(fixture("istio-tcproute-80-20.yaml"), "route.yaml");
    expect(expectation.shares).toEqual([0.8, 0.2]);
    expect(expectation.labels).toEqual(["one", "two"]);
  });

  it("maps subsets to prefixes with --map", () => {
    const map = parseLabelMap("v1=blue,v2=green");
    expect(
      expectationFromManifest(fixture("tutorial-virtualservice-80-20.yaml"), "vs.yaml", map).labels,
    ).toEqual(["blue", "green"]);
  });

  it("gives a lone destination without weight all the traffic, as Istio does", () => {
    const text =
      "kind: VirtualService\nspec:\n  tcp:\n    - route:\n        - destination: {host: tcp-echo, subset: v1}\n";
    expect(expectationFromManifest(text, "all-v1.yaml").shares).toEqual([1]);
  });

  it("gives backendRefs without weight a weight of 1, as Gateway API does", () => {
    const text =
      "kind: TCPRoute\nspec:\n  rules:\n    - backendRefs:\n        - name: tcp-echo-v1\n        - name: tcp-echo-v2\n";
    expect(expectationFromManifest(text, "route.yaml").shares).toEqual([0.5, 0.5]);
  });

  it("rejects a file with no VirtualService or TCPRoute", () => {
    expect(() => expectationFromManifest("kind: Service\n", "svc.yaml")).toThrow(
      "svc.yaml: expected one VirtualService or TCPRoute, found 0",
    );
  });

  it("rejects YAML that does not parse", () => {
    expect(() => expectationFromManifest("kind: [", "bad.yaml")).toThrow(/^bad.yaml: not valid YAML/);
  });

  it("rejects a subset missing from --map", () => {
    expect(() =>
      expectationFromManifest(
        fixture("tutorial-virtualservice-80-20.yaml"),
        "vs.yaml",
        parseLabelMap("v1=one"),
      ),
    ).toThrow('the label map has no label for "v2"');
  });
});
