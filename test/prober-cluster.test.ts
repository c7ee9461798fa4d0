import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../devtools/free-port.js";
import { startWeightedSplitter, type WeightedSplitter } from "../splitter/weighted-splitter.js";
import { PROBER_CLI, spawnTracked } from "./support/child-processes.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { CHART, helm } from "./support/helm-chart.js";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-apiserver.js";
import { runProber } from "./support/prober-process.js";
import { rogueServer } from "./support/rogue-server.js";

const TUTORIAL = readFileSync(
  fileURLToPath(new URL("./fixtures/tutorial-virtualservice-80-20.yaml", import.meta.url)),
  "utf8",
);

/** A TCPRoute splitting between the tutorial's Services, in the given API version. */
const tcpRoute = (name: string, version: string, namespace = "default") => `
apiVersion: gateway.networking.k8s.io/${version}
kind: TCPRoute
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  parentRefs: [{ name: tcp-echo-gateway }]
  rules:
    - backendRefs:
        - { name: tcp-echo-v1, port: 9000, weight: 80 }
        - { name: tcp-echo-v2, port: 9000, weight: 20 }
`;

/** Probes a watch's segment holds, from one of its `window` lines (0 for any other line). */
function segmentProbes(line: string): number {
  if (!line.includes('"event":"window"')) return 0;
  return (JSON.parse(line) as { segment: { probes: number } }).segment.probes;
}
/** Enough probes to judge a still split: far past the 99th percentile of a true 80:20's PASS (docs/statistics.md). */
const PROBES_TO_JUDGE = 4000;

describe("prober --expect-from a live cluster object, on a real kube-apiserver with etcd", {
  timeout: 90_000,
}, () => {
  let kube: KubeApiServer;
  let one: EchoServerProcess;
  let two: EchoServerProcess;
  let splitter: WeightedSplitter;
  let target: string;
  const home = mkdtempSync(join(tmpdir(), "tcp-echo-home-"));
  /** The prober with only this kubeconfig (and no ~/.kube/config) to find the cluster by. */
  // Long probe timeouts: these tests are about reading the cluster, and the suite may starve a probe of
  // CPU for longer than the default 2 s while other files run.
  const prober = (args: string[], kubeconfig = kube.adminKubeconfig) =>
    runProber([...args, "--timeout", "10", "--connect-timeout", "10", target], {
      KUBECONFIG: kubeconfig,
      HOME: home,
      KUBERNETES_SERVICE_HOST: "",
    });

  beforeAll(async () => {
    kube = await startKubeApiServer();
    await kube.applyCrds("istio.yaml", "networking.istio.io");
    await kube.applyCrds("gateway-api-experimental-tcproutes.yaml", "gateway.networking.k8s.io");
    await kube.apply("apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n");
    await kube.apply(TUTORIAL);
    await kube.apply(TUTORIAL.replace(/name: tcp-echo\n/, "name: tcp-echo\n  namespace: shop\n"));
    await kube.apply(tcpRoute("route-v1", "v1"));
    await kube.apply(tcpRoute("route-v1alpha2", "v1alpha2"));
    await kube.apply(
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: { name: http-only }\nspec:\n  hosts: ['*']\n  http: [{ route: [{ destination: { host: web } }] }]\n",
    );
    [one, two] = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
    splitter = await startWeightedSplitter([
      { host: "127.0.0.1", port: one.ports[0] as number, weight: 80 },
      { host: "127.0.0.1", port: two.ports[0] as number, weight: 20 },
    ]);
    target = `127.0.0.1:${splitter.port}`;
  }, 120_000);
  afterAll(async () => {
    await splitter?.close();
    await Promise.all([one?.stop(), two?.stop()]);
    await kube?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("reads the weights of virtualservice/NAME and PASSes, naming the resourceVersion it verified", async () => {
    const run = await prober(["--expect-from", "virtualservice/tcp-echo", "--json"]);
    const report = JSON.parse(run.stdout);
    expect(report.verdict, `${report.reason} ${run.stderr}`).toBe("PASS");
    expect(report.expected).toEqual({ one: 0.8, two: 0.2 });
    const live = JSON.parse(
      (await kube.request("GET", "/apis/networking.istio.io/v1/namespaces/default/virtualservices/tcp-echo"))
        .body,
    );
    expect(report.expectedFrom).toEqual({
      kind: "VirtualService",
      name: "tcp-echo",
      namespace: "default",
      apiVersion: "networking.istio.io/v1",
      resourceVersion: live.metadata.resourceVersion,
    });
  });

  it("takes the long form virtualservices.networking.istio.io/NAME and prints where the weights came from", async () => {
    const run = await prober(["--expect-from", "virtualservices.networking.istio.io/tcp-echo"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^weights from virtualservice\/tcp-echo in default \(networking\.istio\.io\/v1, resourceVersion \d+\)$/m,
    );
  });

  it("reads a TCPRoute served as v1, and one created as the experimental v1alpha2", async () => {
    for (const name of ["route-v1", "route-v1alpha2"]) {
      const run = await prober(["--expect-from", `tcproute/${name}`, "--json"]);
      const report = JSON.parse(run.stdout);
      expect(report.verdict, `${name}: ${run.stderr}`).toBe("PASS");
      expect(report.expectedFrom.apiVersion).toMatch(/^gateway\.networking\.k8s\.io\/v1(alpha2)?$/);
    }
  });

  it("takes --namespace, and otherwise the kubeconfig context's namespace", async () => {
    const explicit = JSON.parse(
      (await prober(["--expect-from", "virtualservice/tcp-echo", "--namespace", "shop", "--json"])).stdout,
    );
    expect(explicit.expectedFrom.namespace).toBe("shop");
    const fromContext = JSON.parse(
      (
        await prober(
          ["--expect-from", "virtualservice/tcp-echo", "--json"],
          kube.kubeconfigFor(undefined, "shop"),
        )
      ).stdout,
    );
    expect(fromContext.expectedFrom.namespace).toBe("shop");
  });

  it("gives prober watch the same weights, read once at the start", async () => {
    const watch = spawnTracked(
      process.execPath,
      [PROBER_CLI, "watch", target, "--expect-from", "virtualservice/tcp-echo", "--rate", "2000", "--json"],
      { KUBECONFIG: kube.adminKubeconfig, HOME: home, KUBERNETES_SERVICE_HOST: "" },
    );
    // A budget in probes, not seconds: a loaded machine probes slower, and still gets as many.
    await watch.waitForLine((line) => segmentProbes(line) >= PROBES_TO_JUDGE, `${PROBES_TO_JUDGE} probes`);
    watch.child.kill("SIGINT");
    expect(await watch.exited).toBe(0);
    const summary = JSON.parse(watch.lines.at(-1) as string);
    expect(summary.verdict, summary.reason).toBe("PASS");
  });

  it("follows the object while watching: new weights applied to it become the split judged", async () => {
    const watch = spawnTracked(
      process.execPath,
      [PROBER_CLI, "watch", target, "--expect-from", "virtualservice/tcp-echo", "--rate", "2000", "--json"],
      { KUBECONFIG: kube.adminKubeconfig, HOME: home, KUBERNETES_SERVICE_HOST: "" },
    );
    await watch.waitForLine((line) => line.includes('"event":"window"'), "a first window");
    splitter.setBackends([
      { host: "127.0.0.1", port: one.ports[0] as number, weight: 50 },
      { host: "127.0.0.1", port: two.ports[0] as number, weight: 50 },
    ]);
    await kube.apply(TUTORIAL.replace("weight: 80", "weight: 50").replace("weight: 20", "weight: 50"));
    const expected = JSON.parse(
      await watch.waitForLine((line) => line.includes('"event":"expected"'), "the new weights"),
    );
    expect(expected.split).toBe("50:50");
    const after = watch.lines.length;
    await watch.waitForLine(
      (line) => watch.lines.indexOf(line) >= after && segmentProbes(line) >= PROBES_TO_JUDGE,
      `${PROBES_TO_JUDGE} probes of the new weights`,
    );
    watch.child.kill("SIGINT");
    await watch.exited;
    const summary = JSON.parse(watch.lines.at(-1) as string);
    const live = JSON.parse(
      (await kube.request("GET", "/apis/networking.istio.io/v1/namespaces/default/virtualservices/tcp-echo"))
        .body,
    );
    expect(summary.verdict, summary.reason).toBe("PASS");
    expect(summary.expectationSource).toBe(
      `virtualservice/tcp-echo in default, resourceVersion ${live.metadata.resourceVersion}`,
    );
    await kube.apply(TUTORIAL);
    splitter.setBackends([
      { host: "127.0.0.1", port: one.ports[0] as number, weight: 80 },
      { host: "127.0.0.1", port: two.ports[0] as number, weight: 20 },
    ]);
  }, 30_000);

  it("follows the object during --wait: weights applied to it after the start become the split judged", async () => {
    // A target that answers one and two in turn (exactly 50:50), and applies 50:50 to the object once
    // the prober is probing, so that only a prober that follows the object can PASS.
    let connections = 0;
    let applied: Promise<void> | undefined;
    const alternating = await rogueServer((socket) => {
      connections += 1;
      applied ??= kube.apply(
        TUTORIAL.replace("weight: 80", "weight: 50").replace("weight: 20", "weight: 50"),
      );
      const prefix = connections % 2 === 0 ? "one" : "two";
      socket.on("data", (line: Buffer) => socket.write(Buffer.concat([Buffer.from(`${prefix} `), line])));
    });
    try {
      const run = await runProber(
        [
          "--expect-from",
          "virtualservice/tcp-echo",
          "--wait",
          "20",
          "--json",
          `127.0.0.1:${alternating.port}`,
        ],
        { KUBECONFIG: kube.adminKubeconfig, HOME: home, KUBERNETES_SERVICE_HOST: "" },
      );
      const report = JSON.parse(run.stdout);
      expect(report.verdict, report.reason).toBe("PASS");
      expect(report.expected).toEqual({ one: 0.5, two: 0.5 });
      expect(report.segments.some((s: { endedBy: string }) => s.endedBy === "expectation")).toBe(true);
      const live = JSON.parse(
        (
          await kube.request(
            "GET",
            "/apis/networking.istio.io/v1/namespaces/default/virtualservices/tcp-echo",
          )
        ).body,
      );
      expect(report.expectedFrom.resourceVersion).toBe(live.metadata.resourceVersion);
    } finally {
      await applied;
      await alternating.close();
      await kube.apply(TUTORIAL);
    }
  }, 40_000);

  it("says an object is not found in one line, exit code 66", async () => {
    const run = await prober(["--expect-from", "virtualservice/nowhere"]);
    expect(run.code).toBe(66);
    expect(run.stderr).toBe(
      "prober: virtualservices.networking.istio.io nowhere in namespace default: not found\n",
    );
  });

  it("says an object has no tcp route, exit code 65", async () => {
    const run = await prober(["--expect-from", "virtualservice/http-only"]);
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(
      /^prober: virtualservice\/http-only: VirtualService http-only has no tcp route\n$/,
    );
  });

  it("with the token of the chart's prober ServiceAccount (bound only to its Role): reads in its namespace, is forbidden elsewhere (77)", async () => {
    await helm([
      "install",
      "rbac",
      CHART,
      "--kubeconfig",
      kube.adminKubeconfig,
      "--set",
      "routing.mode=none",
      "--set",
      "test.target=service",
      "--set",
      "proberService.enabled=true",
    ]);
    const token = await kube.serviceAccountToken("rbac-tcp-echo-prober");
    const kubeconfig = kube.kubeconfigFor(token);
    const allowed = await prober(["--expect-from", "virtualservice/tcp-echo"], kubeconfig);
    expect(allowed.code, allowed.stderr).toBe(0);
    const tcpRoute = await prober(["--expect-from", "tcproute/route-v1"], kubeconfig);
    expect(tcpRoute.code, tcpRoute.stderr).toBe(0);
    const refused = await prober(
      ["--expect-from", "virtualservice/tcp-echo", "--namespace", "shop"],
      kubeconfig,
    );
    expect(refused.code).toBe(77);
    expect(refused.stderr).toMatch(
      /^prober: forbidden: .*cannot get resource "virtualservices" in API group "networking\.istio\.io" in the namespace "shop".*\(the prober needs get on virtualservices\.networking\.istio\.io\)\n$/,
    );
    await helm(["uninstall", "rbac", "--kubeconfig", kube.adminKubeconfig]);
  });

  it("says no cluster is configured, exit code 78", async () => {
    const run = await runProber(["--expect-from", "virtualservice/tcp-echo", target], {
      KUBECONFIG: "",
      HOME: home,
      KUBERNETES_SERVICE_HOST: "",
    });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/^prober: no cluster configured: set KUBECONFIG/);
  });

  it("says the API server cannot be reached, exit code 69", async () => {
    const closed = await freePort();
    const config = readFileSync(kube.adminKubeconfig, "utf8").replace(
      /https:\/\/127\.0\.0\.1:\d+/,
      `https://127.0.0.1:${closed}`,
    );
    const file = join(home, "unreachable.kubeconfig");
    writeFileSync(file, config);
    const run = await prober(["--expect-from", "virtualservice/tcp-echo"], file);
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(new RegExp(`^prober: cannot reach https://127\\.0\\.0\\.1:${closed}: `));
  });
});
