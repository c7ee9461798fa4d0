import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHART, helm } from "./support/helm-chart.js";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-apiserver.js";

/** The chart on a real kube-apiserver v1.34 with etcd and the real CRDs: install, shift, switch, uninstall. */
describe("the chart on a real API server", () => {
  let kube: KubeApiServer;
  const withCluster = (args: string[]) => helm([...args, "--kubeconfig", kube.adminKubeconfig]);
  const get = async (path: string) => kube.request("GET", path);
  const items = async (path: string) =>
    (JSON.parse((await get(path)).body).items ?? []) as { metadata: { name: string } }[];
  const ISTIO = "/apis/networking.istio.io/v1/namespaces/default";
  const GATEWAY_API = "/apis/gateway.networking.k8s.io/v1/namespaces/default";

  beforeAll(async () => {
    kube = await startKubeApiServer();
    await kube.applyCrds("istio.yaml", "networking.istio.io");
    await kube.applyCrds("gateway-api-standard-gateways.yaml", "gateway.networking.k8s.io");
    await kube.applyCrds("gateway-api-standard-tcproutes.yaml", "gateway.networking.k8s.io");
  }, 120_000);
  afterAll(async () => {
    await kube?.stop();
  });

  it("installs in istio mode: the tutorial's Gateway, DestinationRule and VirtualService at 80:20", async () => {
    await withCluster(["install", "tcp-echo", CHART]);
    const vs = JSON.parse((await get(`${ISTIO}/virtualservices/tcp-echo`)).body);
    expect(vs.spec.tcp[0].route.map((r: { weight: number }) => r.weight)).toEqual([80, 20]);
    expect((await get(`${ISTIO}/gateways/tcp-echo-gateway`)).status).toBe(200);
    expect((await get(`${ISTIO}/destinationrules/tcp-echo-destination`)).status).toBe(200);
  });

  it("shifts the weights by helm upgrade, as the tutorial does by kubectl apply", async () => {
    await withCluster([
      "upgrade",
      "tcp-echo",
      CHART,
      "--reuse-values",
      "--set",
      "versions.v1.weight=50",
      "--set",
      "versions.v2.weight=50",
    ]);
    const vs = JSON.parse((await get(`${ISTIO}/virtualservices/tcp-echo`)).body);
    expect(vs.spec.tcp[0].route.map((r: { weight: number }) => r.weight)).toEqual([50, 50]);
  });

  it("switches to gatewayAPI mode and leaves no Istio object behind", async () => {
    await withCluster(["upgrade", "tcp-echo", CHART, "--reuse-values", "--set", "routing.mode=gatewayAPI"]);
    expect((await get(`${ISTIO}/gateways/tcp-echo-gateway`)).status).toBe(404);
    expect((await get(`${ISTIO}/virtualservices/tcp-echo`)).status).toBe(404);
    expect((await get(`${GATEWAY_API}/gateways/tcp-echo-gateway-api`)).status).toBe(200);
    expect((await get(`${GATEWAY_API}/tcproutes/tcp-echo`)).status).toBe(200);
  });

  it("switches back to istio mode and leaves no Gateway API object behind", async () => {
    await withCluster(["upgrade", "tcp-echo", CHART, "--reuse-values", "--set", "routing.mode=istio"]);
    expect(await items(`${GATEWAY_API}/gateways`)).toEqual([]);
    expect(await items(`${GATEWAY_API}/tcproutes`)).toEqual([]);
    expect((await get(`${ISTIO}/gateways/tcp-echo-gateway`)).status).toBe(200);
  });

  it("leaves nothing behind after helm uninstall", async () => {
    await withCluster(["uninstall", "tcp-echo"]);
    for (const path of [
      `${ISTIO}/gateways`,
      `${ISTIO}/virtualservices`,
      `${ISTIO}/destinationrules`,
      `${GATEWAY_API}/gateways`,
      `${GATEWAY_API}/tcproutes`,
      "/apis/apps/v1/namespaces/default/deployments",
    ]) {
      expect(await items(path), path).toEqual([]);
    }
    const services = (await items("/api/v1/namespaces/default/services")).map((s) => s.metadata.name);
    expect(services.filter((name) => name !== "kubernetes")).toEqual([]);
  });

  it("installs prober serve with a random token in a Secret, kept by an upgrade", async () => {
    // The endpoints of the kubernetes Service, as an API server's endpoint reconciler (off here) writes them.
    // Endpoints may not be loopback: a documentation address (RFC 5737), only read by helm, never dialled.
    const apiPort = Number(new URL(kube.url).port);
    const endpoints = {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { name: "kubernetes", namespace: "default" },
      subsets: [
        { addresses: [{ ip: "192.0.2.10" }], ports: [{ name: "https", port: apiPort, protocol: "TCP" }] },
      ],
    };
    const created = await kube.request(
      "POST",
      "/api/v1/namespaces/default/endpoints",
      JSON.stringify(endpoints),
    );
    expect(created.status, created.body).toBe(201);
    await withCluster([
      "install",
      "guarded",
      CHART,
      "--set",
      "routing.mode=none",
      "--set",
      "test.target=service",
      "--set",
      "proberService.enabled=true",
    ]);
    const secret = JSON.parse(
      (await get("/api/v1/namespaces/default/secrets/guarded-tcp-echo-prober-token")).body,
    );
    const token = Buffer.from(secret.data.token, "base64").toString();
    expect(token).toMatch(/^[A-Za-z0-9]{40}$/);
    await withCluster(["upgrade", "guarded", CHART, "--reuse-values", "--set", "proberService.maxRate=200"]);
    const after = JSON.parse(
      (await get("/api/v1/namespaces/default/secrets/guarded-tcp-echo-prober-token")).body,
    );
    expect(Buffer.from(after.data.token, "base64").toString()).toBe(token);
  });

  it("installs prober serve's NetworkPolicy with the API server's address read from the cluster", async () => {
    const endpoints = JSON.parse((await get("/api/v1/namespaces/default/endpoints/kubernetes")).body);
    const policy = JSON.parse(
      (await get("/apis/networking.k8s.io/v1/namespaces/default/networkpolicies/guarded-tcp-echo-prober"))
        .body,
    );
    const apiServer = endpoints.subsets[0];
    expect(policy.spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: `${apiServer.addresses[0].ip}/32` } }],
      ports: [{ port: apiServer.ports[0].port, protocol: "TCP" }],
    });
    expect(
      policy.spec.ingress[0].from.map(
        (peer: { namespaceSelector: { matchLabels: Record<string, string> } }) =>
          peer.namespaceSelector.matchLabels,
      ),
    ).toEqual([
      { "kubernetes.io/metadata.name": "argo-rollouts" },
      { "kubernetes.io/metadata.name": "flagger-system" },
    ]);
    await withCluster(["uninstall", "guarded"]);
  });

  it("installs a 53-character release in gatewayAPI mode (every name a valid DNS label)", async () => {
    const release = "r".repeat(53);
    await withCluster(["install", release, CHART, "--set", "routing.mode=gatewayAPI"]);
    await withCluster(["uninstall", release]);
  });

  it("on the standard channel, refuses the old v1alpha2 TCPRoute and takes the default v1", async () => {
    await expect(
      withCluster([
        "install",
        "old-route",
        CHART,
        "--set",
        "routing.mode=gatewayAPI",
        "--set",
        "routing.gatewayAPI.tcpRouteVersion=v1alpha2",
      ]),
    ).rejects.toThrow(/no matches for kind "TCPRoute" in version "gateway\.networking\.k8s\.io\/v1alpha2"/);
    await withCluster(["uninstall", "old-route"]).catch(() => undefined);
    await withCluster(["install", "new-route", CHART, "--set", "routing.mode=gatewayAPI"]);
    expect(JSON.parse((await get(`${GATEWAY_API}/tcproutes/new-route-tcp-echo`)).body).apiVersion).toBe(
      "gateway.networking.k8s.io/v1",
    );
    await withCluster(["uninstall", "new-route"]);
  });

  it("on the experimental channel, takes v1alpha2 as well", async () => {
    await kube.applyCrds("gateway-api-experimental-tcproutes.yaml", "gateway.networking.k8s.io");
    await withCluster([
      "install",
      "old-route",
      CHART,
      "--set",
      "routing.mode=gatewayAPI",
      "--set",
      "routing.gatewayAPI.tcpRouteVersion=v1alpha2",
    ]);
    await withCluster(["uninstall", "old-route"]);
  });
});
