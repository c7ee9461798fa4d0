import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { freePort } from "../devtools/free-port.js";
import { runProbeCampaign } from "../prober/campaign/probe-campaign.js";
import { parseExpectation } from "../prober/expectations/expectation.js";
import { PROBER_CLI, spawnTracked, type TrackedProcess } from "./support/child-processes.js";
import { converse } from "./support/conversation.js";
import { canaryExamples } from "./support/documented-examples.js";
import { CHART, type Manifest, renderChart } from "./support/helm-chart.js";
import { followIstioGateway, type IstioFollowingGateway } from "./support/istio-following-gateway.js";
import { useLocalCluster } from "./support/local-cluster.js";
import { cutFromApiServer } from "./support/pod-partition.js";
import { runProber } from "./support/prober-process.js";
import { preparedTool } from "./support/test-tools.js";

/**
 * The tutorial on a real single-node cluster (scripts/local-cluster.sh): kubelet, containerd, kube-proxy
 * and CoreDNS, with Traefik as the Gateway API implementation. The chart is installed under the
 * tutorial's release name, its pods really run, Traefik routes its TCPRoute, and the prober checks the
 * split from the host and, as `helm test`, from inside the cluster.
 */
const cluster = useLocalCluster();
const NAMESPACE = "tutorial";
const IMAGE = [
  "--set",
  "image.repository=tcp-echo-local/tcp-echo",
  "--set",
  "image.tag=dev",
  "--set",
  "image.pullPolicy=Never",
];

const asSets = (sets: string[]) => sets.flatMap((set) => ["--set", set]);

/** helm install/upgrade of the chart as `tcp-echo` in `namespace` with the image made here and `args`, waiting for its pods. */
const helmRelease = (verb: "install" | "upgrade", namespace: string, args: string[]) =>
  cluster.helm([verb, "tcp-echo", CHART, "-n", namespace, ...IMAGE, ...args, "--wait", "--timeout", "180s"]);

/** helm install/upgrade of the tutorial's release with the Traefik values and `sets`. */
const release = (verb: "install" | "upgrade", sets: string[] = []) =>
  helmRelease(verb, NAMESPACE, ["-f", `${CHART}/values-traefik.yaml`, ...asSets(sets)]);

/** Creates `namespace` and installs the chart there with `sets`. */
async function installIn(namespace: string, sets: string[]) {
  await cluster.kubectl(["create", "namespace", namespace]);
  await helmRelease("install", namespace, asSets(sets));
}

/** The chart for prober serve and the Service alone: no routing, one version taking every connection. */
const SERVICE_ONLY = [
  "routing.mode=none",
  "test.target=service",
  "versions.v2=null",
  "versions.v1.weight=100",
];

/** The status condition `type` of a cluster object, as its controller wrote it. */
async function condition(resource: string, type: string, path = ".status.conditions"): Promise<string> {
  const json = await cluster.kubectl(["-n", NAMESPACE, "get", resource, "-o", "json"]);
  const object = JSON.parse(json);
  const conditions =
    path === ".status.conditions"
      ? (object.status?.conditions ?? [])
      : (object.status?.parents?.[0]?.conditions ?? []);
  return conditions.find((c: { type: string }) => c.type === type)?.status ?? "absent";
}

/** Polls until `check` is true (the controllers act asynchronously), at most `limitMs`. */
async function eventually(what: string | (() => string), check: () => Promise<boolean>, limitMs = 120_000) {
  const deadline = performance.now() + limitMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline)
      throw new Error(`${typeof what === "string" ? what : what()}: not within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Opens a connection, sends one line and resolves with the reply line. */
function firstReply(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.write("hello\n"));
    createInterface({ input: socket }).once("line", (line) => {
      socket.destroy();
      resolve(line);
    });
    socket.once("error", reject);
  });
}

/** `prober --expect EXPECT --json` (and `extra`) run on the node against the namespace's Service `service` (its ClusterIP). */
async function proberAtService(
  namespace: string,
  expect: string,
  extra: string[] = [],
  service = "tcp-echo",
) {
  const clusterIp = await cluster.kubectl([
    "-n",
    namespace,
    "get",
    "service",
    service,
    "-o",
    "jsonpath={.spec.clusterIP}",
  ]);
  const run = await cluster.onNode(process.execPath, [
    PROBER_CLI,
    "--expect",
    expect,
    "--json",
    ...extra,
    `${clusterIp}:9000`,
  ]);
  return { code: run.code, report: JSON.parse(run.stdout) };
}

const gateway = () => `${cluster.nodeIp}:${cluster.gatewayPort}`;
const kubeEnv = () => ({ KUBECONFIG: cluster.kubeconfig, KUBERNETES_SERVICE_HOST: "" });

describe("the chart on a real node with Traefik, under the tutorial's release name", {
  timeout: 300_000,
}, () => {
  it("runs v1 and v2 to Ready in a namespace that enforces Pod Security restricted", async () => {
    await cluster.kubectl(["create", "namespace", NAMESPACE]);
    await cluster.kubectl(["label", "namespace", NAMESPACE, "pod-security.kubernetes.io/enforce=restricted"]);
    await release("install");
    const pods = JSON.parse(
      await cluster.kubectl([
        "-n",
        NAMESPACE,
        "get",
        "pods",
        "-l",
        "app.kubernetes.io/instance=tcp-echo",
        "-o",
        "json",
      ]),
    );
    const ready = pods.items.filter((pod: { status: { conditions?: { type: string; status: string }[] } }) =>
      pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    );
    expect(
      ready.map((pod: { metadata: { labels: { version: string } } }) => pod.metadata.labels.version).sort(),
    ).toEqual(["v1", "v2"]);
  });

  it("gives each version's Service an endpoint", async () => {
    for (const version of ["v1", "v2"]) {
      const slices = JSON.parse(
        await cluster.kubectl([
          "-n",
          NAMESPACE,
          "get",
          "endpointslices",
          "-l",
          `kubernetes.io/service-name=tcp-echo-${version}`,
          "-o",
          "json",
        ]),
      );
      const addresses = slices.items.flatMap((s: { endpoints?: { addresses: string[] }[] }) =>
        (s.endpoints ?? []).flatMap((e) => e.addresses),
      );
      expect(addresses, version).toHaveLength(1);
    }
  });

  it("has its Gateway Programmed and its TCPRoute Accepted with resolved refs, as Traefik wrote them", async () => {
    await eventually(
      "Gateway Programmed",
      async () => (await condition("gateway/tcp-echo-gateway-api", "Programmed")) === "True",
    );
    expect(await condition("tcproute/tcp-echo", "Accepted", "parents")).toBe("True");
    expect(await condition("tcproute/tcp-echo", "ResolvedRefs", "parents")).toBe("True");
  });

  it("PASSes 80:20 through Traefik from the host, the weights read from the TCPRoute", async () => {
    const run = await runProber(
      ["--expect-from", "tcproute/tcp-echo", "--namespace", NAMESPACE, "--wait", "60", "--json", gateway()],
      kubeEnv(),
    );
    const report = JSON.parse(run.stdout);
    expect(report.verdict, report.reason).toBe("PASS");
    expect(run.code).toBe(0);
  });

  it("splits by exact weighted round robin: 1,000 connections one after another give v1 800 (±1)", async () => {
    let one = 0;
    for (let i = 0; i < 1000; i++)
      if ((await firstReply(cluster.nodeIp, cluster.gatewayPort)).startsWith("one ")) one++;
    expect(Math.abs(one - 800)).toBeLessThanOrEqual(1);
  });

  it("passes helm test: the prober pod checks the gateway from inside the cluster", async () => {
    const output = await cluster.helm(["test", "tcp-echo", "-n", NAMESPACE, "--logs", "--timeout", "180s"]);
    expect(output).toMatch(/Phase:\s+Succeeded/);
    expect(output).toMatch(/^PASS/m);
  });

  it("PASSes a helm upgrade to 50:50 with --wait, dating when the new weights reached Traefik", async () => {
    let upgrading: Promise<unknown> | undefined;
    const report = await runProbeCampaign({
      host: cluster.nodeIp,
      port: cluster.gatewayPort,
      expected: parseExpectation("50:50"),
      followChanges: true,
      durationMs: 120_000,
      onProgress: ({ probes }) => {
        if (probes === 300 && upgrading === undefined)
          upgrading = release("upgrade", ["versions.v1.weight=50", "versions.v2.weight=50"]);
      },
    });
    await upgrading;
    expect(report.verdict, report.reason).toBe("PASS");
    expect(report.segments.length, JSON.stringify(report.segments)).toBeGreaterThanOrEqual(2);
    expect(report.convergedAfterMs).not.toBeNull();
  });

  it("fails helm test when the gateway no longer holds the chart's split, the report in the pod's log", async () => {
    const weights = [
      { op: "replace", path: "/spec/rules/0/backendRefs/0/weight", value: 90 },
      { op: "replace", path: "/spec/rules/0/backendRefs/1/weight", value: 10 },
    ];
    await cluster.kubectl([
      "-n",
      NAMESPACE,
      "patch",
      "tcproute",
      "tcp-echo",
      "--type",
      "json",
      "-p",
      JSON.stringify(weights),
    ]);
    const failed = await cluster
      .helm(["test", "tcp-echo", "-n", NAMESPACE, "--logs", "--timeout", "180s"])
      .then(
        () => "",
        (error: Error) => error.message,
      );
    expect(failed).toMatch(/failed/);
    const log = await cluster.kubectl(["-n", NAMESPACE, "logs", "tcp-echo-prober-test"]);
    expect(log).toMatch(/^FAIL/m);
  });

  it("watches the tutorial's shift 100:0 → 80:20 → 50:50 → 0:100 by helm upgrade: every step seen, exit 0", async () => {
    await release("upgrade", ["versions.v1.weight=100", "versions.v2.weight=0"]);
    const watch = spawnTracked(
      process.execPath,
      [
        PROBER_CLI,
        "watch",
        gateway(),
        "--expect-steps",
        "100:0,80:20,50:50,0:100",
        "--rate",
        "1000",
        "--duration",
        "240",
        "--json",
      ],
      kubeEnv(),
    );
    const next = [
      [80, 20],
      [50, 50],
      [0, 100],
    ];
    for (const [step, [v1, v2]] of next.entries()) {
      await watch.waitForLine(
        (line) => line.includes('"event":"step"') && line.includes(`"step":${step}`),
        `step ${step + 1}`,
      );
      await release("upgrade", [`versions.v1.weight=${v1}`, `versions.v2.weight=${v2}`]);
    }
    const code = await watch.exited;
    const summary = JSON.parse(watch.lines.at(-1) as string);
    expect(summary.verdict, summary.reason).toBe("PASS");
    expect(code).toBe(0);
  });
});

/**
 * A gateway fleet on the real node: Traefik scaled to five replicas behind its Service, one of them cut
 * off from the API server (its packets to the kubernetes Service dropped in its own network namespace,
 * as a partition from the control plane would) after it took 100:0. helm upgrade then shifts the chart's
 * TCPRoute to 80:20: four replicas take it, the fifth goes on routing everything to v1.
 */
describe("every Traefik replica verified on its own, one cut off from the API server", {
  timeout: 600_000,
}, () => {
  const REPLICAS = 5;
  const FLEET = [
    "gatewayEndpoints.service=traefik:tcp",
    "gatewayEndpoints.namespace=traefik",
    // prober serve and the AnalysisTemplates, for one AnalysisRun of Argo's own controller.
    "proberService.enabled=true",
    "argoRollouts.analysisTemplate.enabled=true",
  ];
  const EACH = ["--each-endpoint", "service/traefik:tcp", "--endpoints-namespace", "traefik"];
  let lift: (() => Promise<void>) | undefined;
  let stale = { ip: "", pod: "" };
  const staleName = () => `${stale.ip}:${cluster.gatewayPort} (${stale.pod})`;
  const escaped = (text: string) => text.replace(/[.()]/g, "\\$&");
  /** The prober on the node, where the replicas' pod addresses answer, reading the cluster as its admin. */
  const proberOnNode = async (args: string[]) => {
    const run = await cluster.onNode(process.execPath, [PROBER_CLI, ...args], kubeEnv());
    return { ...run, lastLine: run.stdout.split("\n").at(-1) ?? "" };
  };
  // --install: the tutorial's block installs the release, but this block may run alone (vitest -t).
  const shift = (v1: number, v2: number) =>
    helmRelease("upgrade", NAMESPACE, [
      "--install",
      ...["-f", `${CHART}/values-traefik.yaml`],
      ...asSets([`versions.v1.weight=${v1}`, `versions.v2.weight=${v2}`, ...FLEET]),
    ]);

  beforeAll(async () => {
    const namespaces = await cluster.kubectl(["get", "namespaces", "-o", "name"]);
    if (!namespaces.includes(`namespace/${NAMESPACE}\n`))
      await cluster.kubectl(["create", "namespace", NAMESPACE]);
    await cluster.kubectl(["-n", "traefik", "scale", "deployment/traefik", `--replicas=${REPLICAS}`]);
    await cluster.kubectl(["-n", "traefik", "rollout", "status", "deployment/traefik", "--timeout=180s"]);
    await shift(100, 0);
  }, 300_000);
  afterAll(async () => {
    await lift?.();
    await cluster.kubectl(["-n", "traefik", "scale", "deployment/traefik", "--replicas=1"]);
    await cluster.kubectl(["-n", "traefik", "rollout", "status", "deployment/traefik", "--timeout=180s"]);
  }, 300_000);

  it("PASSes 100:0 on each of the five replicas, each named by its pod", async () => {
    const run = await proberOnNode(["--expect", "100:0", "--wait", "60", ...EACH, "--json"]);
    const report = JSON.parse(run.stdout);
    expect(report.verdict, report.reason).toBe("PASS");
    expect(report.endpoints).toHaveLength(REPLICAS);
    const pods: string[] = report.endpoints.map((e: { endpoint: { pod: string } }) => e.endpoint.pod);
    expect(pods.every((pod) => pod.startsWith("traefik-"))).toBe(true);
    stale = { ip: report.endpoints[0].endpoint.host, pod: pods[0] as string };
  });

  it("shifts the other four replicas to 80:20 by helm upgrade while the fifth is cut off", async () => {
    const service = JSON.parse(await cluster.kubectl(["get", "service", "kubernetes", "-o", "json"]));
    lift = await cutFromApiServer("traefik", stale.ip, { ip: service.spec.clusterIP, port: 443 });
    await shift(80, 20);
    const endpoints = JSON.parse(
      await cluster.kubectl([
        "-n",
        "traefik",
        "get",
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=traefik",
        "-o",
        "json",
      ]),
    );
    const others = endpoints.items
      .flatMap((slice: { endpoints: { addresses: string[] }[] }) =>
        slice.endpoints.map((e) => e.addresses[0]),
      )
      .filter((ip: string) => ip !== stale.ip)
      .map((ip: string) => `${ip}:${cluster.gatewayPort}`);
    expect(others).toHaveLength(REPLICAS - 1);
    const run = await proberOnNode(["--expect", "80:20", "--wait", "90", "--targets", others.join(",")]);
    expect(run.lastLine, run.stdout).toMatch(/^PASS: every endpoint PASSes: 4 of 4/);
  });

  it("does not FAIL the mix through Traefik's Service: the stale replica hides in the average", async () => {
    const run = await proberOnNode(["--expect", "80:20", "--max-probes", "4000", "--json", gateway()]);
    const report = JSON.parse(run.stdout);
    expect(report.verdict, report.reason).not.toBe("FAIL");
    expect(report.shares.one).toBeGreaterThan(0.8);
  });

  it("FAILs per endpoint, naming the stale replica by address and pod", async () => {
    const run = await proberOnNode(["--expect", "80:20", ...EACH]);
    expect(run.code, run.stdout).toBe(1);
    expect(run.lastLine).toMatch(
      new RegExp(
        `^FAIL: 1 of 5 endpoints FAIL: ${escaped(staleName())}: one 100\\.0% of \\d+ replies: shown above its band's edge 85\\.0%`,
      ),
    );
  });

  it("fails helm test per endpoint, the stale replica named in the pod's report", async () => {
    const test = cluster.helm(["test", "tcp-echo", "-n", NAMESPACE, "--logs", "--timeout", "180s"]);
    await expect(test).rejects.toThrow(new RegExp(`FAIL: 1 of 5 endpoints FAIL: ${escaped(staleName())}`));
  });

  it("fails an AnalysisRun of Argo Rollouts' own controller, its measurement naming the stale replica", async () => {
    const template = JSON.parse(
      await cluster.kubectl(["-n", NAMESPACE, "get", "analysistemplate", "tcp-echo-split-web", "-o", "json"]),
    );
    const run = {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "AnalysisRun",
      metadata: { name: "every-replica", namespace: NAMESPACE },
      spec: {
        args: [
          ...template.spec.args.filter((arg: { name: string }) => arg.name !== "expect"),
          { name: "expect", value: "80:20" },
        ],
        metrics: template.spec.metrics,
      },
    };
    await cluster.kubectl(["apply", "-f", "-"], JSON.stringify(run));
    let status: { phase?: string; metricResults?: { measurements?: { value?: string }[] }[] } = {};
    await eventually(
      () => `AnalysisRun every-replica ended (${status.phase})`,
      async () => {
        const object = JSON.parse(
          await cluster.kubectl(["-n", NAMESPACE, "get", "analysisrun", "every-replica", "-o", "json"]),
        );
        status = object.status ?? {};
        return ["Successful", "Failed", "Error", "Inconclusive"].includes(status.phase ?? "");
      },
      180_000,
    );
    expect(status.phase).toBe("Failed");
    // Argo stores the value as JSON: a string in quotes.
    const value = status.metricResults?.[0]?.measurements?.[0]?.value ?? "null";
    expect(JSON.parse(value)).toMatch(new RegExp(`^FAIL: 1 of 5 endpoints FAIL: ${escaped(staleName())}`));
  });

  it("PASSes every replica with --wait once the partition is lifted", async () => {
    await lift?.();
    const run = await proberOnNode(["--expect", "80:20", "--wait", "180", ...EACH, "--json"]);
    const report = JSON.parse(run.stdout);
    expect(report.verdict, report.reason).toBe("PASS");
    expect(report.endpoints.map((e: { verdict: string }) => e.verdict)).toEqual(Array(REPLICAS).fill("PASS"));
  });

  it("passes helm test per endpoint once every replica holds the split", async () => {
    const output = await cluster.helm(["test", "tcp-echo", "-n", NAMESPACE, "--logs", "--timeout", "180s"]);
    expect(output).toMatch(/^PASS: every endpoint PASSes: 5 of 5/m);
  });

  it("watches 100:0 → 80:20 → 50:50 on each replica: each one's steps in order, and when each step reached all", async () => {
    await shift(100, 0);
    const fleetWatch = spawnTracked(
      "nsenter",
      [
        `--net=/run/netns/${cluster.netns}`,
        "--",
        process.execPath,
        PROBER_CLI,
        "watch",
        ...EACH,
        "--expect-steps",
        "100:0,80:20,50:50",
        "--rate",
        "1000",
        "--duration",
        "300",
        "--json",
      ],
      kubeEnv(),
    );
    const stepsSeen = (step: number) =>
      fleetWatch.waitForLine(
        () =>
          fleetWatch.lines.filter((l) => l.includes('"event":"step"') && l.includes(`"step":${step},`))
            .length >= REPLICAS,
        `step ${step + 1} on every replica`,
      );
    await stepsSeen(0);
    await shift(80, 20);
    await stepsSeen(1);
    await shift(50, 50);
    const code = await fleetWatch.exited;
    const events = fleetWatch.lines.map((line) => JSON.parse(line));
    const summary = events.at(-1);
    expect(summary.event).toBe("fleet-summary");
    expect(summary.verdict, summary.reason).toBe("PASS");
    expect(code).toBe(0);
    for (const endpoint of summary.endpoints) {
      const steps = events
        .filter((e) => e.event === "step" && e.endpoint === endpoint.endpoint)
        .map((e) => e.step);
      expect(steps).toEqual([0, 1, 2]);
    }
    expect(summary.steps.map((s: { reached: number }) => s.reached)).toEqual([REPLICAS, REPLICAS, REPLICAS]);
  });
});

describe("kube-proxy's split, test.target service: replicas make the weights", { timeout: 300_000 }, () => {
  it("passes helm test against the Service when 4 v1 pods and 1 v2 pod make a real 80:20", async () => {
    // --wait: kube-proxy may program the three new v1 pods' endpoints some time after they are available
    // (beside the whole suite on 2 cores, one run's helm test failed within 8 s; alone, every run passed).
    await release("upgrade", [
      "test.target=service",
      "versions.v1.replicas=4",
      "versions.v2.replicas=1",
      "test.extraArgs={--wait=30}",
    ]);
    const output = await cluster.helm(["test", "tcp-echo", "-n", NAMESPACE, "--logs", "--timeout", "180s"]);
    expect(output).toMatch(/Phase:\s+Succeeded/);
    expect(output).toMatch(/^PASS/m);
  });

  it("FAILs 80:20 through the Service at one pod each, probed from the node", async () => {
    await release("upgrade", ["test.target=service", "versions.v1.replicas=1", "versions.v2.replicas=1"]);
    // kube-proxy may still send a moment of connections to the three v1 pods going away (seen under load:
    // the split changed near probe 1,248): --wait follows that change and FAILs the 1:1 that follows.
    const { code, report } = await proberAtService(NAMESPACE, "80:20", ["--wait", "10"]);
    expect(report.verdict, report.reason).toBe("FAIL");
    expect(code).toBe(1);
  });
});

/** Runs `prober watch --expect 80:20` through the gateway while `disturb` runs, then until `after` more probes. */
async function watchWhile(disturb: () => Promise<unknown>, after = 1000) {
  const watch = spawnTracked(
    process.execPath,
    [PROBER_CLI, "watch", gateway(), "--expect", "80:20", "--rate", "300", "--json"],
    kubeEnv(),
  );
  const probesSoFar = () =>
    watch.lines
      .filter((line) => line.includes('"event":"window"'))
      .reduce((sum, line) => sum + JSON.parse(line).probes, 0);
  await watch.waitForLine((line) => line.includes('"event":"window"'), "the watch's first window");
  await disturb();
  const target = probesSoFar() + after;
  await watch.waitForLine(
    (line) => line.includes('"event":"summary"') || probesSoFar() >= target,
    `${after} probes after`,
  );
  // A watch that ended on its own (errors, say) has printed its summary: only a running one is stopped.
  if (!watch.lines.some((line) => line.includes('"event":"summary"'))) watch.child.kill("SIGINT");
  const code = await watch.exited;
  const events = watch.lines.map((line) => JSON.parse(line));
  const failed = events.filter((e) => e.event === "window").reduce((sum, e) => sum + e.failed, 0);
  return { code, summary: events.at(-1), failed };
}

/** `kubectl rollout restart` of both versions' Deployments, until both have rolled out. */
async function rollBoth() {
  await cluster.kubectl([
    "-n",
    NAMESPACE,
    "rollout",
    "restart",
    "deployment/tcp-echo-v1",
    "deployment/tcp-echo-v2",
  ]);
  for (const version of ["v1", "v2"])
    await cluster.kubectl([
      "-n",
      NAMESPACE,
      "rollout",
      "status",
      `deployment/tcp-echo-${version}`,
      "--timeout=120s",
    ]);
}

describe("faults on the real node, as the prober reports them", { timeout: 300_000 }, () => {
  it("ends a watch with ERROR, naming the failed probes, when the only v2 pod is deleted", async () => {
    await release("upgrade", [
      "versions.v1.weight=80",
      "versions.v2.weight=20",
      "versions.v1.replicas=1",
      "versions.v2.replicas=1",
    ]);
    const { code, summary } = await watchWhile(() =>
      cluster.kubectl(["-n", NAMESPACE, "delete", "pod", "-l", "version=v2", "--wait=false"]),
    );
    expect(summary.verdict, summary.reason).toBe("ERROR");
    expect(summary.reason).toMatch(/% of probes failed \(/);
    expect(code).toBe(3);
  });

  it("loses no probe while both Deployments roll (the preStop sleep keeps a stopping pod serving)", async () => {
    await cluster.kubectl(["-n", NAMESPACE, "rollout", "status", "deployment/tcp-echo-v2", "--timeout=120s"]);
    const { failed, summary } = await watchWhile(rollBoth);
    expect(failed, summary.reason).toBe(0);
    expect(summary.verdict, summary.reason).toBe("PASS");
  });

  it("answers every line of the conversations in flight while a Deployment rolls, each closed cleanly", async () => {
    const conversations = await Promise.all(
      Array.from({ length: 8 }, () => converse(cluster.nodeIp, cluster.gatewayPort)),
    );
    await rollBoth();
    const results = await Promise.all(conversations.map((c) => c.ended));
    for (const result of results) {
      expect(result.reset, JSON.stringify(result)).toBe(false);
      // A line still on its way when the server closes is the only one that may go unanswered.
      expect(result.sent - result.answered, JSON.stringify(result)).toBeLessThanOrEqual(1);
      expect(result.wrongReplies).toBe(0);
    }
  });

  it("keeps one pod of each version serving through a node drain, the PDB holding the rest", async () => {
    await release("upgrade", [
      "versions.v1.replicas=2",
      "versions.v2.replicas=2",
      "podDisruptionBudget.enabled=true",
    ]);
    let drain = "";
    const { failed, summary } = await watchWhile(async () => {
      drain = await cluster
        .kubectl([
          "drain",
          "tcp-echo-node",
          "--pod-selector=app.kubernetes.io/instance=tcp-echo",
          "--delete-emptydir-data",
          "--timeout=20s",
        ])
        .then(
          () => "drained",
          (error: Error) => error.message,
        );
    });
    await cluster.kubectl(["uncordon", "tcp-echo-node"]);
    expect(drain).toMatch(/disruption budget/);
    expect(failed, summary.reason).toBe(0);
    expect(summary.verdict, summary.reason).toBe("PASS");
  });
});

describe("scripts/local-cluster.sh up refuses in one line, exit 2, leaving nothing behind", () => {
  const SCRIPT = fileURLToPath(new URL("../scripts/local-cluster.sh", import.meta.url));
  /** Runs `up` with its state in a fresh directory that must not exist afterwards. */
  async function refusedUp(wrap: string[], env: NodeJS.ProcessEnv = {}) {
    const parent = mkdtempSync(join(tmpdir(), "tcp-echo-cluster-"));
    const state = join(parent, "state");
    const line = [...wrap, "bash", SCRIPT, "up"];
    const proc = spawnTracked(line[0] as string, line.slice(1), { TCP_ECHO_CLUSTER_STATE: state, ...env });
    const code = await proc.exited;
    const left = existsSync(state);
    rmSync(parent, { recursive: true, force: true });
    return { code, stderr: proc.stderr(), left };
  }

  it("when it is already up", async () => {
    const run = await refusedUp([]);
    expect(run).toEqual({
      code: 2,
      stderr: expect.stringMatching(/^local-cluster: already up .*\n$/),
      left: false,
    });
  });

  // /usr/sbin left out of PATH: runc, iptables and conntrack are there.
  it("when a tool is missing, naming its Debian package", async () => {
    const run = await refusedUp(["env", "PATH=/usr/bin"]);
    expect(run).toEqual({
      code: 2,
      stderr: expect.stringMatching(/^local-cluster: \S+ is missing \(Debian: .*\)\n$/),
      left: false,
    });
  });

  it("when not run as root", async () => {
    const run = await refusedUp(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]);
    expect(run).toEqual({
      code: 2,
      stderr: "local-cluster: must run as root (it makes a network namespace, mounts and cgroups)\n",
      left: false,
    });
  });
});

/** The chart's preStop hook as it renders it, for the pods the controllers below run and copy. */
let chartLifecycle: Manifest;
beforeAll(async () => {
  const deployment = (await renderChart()).find((object) => object.kind === "Deployment");
  chartLifecycle = deployment?.spec.template.spec.containers[0].lifecycle;
});

/**
 * The pod spec of an echo server of the image made here, answering with `prefix`, Ready once it serves,
 * and serving for a while after it is told to stop with the chart's own preStop hook (Flagger copies it
 * into its primary Deployment: Kubernetes' sleep action, which its API drops, made the copy invalid).
 */
const echoPodSpec = (prefix: string) => ({
  enableServiceLinks: false,
  securityContext: { runAsNonRoot: true, runAsUser: 10001 },
  containers: [
    {
      name: "tcp-echo",
      image: "tcp-echo-local/tcp-echo:dev",
      imagePullPolicy: "Never",
      args: ["9000,9001", prefix],
      env: [{ name: "TCP_ECHO_ADMIN_PORT", value: "9100" }],
      ports: [{ containerPort: 9000 }, { name: "admin", containerPort: 9100 }],
      readinessProbe: { httpGet: { path: "/readyz", port: "admin" }, periodSeconds: 1 },
      lifecycle: chartLifecycle,
    },
  ],
});

/** A Rollout of the echo image answering with `prefix`: Argo's basic canary, weights by replica counts. */
const rollout = (prefix: string, steps: { weight: number; expect: string }[]) => `
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: { name: tcp-echo, namespace: ${CANARY} }
spec:
  replicas: 5
  # As the chart's Deployments (minReadySeconds): a step completes once kube-proxy has had time to add
  # the new pod, so the analysis does not begin on the old endpoints.
  minReadySeconds: 3
  selector:
    matchLabels: { app.kubernetes.io/instance: tcp-echo, app.kubernetes.io/component: rollout }
  template:
    metadata:
      labels:
        app: tcp-echo
        app.kubernetes.io/name: tcp-echo
        app.kubernetes.io/instance: tcp-echo
        app.kubernetes.io/component: rollout
    spec: ${JSON.stringify(echoPodSpec(prefix))}
  strategy:
    canary:
      steps:
${steps
  .map(
    ({ weight, expect }) => `        - setWeight: ${weight}
        - analysis:
            templates: [{ templateName: tcp-echo-split-web }]
            args: [{ name: expect, value: "${expect}" }, { name: target, value: "tcp-echo:9000" }]`,
  )
  .join("\n")}
`;
const CANARY = "canary";

/**
 * The Rollout's phase as Argo's controller reports it, once it is `phase` (or fails naming the last one
 * and, since Argo keeps only the verdict, the reasons prober serve logged for its checks).
 */
async function rolloutReaches(phase: string, limitMs = 180_000, namespace = CANARY) {
  let last = "";
  const reached = eventually(
    () => `Rollout ${phase} (last: ${last})`,
    async () => {
      const object = JSON.parse(
        await cluster.kubectl(["-n", namespace, "get", "rollout", "tcp-echo", "-o", "json"]),
      );
      last = `${object.status?.phase}: ${object.status?.message ?? ""}`;
      return (
        object.status?.phase === phase &&
        object.status?.observedGeneration === String(object.metadata.generation)
      );
    },
    limitMs,
  );
  await reached.catch(async (error: Error) => {
    const checks = (await serveLog(new Date(0).toISOString(), namespace).catch(() => []))
      .filter((line) => line.msg === "check")
      .map((line) => `${line.verdict} (${line.reason})`);
    throw new Error(`${error.message}; prober serve's checks: ${checks.join("; ") || "none"}`);
  });
}

const analysisRunPhases = async (namespace = CANARY) =>
  JSON.parse(await cluster.kubectl(["-n", namespace, "get", "analysisruns", "-o", "json"])).items.map(
    (run: { status?: { phase?: string } }) => run.status?.phase,
  );

/**
 * AnalysisRuns made from the chart's web AnalysisTemplate (its token argument from the chart's Secret),
 * the check's body given `body`; `errorLimit` 0 ends a run at its first Error measurement, `timeoutSeconds`
 * is Argo's HTTP timeout. Argo's controller runs them as it runs a Rollout's analysis step.
 */
async function webAnalysisRuns(
  prefix: string,
  count: number,
  body: Record<string, unknown>,
  options: { errorLimit?: number; timeoutSeconds?: number } = {},
): Promise<string[]> {
  const template = JSON.parse(
    await cluster.kubectl(["-n", CANARY, "get", "analysistemplate", "tcp-echo-split-web", "-o", "json"]),
  );
  const [split] = template.spec.metrics;
  split.provider.web.jsonBody = { ...split.provider.web.jsonBody, ...body };
  if (options.timeoutSeconds !== undefined) split.provider.web.timeoutSeconds = options.timeoutSeconds;
  if (options.errorLimit !== undefined) split.consecutiveErrorLimit = options.errorLimit;
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i + 1}`);
  const runs = names.map((name) => ({
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AnalysisRun",
    metadata: { name, namespace: CANARY },
    spec: {
      args: [
        ...template.spec.args.filter((arg: { name: string }) => arg.name === "token"),
        { name: "target", value: "tcp-echo:9000" },
        { name: "expect", value: "0:100" },
      ],
      metrics: [split],
    },
  }));
  await cluster.kubectl(
    ["apply", "-f", "-"],
    JSON.stringify({ apiVersion: "v1", kind: "List", items: runs }),
  );
  return names;
}

/** Each AnalysisRun once every one of them has ended, as Argo's controller recorded it. */
async function endedAnalysisRuns(names: string[]) {
  let runs: {
    status?: { phase?: string; metricResults?: { measurements?: { phase: string; message?: string }[] }[] };
  }[] = [];
  await eventually(
    () => `AnalysisRuns ${names.join(", ")} ended (${runs.map((run) => run.status?.phase).join(", ")})`,
    async () => {
      runs = await Promise.all(
        names.map(async (name) =>
          JSON.parse(await cluster.kubectl(["-n", CANARY, "get", "analysisrun", name, "-o", "json"])),
        ),
      );
      return runs.every((run) =>
        ["Successful", "Failed", "Error", "Inconclusive"].includes(run.status?.phase ?? ""),
      );
    },
    180_000,
  );
  return runs.map((run) => ({
    phase: run.status?.phase,
    measurements: run.status?.metricResults?.[0]?.measurements ?? [],
  }));
}

/** prober serve's log lines (pino JSON: `time` in ms) from `since`, an RFC 3339 time, on to the millisecond. */
async function serveLog(since: string, namespace = CANARY): Promise<Record<string, unknown>[]> {
  const text = await cluster.kubectl([
    "-n",
    namespace,
    "logs",
    "deploy/tcp-echo-prober",
    `--since-time=${since}`,
  ]);
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))
    .filter((line) => line.time >= Date.parse(since));
}

describe("Argo Rollouts' own controller, each step verified by prober serve in the cluster", {
  timeout: 420_000,
}, () => {
  it("takes a canary 100:0 → 80:20 → 40:60 → 0:100 to Healthy, every AnalysisRun Successful", async () => {
    await installIn(CANARY, [
      ...SERVICE_ONLY,
      "versions.v1.replicas=0",
      "proberService.enabled=true",
      "argoRollouts.analysisTemplate.enabled=true",
    ]);
    await cluster.kubectl(["apply", "-f", "-"], rollout("one", [{ weight: 20, expect: "80:20" }]));
    await rolloutReaches("Healthy");
    await cluster.kubectl(
      ["apply", "-f", "-"],
      rollout("two", [
        { weight: 20, expect: "80:20" },
        { weight: 60, expect: "40:60" },
      ]),
    );
    await rolloutReaches("Healthy", 300_000);
    expect(await analysisRunPhases()).toEqual(["Successful", "Successful"]);
  });

  it("aborts a step whose split is not the one expected, back to the stable version, which the prober confirms", async () => {
    // The canary `one` at 20% of the replicas, while the analysis expects one at 80%.
    await cluster.kubectl(["apply", "-f", "-"], rollout("one", [{ weight: 20, expect: "80:20" }]));
    await rolloutReaches("Degraded", 300_000);
    const phases = await analysisRunPhases();
    expect(phases.filter((phase: string) => phase === "Failed")).toHaveLength(1);
    await eventually("the Service back to the stable version's 5 pods", async () => {
      const slices = JSON.parse(
        await cluster.kubectl([
          "-n",
          CANARY,
          "get",
          "endpointslices",
          "-l",
          "kubernetes.io/service-name=tcp-echo",
          "-o",
          "json",
        ]),
      );
      const ready = slices.items.flatMap((s: { endpoints?: { conditions: { ready?: boolean } }[] }) =>
        (s.endpoints ?? []).filter((e) => e.conditions.ready),
      );
      return ready.length === 5;
    });
    // kube-proxy may still send a connection to the canary's pod, which serves until its preStop ends.
    const { report } = await proberAtService(CANARY, "0:100", ["--wait", "10"]);
    expect(report.verdict, report.reason).toBe("PASS");
  });

  it("leaves the reason of a refused check in prober serve's log, where Argo records only the status", async () => {
    const since = new Date().toISOString();
    const names = await webAnalysisRuns("refused", 1, { expect: "eighty" }, { errorLimit: 0 });
    const [run] = await endedAnalysisRuns(names);
    expect(run?.phase).toBe("Error");
    expect(run?.measurements.map((m) => m.message).join(" ")).toMatch(/400/);
    const refusals = (await serveLog(since)).filter((line) => line.msg === "refused");
    expect(refusals.map((line) => line.error)).toContainEqual(
      expect.stringContaining('"eighty" is not a weight'),
    );
  });

  it("ends six AnalysisRuns at once Successful against a server that runs four checks at a time", async () => {
    const since = new Date().toISOString();
    // Each check lasts at least 4 s (400 probes at 100 a second), so all six overlap; its wait of 8 s
    // leaves room for a loaded node (at 500 probes and 7 s, one run ended Inconclusive beside the suite).
    const names = await webAnalysisRuns("crowd", 6, { rate: 100, minProbes: 400, wait: 8 });
    const runs = await endedAnalysisRuns(names);
    expect(runs.map((run) => run.phase)).toEqual(Array(6).fill("Successful"));
    const tooMany = (await serveLog(since)).filter((line) => line.reason === "too_many");
    expect(
      tooMany.length,
      "no check was refused: the runs did not exceed the server's limit",
    ).toBeGreaterThan(0);
  });

  it("stops the check of a caller that gives up: Argo's 2 s timeout ends an 8 s check", async () => {
    const since = new Date().toISOString();
    // 50:50 never holds at the Service (all v2): the check would run its whole wait of 8 s.
    const names = await webAnalysisRuns(
      "abandoned",
      1,
      { expect: "50:50", wait: 8 },
      { errorLimit: 0, timeoutSeconds: 2 },
    );
    const [run] = await endedAnalysisRuns(names);
    expect(run?.phase).toBe("Error");
    const checks = (await serveLog(since)).filter((line) => line.msg === "check");
    expect(checks).toHaveLength(1);
    expect(checks[0]?.durationMs as number).toBeLessThan(6000);
  });
});

const MESH = "mesh";

/** docs/kubernetes.md's Rollout as written, in `MESH`, answering with `prefix` from the image made here. */
function documentedRollout(prefix: string): string {
  const rollout = parse(canaryExamples().find((yaml) => /^kind: Rollout$/m.test(yaml)) as string);
  rollout.metadata.namespace = MESH;
  const [container] = rollout.spec.template.spec.containers;
  Object.assign(container, { image: "tcp-echo-local/tcp-echo:dev", imagePullPolicy: "Never" });
  container.args[1] = prefix;
  return stringify(rollout);
}

describe("Argo Rollouts' Istio traffic router on the chart's objects, the gateway following istiod's translation", {
  timeout: 420_000,
}, () => {
  // No Envoy runs here: the gateway is nginx, configured from what istiod's code computes from the
  // VirtualService and DestinationRule as Argo rewrites them (test/support/istio-following-gateway.ts).
  let gateway: IstioFollowingGateway | undefined;
  afterAll(async () => {
    await gateway?.stop();
  });
  const proberAtGateway = (args: string[]) =>
    runProber([...args, "--json", (gateway as IstioFollowingGateway).target], kubeEnv());

  it("takes the documented Rollout from one to two: each setWeight reaches the gateway, each AnalysisRun Successful", async () => {
    await installIn(MESH, [
      "argoRollouts.rollout.enabled=true",
      "versions.v1.weight=100",
      "versions.v2.weight=0",
      "proberService.enabled=true",
      "argoRollouts.analysisTemplate.enabled=true",
      // The stand-in gateway follows the objects by polling and reloading (seconds beside the whole suite,
      // where one step's 8 s check ended Inconclusive): the checks may wait longer than for istiod's push.
      "proberService.maxCheckSeconds=25",
      "argoRollouts.analysisTemplate.timeoutSeconds=30",
    ]);
    gateway = await followIstioGateway(cluster, MESH, 31400);
    await cluster.kubectl(["apply", "-f", "-"], documentedRollout("one"));
    await rolloutReaches("Healthy", 180_000, MESH);
    await cluster.kubectl(["apply", "-f", "-"], documentedRollout("two"));
    await rolloutReaches("Paused", 300_000, MESH);
    expect(await analysisRunPhases(MESH)).toEqual(["Successful", "Successful"]);
    const { applied } = gateway;
    expect(applied.indexOf("v1=80,v2=20"), applied.join(" → ")).toBeGreaterThan(-1);
    expect(applied.indexOf("v1=50,v2=50"), applied.join(" → ")).toBeGreaterThan(
      applied.indexOf("v1=80,v2=20"),
    );
  });

  it("PASSes at the pause with the weights the prober reads from the VirtualService Argo wrote", async () => {
    const run = await proberAtGateway(["--expect-from", "virtualservice/tcp-echo", "--namespace", MESH]);
    const report = JSON.parse(run.stdout);
    expect(report.verdict, report.reason).toBe("PASS");
    expect(report.expected).toMatchObject({ one: 0.5, two: 0.5 });
  });

  it("ends Healthy once promoted, every connection through the gateway on two", async () => {
    await cluster.kubectl([
      "-n",
      MESH,
      "patch",
      "rollout",
      "tcp-echo",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"pauseConditions":null}}',
    ]);
    await rolloutReaches("Healthy", 180_000, MESH);
    await eventually(
      () => `the gateway at v1=100 (applied: ${gateway?.applied.join(" → ")})`,
      async () => gateway?.applied.at(-1) === "v1=100",
    );
    const report = JSON.parse((await proberAtGateway(["--expect", "0:100"])).stdout);
    expect(report.verdict, report.reason).toBe("PASS");
  });
});

const BLUE_GREEN = "blue-green";

/** A Deployment `echo` of the image made here, answering with `prefix`: Flagger's target. */
const echoDeployment = (prefix: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: echo, namespace: ${BLUE_GREEN} }
spec:
  replicas: 2
  selector: { matchLabels: { app: echo } }
  template:
    metadata: { labels: { app: echo } }
    spec: ${JSON.stringify(echoPodSpec(prefix))}
`;

/**
 * The Canary's phase as Flagger wrote it, once it is `phase` (or fails naming the last one and the last
 * lines of `flagger`'s log, where it says what it waits for).
 */
async function canaryReaches(phase: string, flagger: TrackedProcess, limitMs = 240_000) {
  let last = "";
  await eventually(
    () =>
      `Canary ${phase} (last: ${last}); Flagger's log ends: ${flagger.stderr().trim().split("\n").slice(-3).join(" | ")}`,
    async () => {
      const canary = JSON.parse(
        await cluster.kubectl(["-n", BLUE_GREEN, "get", "canary", "echo", "-o", "json"]),
      );
      last = `${canary.status?.phase} after ${canary.status?.failedChecks ?? 0} failed checks`;
      return canary.status?.phase === phase;
    },
    limitMs,
  );
}

describe("Flagger's own controller (kubernetes provider, blue/green), each iteration checked by prober serve's /flagger", {
  timeout: 420_000,
}, () => {
  let flagger: TrackedProcess;
  it("promotes a canary whose checks PASS: every connection to the Service then on two", async () => {
    await installIn(BLUE_GREEN, [
      ...SERVICE_ONLY,
      "versions.v1.replicas=0",
      "proberService.enabled=true",
      "proberService.allowTargets={echo-canary:9000}",
    ]);
    // Flagger runs on the node, outside the cluster as its --kubeconfig allows: it calls the webhook at
    // prober serve's ClusterIP (the node resolves no cluster names), and its webhooks carry no headers,
    // so the chart's token goes in the metadata.
    const proberIp = await cluster.kubectl([
      "-n",
      BLUE_GREEN,
      "get",
      "service",
      "tcp-echo-prober",
      "-o",
      "jsonpath={.spec.clusterIP}",
    ]);
    const token = Buffer.from(
      await cluster.kubectl([
        "-n",
        BLUE_GREEN,
        "get",
        "secret",
        "tcp-echo-prober-token",
        "-o",
        "jsonpath={.data.token}",
      ]),
      "base64",
    ).toString();
    flagger = spawnTracked("nsenter", [
      `--net=/run/netns/${cluster.netns}`,
      "--",
      preparedTool("flagger"),
      `-kubeconfig=${cluster.kubeconfig}`,
      "-mesh-provider=kubernetes",
      `-namespace=${BLUE_GREEN}`,
      "-metrics-server=http://127.0.0.1:9",
      `-port=${await freePort()}`,
      "-log-level=info",
      "-control-loop-interval=2s",
    ]);
    await cluster.kubectl(["apply", "-f", "-"], echoDeployment("one"));
    await cluster.kubectl(
      ["apply", "-f", "-"],
      stringify({
        apiVersion: "flagger.app/v1beta1",
        kind: "Canary",
        metadata: { name: "echo", namespace: BLUE_GREEN },
        spec: {
          provider: "kubernetes",
          targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "echo" },
          progressDeadlineSeconds: 120,
          service: { port: 9000 },
          analysis: {
            interval: "5s",
            threshold: 2,
            iterations: 2,
            webhooks: [
              {
                name: "split-at-the-canary",
                type: "rollout",
                url: `http://${proberIp}:8080/flagger`,
                timeout: "10s",
                metadata: { target: "echo-canary:9000", expect: "0:100", token },
              },
            ],
          },
        },
      }),
    );
    await canaryReaches("Initialized", flagger);
    await cluster.kubectl(["apply", "-f", "-"], echoDeployment("two"));
    await canaryReaches("Succeeded", flagger);
    const { report } = await proberAtService(BLUE_GREEN, "0:100", [], "echo");
    expect(report.verdict, report.reason).toBe("PASS");
  });

  it("rolls back a canary whose checks get 412, the Service still on the primary's two", async () => {
    const since = new Date().toISOString();
    // The canary answers `three` where its check expects only `two`: FAIL, which /flagger answers 412.
    await cluster.kubectl(["apply", "-f", "-"], echoDeployment("three"));
    await canaryReaches("Failed", flagger);
    const checks = (await serveLog(since, BLUE_GREEN)).filter((line) => line.msg === "check");
    expect(checks.map((line) => [line.status, line.verdict])).toContainEqual([412, "FAIL"]);
    const { report } = await proberAtService(BLUE_GREEN, "0:100", [], "echo");
    expect(report.verdict, report.reason).toBe("PASS");
  });
});

const GUARDED = "guarded";

/** A pod `client` in `namespace` that listens on 7000 (answering `hello`) and otherwise idles. */
const clientPod = (namespace: string) =>
  stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "client", namespace },
    spec: {
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 10001 },
      containers: [
        {
          name: "client",
          image: "tcp-echo-local/tcp-echo:dev",
          imagePullPolicy: "Never",
          command: ["node", "-e", "require('net').createServer((s) => s.end('hello\\n')).listen(7000)"],
        },
      ],
    },
  });

/** Run in a pod: prints `reached` when a TCP connection to HOST:PORT opens within 3 s, else `unreachable`. */
const CONNECT = `const [host, port] = process.argv.slice(1);
const s = require('net').connect({ host, port: Number(port) });
const end = (word) => { console.log(word); process.exit(0); };
s.once('connect', () => end('reached'));
s.once('error', () => end('unreachable'));
s.setTimeout(3000, () => end('unreachable'));`;

describe("the chart's NetworkPolicy for prober serve, enforced on the node by kube-router", {
  timeout: 420_000,
}, () => {
  // The bridge CNI plugin enforces no NetworkPolicy: kube-router's firewall alone (no routing, no
  // service proxy) runs on the node for this block. Its iptables rules and ipsets outlive it (its
  // --cleanup-config panics in v2.1.0 after cleaning them, in the service proxy's part): this block is
  // the file's last, and they go with the node's network namespace when the cluster is removed.
  let router: ReturnType<typeof spawnTracked> | undefined;
  afterAll(async () => {
    if (router && router.child.exitCode === null) {
      router.child.kill("SIGTERM");
      await router.exited;
    }
  });
  const connect = (namespace: string, pod: string, host: string, port: number) =>
    cluster
      .kubectl(["-n", namespace, "exec", pod, "--", "node", "-e", CONNECT, host, String(port)])
      .then((output) => output.trim());
  const serve = `tcp-echo-prober.${GUARDED}.svc`;

  it("admits only the namespaces in callerNamespaces to serve, where any pod reached it before", async () => {
    await installIn(GUARDED, [
      ...SERVICE_ONLY,
      "proberService.enabled=true",
      "proberService.networkPolicy.callerNamespaces={callers}",
      // The local cluster's CoreDNS runs as non-root on 1053 (its Service maps 53 there): with the
      // default 53 the policy, which sees the pod's port, shut DNS out and the prober resolved nothing.
      "proberService.networkPolicy.dnsPorts={1053}",
    ]);
    for (const namespace of ["callers", "outsiders"]) {
      await cluster.kubectl(["create", "namespace", namespace]);
      await cluster.kubectl(["apply", "-f", "-"], clientPod(namespace));
      await cluster.kubectl([
        "-n",
        namespace,
        "wait",
        "--for=condition=Ready",
        "pod/client",
        "--timeout=120s",
      ]);
    }
    expect(await connect("outsiders", "client", serve, 8080)).toBe("reached");
    router = spawnTracked("nsenter", [
      `--net=/run/netns/${cluster.netns}`,
      "--",
      preparedTool("kube-router"),
      `--kubeconfig=${cluster.kubeconfig}`,
      `--hostname-override=${cluster.nodeName}`,
      "--run-firewall=true",
      "--run-router=false",
      "--run-service-proxy=false",
      "--enable-cni=false",
      `--service-cluster-ip-range=${cluster.serviceCidr}`,
      `--health-port=${await freePort()}`,
    ]);
    await eventually(
      () => `the outsiders' pod shut out of serve (kube-router: ${router?.stderr().slice(-500)})`,
      async () => (await connect("outsiders", "client", serve, 8080)) === "unreachable",
      90_000,
    );
    expect(await connect("callers", "client", serve, 8080)).toBe("reached");
  });

  it("lets the prober reach its own versions but not a pod of another namespace", async () => {
    const outsider = await cluster.kubectl([
      "-n",
      "outsiders",
      "get",
      "pod",
      "client",
      "-o",
      "jsonpath={.status.podIP}",
    ]);
    // The outsider's listener answers pods that no policy holds back.
    expect(await connect("callers", "client", outsider, 7000)).toBe("reached");
    expect(await connect(GUARDED, "deploy/tcp-echo-prober", "tcp-echo", 9000)).toBe("reached");
    expect(await connect(GUARDED, "deploy/tcp-echo-prober", outsider, 7000)).toBe("unreachable");
  });
});
