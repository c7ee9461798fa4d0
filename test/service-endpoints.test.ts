import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readServiceEndpoints } from "../prober/endpoints/service-endpoints.js";
import { adminGet, metricValue } from "./support/admin-client.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { CHART, helm } from "./support/helm-chart.js";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-apiserver.js";
import { type L4Gateway, startGateway } from "./support/l4-gateway.js";
import { addLocalAddresses, type LocalAddresses } from "./support/local-addresses.js";
import { runProber, runProberJson } from "./support/prober-process.js";
import { post, type ServeProcess, startServe } from "./support/prober-serve.js";
import { versionBackends } from "./support/two-version-gateway.js";

/** Connections the server has accepted so far, from its metrics. */
async function connections(server: EchoServerProcess): Promise<number> {
  const { body } = await adminGet(server.adminPort as number, "/metrics");
  return metricValue(body, "tcp_echo_connections_total");
}

/** Resolves once the server has accepted more than `before` connections (polled on its metrics). */
async function reached(server: EchoServerProcess, before: number): Promise<void> {
  while ((await connections(server)) <= before) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** One EndpointSlice of Service `gateway` holding one endpoint: its address, target port, pod and readiness. */
const slice = (name: string, address: string, port: number, pod: string, ready = true) => `
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${name}
  namespace: ingress
  labels: { kubernetes.io/service-name: gateway }
addressType: IPv4
ports: [{ name: tcp, port: ${port}, protocol: TCP }]
endpoints:
  - addresses: ["${address}"]
    conditions: { ready: ${ready} }
    targetRef: { kind: Pod, name: ${pod}, namespace: ingress }
`;

const SERVICE = `
apiVersion: v1
kind: Namespace
metadata: { name: ingress }
---
apiVersion: v1
kind: Service
metadata: { name: gateway, namespace: ingress }
spec:
  ports:
    - { name: tcp, port: 31400, targetPort: tcp }
    - { name: status, port: 15021 }
`;

/**
 * A Service's EndpointSlices on a real kube-apiserver, written as the EndpointSlice controller would
 * (no controller runs here): three gateway replicas, each an nginx on an address of its own (a dummy
 * interface the test adds: an EndpointSlice refuses loopback), one of them stale at 100:0, and a replica
 * that is not ready.
 */
describe("prober --each-endpoint service/NAME:PORT, on a real kube-apiserver with etcd", {
  timeout: 90_000,
}, () => {
  let kube: KubeApiServer;
  let servers: EchoServerProcess[] = [];
  const replicas: L4Gateway[] = [];
  let local: LocalAddresses | undefined;
  const address = (i: number) => local?.addresses[i] as string;
  const home = mkdtempSync(join(tmpdir(), "tcp-echo-home-"));
  const env = () => ({ KUBECONFIG: kube.adminKubeconfig, HOME: home, KUBERNETES_SERVICE_HOST: "" });
  const pods = ["gateway-7d9f-a1", "gateway-7d9f-b2", "gateway-7d9f-c3"];
  const stale = () => `${address(2)}:${replicas[2]?.port} (${pods[2]})`;
  const escaped = (text: string) => text.replace(/[.()]/g, "\\$&");

  beforeAll(async () => {
    local = await addLocalAddresses("tefleet0", 0, 4);
    kube = await startKubeApiServer();
    // The stale replica routes to a `one` of its own, whose metrics tell when the prober reached it.
    servers = await Promise.all([
      startEchoServerProcess("0", "one"),
      startEchoServerProcess("0", "two"),
      startEchoServerProcess("0", "one", ["--admin-port", "0"]),
    ]);
    const [one, two, staleOne] = servers as [EchoServerProcess, EchoServerProcess, EchoServerProcess];
    const routes = [
      versionBackends([one, two], [80, 20]),
      versionBackends([one, two], [80, 20]),
      versionBackends([staleOne, two], [100, 0]),
    ];
    for (const [i, route] of routes.entries()) {
      replicas.push(await startGateway("nginx", route, { listenHost: address(i) }));
    }
    await kube.apply(SERVICE);
    for (const [i, replica] of replicas.entries()) {
      await kube.apply(slice(`gateway-${i}`, address(i), replica.port, pods[i] as string));
    }
    // Not ready (a pod still starting, or terminating): not probed.
    await kube.apply(slice("gateway-starting", address(3), 9, "gateway-7d9f-d4", false));
  }, 120_000);
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await Promise.all(servers.map((server) => server.stop()));
    await kube?.stop();
    await local?.remove();
    rmSync(home, { recursive: true, force: true });
  });

  it("reads the ready endpoints at the port's target port, each with its pod", async () => {
    process.env.KUBECONFIG = kube.adminKubeconfig;
    try {
      const endpoints = await readServiceEndpoints(
        { name: "gateway", port: "tcp" },
        { namespace: "ingress" },
      );
      expect(endpoints).toEqual(
        replicas.map((replica, i) => ({ host: address(i), port: replica.port, pod: pods[i] })),
      );
    } finally {
      delete process.env.KUBECONFIG;
    }
  });

  it("FAILs the stale replica by address and pod name, exit code 1", async () => {
    const run = await runProber(
      ["--expect", "80:20", "--each-endpoint", "service/gateway:tcp", "--namespace", "ingress"],
      env(),
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout.split("\n").at(-1)).toMatch(
      new RegExp(`^FAIL: 1 of 3 endpoints FAIL: ${escaped(stale())}: one 100\\.0% of \\d+ replies`),
    );
    expect(run.stdout).toMatch(new RegExp(`${address(2)}:${replicas[2]?.port}\\s+${pods[2]}\\s+100\\.0%`));
  });

  it("takes --namespace as the Service's with --expect-from a file", async () => {
    const manifest = fileURLToPath(new URL("./fixtures/tutorial-virtualservice-80-20.yaml", import.meta.url));
    const run = await runProber(
      ["--expect-from", manifest, "--each-endpoint", "service/gateway:tcp", "--namespace", "ingress"],
      env(),
    );
    expect(run.stderr).toBe("");
    expect(run.stdout.split("\n").at(-1)).toMatch(/^FAIL: 1 of 3 endpoints FAIL: /);
  });

  it("takes the port by number too, and the Service's namespace from --endpoints-namespace", async () => {
    const { report } = await runProberJson(
      ["--expect", "80:20", "--each-endpoint", "svc/gateway:31400", "--endpoints-namespace", "ingress"],
      env(),
    );
    expect(report.endpoints.map((e: { endpoint: { pod: string } }) => e.endpoint.pod).sort()).toEqual(pods);
    expect(report.named).toEqual([stale()]);
  });

  it("reports a replica that left the fleet during a --wait, and PASSes on those that stayed", async () => {
    const before = await connections(servers[2] as EchoServerProcess);
    const wait = runProberJson(
      [
        "--expect",
        "80:20",
        "--wait",
        "60",
        "--each-endpoint",
        "service/gateway:tcp",
        "--namespace",
        "ingress",
      ],
      env(),
    );
    // The stale replica's pod is deleted once the prober probes it: its EndpointSlice goes with it. Under
    // --wait its FAIL does not end the run, so the prober sees it leave at its next read (every 2 s).
    await reached(servers[2] as EchoServerProcess, before);
    await kube.request("DELETE", "/apis/discovery.k8s.io/v1/namespaces/ingress/endpointslices/gateway-2");
    const { code, report } = await wait;
    await kube.apply(slice("gateway-2", address(2), replicas[2]?.port as number, pods[2] as string));
    expect(report.endpoints.find((e: { name: string }) => e.name === stale())?.goneAtMs).not.toBeNull();
    expect(report.verdict, report.reason).toBe("PASS");
    expect(report.reason).toContain(`${stale()} left the fleet during the run`);
    expect(code).toBe(0);
  });

  it("refuses a Service that does not exist, exit code 66", async () => {
    const run = await runProber(
      ["--expect", "80:20", "--each-endpoint", "service/nothing", "--namespace", "ingress"],
      env(),
    );
    expect(run.code).toBe(66);
    expect(run.stderr).toBe("prober: service nothing in namespace ingress: not found\n");
  });

  it("refuses a port the Service does not have, naming its ports, exit code 66", async () => {
    const run = await runProber(
      ["--expect", "80:20", "--each-endpoint", "service/gateway:http", "--namespace", "ingress"],
      env(),
    );
    expect(run.code).toBe(66);
    expect(run.stderr).toBe(
      "prober: service gateway in namespace ingress has no port http (its ports: tcp (31400), status (15021))\n",
    );
  });

  it("asks which port of a Service with several, exit code 65", async () => {
    const run = await runProber(
      ["--expect", "80:20", "--each-endpoint", "service/gateway", "--namespace", "ingress"],
      env(),
    );
    expect(run.code).toBe(65);
    expect(run.stderr).toMatch(
      /has 2 ports \(tcp \(31400\), status \(15021\)\): name one, as service\/NAME:PORT/,
    );
  });

  it("is forbidden without RBAC to read the Service, naming what it needs, exit code 77", async () => {
    await kube.apply(
      "apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: nobody, namespace: ingress }\n",
    );
    const token = await kube.serviceAccountToken("nobody", "ingress");
    const run = await runProber(["--expect", "80:20", "--each-endpoint", "service/gateway:tcp"], {
      ...env(),
      KUBECONFIG: kube.kubeconfigFor(token, "ingress"),
    });
    expect(run.code).toBe(77);
    expect(run.stderr).toMatch(
      /^prober: forbidden: .*cannot get resource "services".*\(the prober needs get on services and list on endpointslices\.discovery\.k8s\.io\)\n$/,
    );
  });

  it("with the chart's helm-test ServiceAccount (gatewayEndpoints): reads that Service's endpoints, no other Service", async () => {
    await kube.apply(SERVICE.replace("name: gateway, namespace: ingress", "name: other, namespace: ingress"));
    await helm([
      ...["install", "fleet", CHART, "--kubeconfig", kube.adminKubeconfig],
      ...["--set", "routing.mode=none", "--set", "test.target=service"],
      ...["--set", "gatewayEndpoints.service=gateway:tcp", "--set", "gatewayEndpoints.namespace=ingress"],
    ]);
    try {
      const token = await kube.serviceAccountToken("fleet-tcp-echo-prober-test");
      const kubeconfig = kube.kubeconfigFor(token);
      const allowed = await runProber(
        ["--expect", "80:20", "--each-endpoint", "service/gateway:tcp", "--endpoints-namespace", "ingress"],
        { ...env(), KUBECONFIG: kubeconfig },
      );
      expect(allowed.stdout.split("\n").at(-1), allowed.stderr).toMatch(/^FAIL: 1 of 3 endpoints FAIL/);
      const other = await runProber(
        ["--expect", "80:20", "--each-endpoint", "service/other:tcp", "--endpoints-namespace", "ingress"],
        { ...env(), KUBECONFIG: kubeconfig },
      );
      expect(other.code).toBe(77);
      expect(other.stderr).toMatch(
        /cannot get resource "services" in API group "" in the namespace "ingress"/,
      );
    } finally {
      await helm(["uninstall", "fleet", "--kubeconfig", kube.adminKubeconfig]);
    }
  });

  describe("prober serve, checking every endpoint of the Service", () => {
    let serve: ServeProcess | undefined;
    // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
    const answer = async (path: string, body: unknown): Promise<{ status: number; body: any }> => {
      const response = await post(`${serve?.url}${path}`, JSON.stringify(body));
      return { status: response.status, body: await response.json() };
    };
    const fleet = { eachEndpoint: "service/gateway:tcp", namespace: "ingress", expect: "80:20" };

    beforeAll(async () => {
      // Allowed: the Service by name at its port, which allows its endpoints; nothing else.
      serve = await startServe(["--allow-target", "gateway.ingress:31400", "--max-rate", "100000"], env());
    });
    afterAll(async () => {
      await serve?.stop();
    });

    it("POST /verify answers 200 with a report per endpoint, the stale one named", async () => {
      const { status, body } = await answer("/verify", fleet);
      expect(status).toBe(200);
      expect(body.verdict).toBe("FAIL");
      expect(body.named).toEqual([stale()]);
      expect(body.endpoints.map((e: { endpoint: { pod: string } }) => e.endpoint.pod)).toEqual(pods);
    });

    it("POST /flagger answers 412 for the fleet's FAIL", async () => {
      const { status, body } = await answer("/flagger", { metadata: fleet });
      expect(status).toBe(412);
      expect(body.summary).toBe(`FAIL: ${body.reason}`);
      expect(body.reason).toMatch(new RegExp(`^1 of 3 endpoints FAIL: ${escaped(stale())}: one 100\\.0%`));
    });

    it("refuses a Service the allowlist does not name, 403", async () => {
      const { status, body } = await answer("/verify", { ...fleet, eachEndpoint: "service/other:tcp" });
      expect(status).toBe(403);
      expect(body.error).toMatch(/^target other\.ingress:31400 is not allowed here/);
    });

    it("answers 400 for a Service that does not exist", async () => {
      const { status, body } = await answer("/verify", { ...fleet, eachEndpoint: "service/nothing" });
      expect(status).toBe(400);
      expect(body.error).toBe("service nothing in namespace ingress: not found");
    });

    it("refuses listed targets the allowlist does not name, 403", async () => {
      const { status } = await answer("/verify", {
        targets: [`${address(0)}:${replicas[0]?.port}`],
        expect: "80:20",
      });
      expect(status).toBe(403);
    });
  });
});
