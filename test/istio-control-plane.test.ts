import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../devtools/free-port.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { CHART, helm, parseManifests } from "./support/helm-chart.js";
import {
  envoyLikeBackends,
  type IstioTcpListener,
  istioAnalysis,
  istioGatewayConfig,
} from "./support/istio-control-plane.js";
import { type L4Gateway, startGateway } from "./support/l4-gateway.js";
import { runProberJson } from "./support/prober-process.js";

// What is Istio's code here: the parsing and validation of the chart's Gateway, VirtualService and
// DestinationRule, istiod's translation of them into the ingress gateway's Envoy config (sent over a real
// ADS stream), and `istioctl analyze`'s analyzers. What is a stand-in: the pods and EndpointSlices
// (derived from the rendered Deployments and Services, as Kubernetes would make them) and the data plane
// (nginx stream `random`, configured from the weights and endpoints Istio computed).

const TUTORIAL_PORT = 31400;

/** `helm template` of the chart as text, as `kubectl apply` would get it. */
const render = (sets: string[] = [], { release = "tcp-echo", namespace = "default" } = {}) =>
  helm(["template", release, CHART, "-n", namespace, ...sets.flatMap((s) => ["--set", s])]);

/** Rewrites the first line matching `from` after the line that opens `kind`'s document. */
function breakObject(manifests: string, kind: string, from: RegExp, to: string): string {
  const start = manifests.indexOf(`\nkind: ${kind}\n`);
  expect(start).toBeGreaterThan(0);
  const head = manifests.slice(0, start);
  const rest = manifests.slice(start);
  expect(rest).toMatch(from);
  return head + rest.replace(from, to);
}

function tutorialListener(listeners: IstioTcpListener[]): IstioTcpListener {
  const listener = listeners.find((l) => l.port === TUTORIAL_PORT);
  if (!listener) throw new Error(`no listener on ${TUTORIAL_PORT}: ${JSON.stringify(listeners)}`);
  return listener;
}

describe("istiod's translation of the chart's objects for the ingress gateway", () => {
  const shifts: [number, number][] = [
    [100, 0],
    [80, 20],
    [50, 50],
    [0, 100],
  ];
  const cases = shifts.flatMap(([w1, w2]) =>
    ["default", "prod"].map((namespace) => ({ w1, w2, namespace, release: "tcp-echo", replicas: 1 })),
  );
  // 63 characters after the chart's suffix: the longest name the chart gives a Service.
  cases.push({
    w1: 80,
    w2: 20,
    namespace: "payments",
    release: "canary-verification-of-the-payments-team",
    replicas: 2,
  });

  it.each(cases)(
    "gives the gateway's tcp_proxy $w1:$w2 to each version's own pods (release $release, namespace $namespace)",
    async ({ w1, w2, namespace, release, replicas }) => {
      const manifests = await render(
        [
          `versions.v1.weight=${w1}`,
          `versions.v2.weight=${w2}`,
          `versions.v1.replicas=${replicas}`,
          `versions.v2.replicas=${replicas}`,
        ],
        { release, namespace },
      );
      const service = parseManifests(manifests).find((o) => o.kind === "Service")?.metadata.name;
      const config = await istioGatewayConfig(manifests, namespace);
      expect(config.warnings).toEqual([]);
      const listener = tutorialListener(config.listeners);
      // Istio drops a route of weight 0: the other version's cluster is then the tcp_proxy's only one.
      const weights = Object.fromEntries(
        Object.entries({ v1: w1, v2: w2 }).filter(([, weight]) => weight > 0),
      );
      expect(Object.fromEntries(listener.clusters.map((c) => [c.name, c.weight]))).toEqual(
        Object.fromEntries(
          Object.entries(weights).map(([version, weight]) => [
            `outbound|9000|${version}|${service}.${namespace}.svc.cluster.local`,
            weight,
          ]),
        ),
      );
      for (const cluster of listener.clusters) {
        const version = cluster.name.split("|")[2];
        expect(cluster.endpoints).toHaveLength(replicas);
        for (const e of cluster.endpoints) {
          expect(e.labels).toMatchObject({ version, "app.kubernetes.io/instance": release });
          expect(e.port).toBe(9000);
        }
      }
    },
  );
});

describe("a broken chart is caught by istiod's translation or by Istio's analyzer", () => {
  it("a Gateway selector that matches no gateway pod: no listener, and IST0101 on the Gateway", async () => {
    const manifests = await render(["routing.istio.gatewaySelector.istio=nothing"]);
    expect((await istioGatewayConfig(manifests)).listeners).toEqual([]);
    expect((await istioAnalysis(manifests)).messages).toContainEqual(
      expect.objectContaining({
        code: "IST0101",
        level: "Error",
        origin: expect.stringMatching(/^\(Gateway /),
      }),
    );
  });

  it("a subset whose labels match no pod: its cluster has no endpoints, and IST0173", async () => {
    const manifests = breakObject(await render(), "DestinationRule", /version: v2\n/, "version: v3\n");
    const listener = tutorialListener((await istioGatewayConfig(manifests)).listeners);
    expect(listener.clusters.find((c) => c.name.includes("|v2|"))?.endpoints).toEqual([]);
    expect((await istioAnalysis(manifests)).messages).toContainEqual(
      expect.objectContaining({ code: "IST0173", level: "Error" }),
    );
  });

  it("a VirtualService host that is not the Service: clusters without endpoints, and IST0101", async () => {
    const manifests = breakObject(
      await render(),
      "VirtualService",
      /host: tcp-echo\n/g,
      "host: tcp-echo-typo\n",
    );
    const listener = tutorialListener((await istioGatewayConfig(manifests)).listeners);
    expect(listener.clusters.map((c) => c.endpoints)).toEqual([[], []]);
    expect((await istioAnalysis(manifests)).messages).toContainEqual(
      expect.objectContaining({ code: "IST0101", text: 'Referenced host not found: "tcp-echo-typo"' }),
    );
  });
});

describe("Istio's analyzer (istioctl analyze's) on the chart", () => {
  it("reports nothing for the default values", async () => {
    const analysis = await istioAnalysis(await render());
    expect(analysis).toEqual({ messages: [], skipped: [] });
  });

  it("reports nothing with the prober service and the Argo Rollouts templates", async () => {
    const manifests = await render([
      "proberService.enabled=true",
      "argoRollouts.analysisTemplate.enabled=true",
    ]);
    expect((await istioAnalysis(manifests, "default")).messages).toEqual([]);
  });

  it("would report the deprecated sidecar annotation the chart's pods used to carry (IST0135)", async () => {
    // The test pod as it was: the setting as an annotation instead of a label.
    const labelled = '    sidecar.istio.io/inject: "false"\n  annotations:\n    helm.sh/hook: test\n';
    const manifests = await render();
    expect(manifests).toContain(labelled);
    const annotated = manifests.replace(
      labelled,
      '  annotations:\n    sidecar.istio.io/inject: "false"\n    helm.sh/hook: test\n',
    );
    expect((await istioAnalysis(annotated)).messages).toEqual([
      expect.objectContaining({ code: "IST0135", level: "Info" }),
    ]);
  });
});

describe("chart → istiod → gateway → prober: the split Istio computed holds at a real gateway", () => {
  let servers: EchoServerProcess[] = [];
  let gateway: L4Gateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    gateway = undefined;
    servers = [];
  });

  /**
   * Starts an echo server per endpoint Istio gave the gateway, with its pod's Deployment's prefix, and an
   * nginx whose per-endpoint weights reproduce Envoy's choice: a cluster by weight, then an endpoint of it
   * (a cluster without endpoints at a free port, where connections are refused).
   */
  async function dataPlaneFor(manifests: string): Promise<string> {
    const listener = tutorialListener((await istioGatewayConfig(manifests)).listeners);
    const deployments = parseManifests(manifests).filter((o) => o.kind === "Deployment");
    const ports = new Map<string, number>();
    for (const e of listener.clusters.flatMap((c) => c.endpoints)) {
      const owner = deployments.find((d) => e.pod.startsWith(`${d.metadata.name}-`));
      const server = await startEchoServerProcess("0", owner?.spec.template.spec.containers[0].args[1]);
      servers.push(server);
      ports.set(e.pod, server.ports[0] as number);
    }
    const backends = envoyLikeBackends(listener.clusters, (e) => ({ port: ports.get(e.pod) as number }), {
      port: await freePort(),
    });
    gateway = await startGateway("nginx", backends);
    return `127.0.0.1:${gateway.port}`;
  }

  it("PASSes the chart's 80:20 through the gateway Istio configured", async () => {
    const target = await dataPlaneFor(await render());
    const { code, report } = await runProberJson(["--expect", "80:20", target]);
    expect(report.verdict).toBe("PASS");
    expect(code).toBe(0);
  });

  it("PASSes 50:50 with two v1 pods and one v2 pod behind Istio's clusters", async () => {
    const target = await dataPlaneFor(
      await render(["versions.v1.weight=50", "versions.v2.weight=50", "versions.v1.replicas=2"]),
    );
    const { report } = await runProberJson(["--expect", "50:50", target]);
    expect(report.verdict).toBe("PASS");
  });
});
