import { readFileSync } from "node:fs";
import { Gateway as GatewayApiGateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway";
import { TCPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1alpha2/TCPRoute";
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1alpha3/DestinationRule";
import { Gateway as IstioGateway } from "@kubernetes-models/istio/networking.istio.io/v1alpha3/Gateway";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1alpha3/VirtualService";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { Pod } from "kubernetes-models/v1/Pod";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseExpectation } from "../prober/expectations/expectation.js";
import { expectationFromManifest } from "../prober/expectations/manifest-expectation.js";
import { CHART, helm, type Manifest, ofKind, renderChart, valuesFile } from "./support/helm-chart.js";

const VALUES_FILES = [
  "all-to-v1.yaml",
  "prober-service.yaml",
  "fifty-fifty.yaml",
  "three-versions.yaml",
  "gateway-api.yaml",
  "none.yaml",
];

/** Every kind the chart renders, with the schema-validating model for its apiVersion. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1/Deployment": Deployment,
  "v1/Service": Service,
  "v1/Pod": Pod,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "v1/Secret": Secret,
  "v1/ServiceAccount": ServiceAccount,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "networking.istio.io/v1alpha3/Gateway": IstioGateway,
  "networking.istio.io/v1alpha3/DestinationRule": DestinationRule,
  "networking.istio.io/v1alpha3/VirtualService": VirtualService,
  "gateway.networking.k8s.io/v1/Gateway": GatewayApiGateway,
  "gateway.networking.k8s.io/v1alpha2/TCPRoute": TCPRoute,
};

const tutorial = parseAllDocuments(
  readFileSync(new URL("./fixtures/tutorial-virtualservice-80-20.yaml", import.meta.url), "utf8"),
).map((d) => d.toJS() as Manifest);
const testPod = (objects: Manifest[]) => ofKind(objects, "Pod")[0] as Manifest;
const proberArgs = (objects: Manifest[]) => testPod(objects).spec.containers[0].args as string[];
const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];

describe("chart lint", () => {
  it("passes helm lint --strict with the default values", async () => {
    await expect(helm(["lint", "--strict", CHART])).resolves.toMatch(/0 chart\(s\) failed/);
  });

  for (const file of VALUES_FILES) {
    it(`passes helm lint --strict with ${file}`, async () => {
      await expect(helm(["lint", "--strict", CHART, "-f", valuesFile(file)])).resolves.toMatch(
        /0 chart\(s\) failed/,
      );
    });
  }
});

describe("chart schemas", () => {
  for (const file of ["(defaults)", ...VALUES_FILES]) {
    it(`renders only objects valid against their Kubernetes, Istio or Gateway API schema with ${file}`, async () => {
      const objects = await renderChart(file === "(defaults)" ? [] : [file]);
      expect(objects.length).toBeGreaterThan(0);
      for (const object of objects) {
        // kubernetes-models has no TCPRoute v1 yet: Gateway API 1.6 promoted v1alpha2's spec unchanged, so
        // it is checked against that; test/chart-cluster.test.ts applies it to the real v1 CRD.
        const checked =
          object.kind === "TCPRoute" && object.apiVersion === "gateway.networking.k8s.io/v1"
            ? { ...object, apiVersion: "gateway.networking.k8s.io/v1alpha2" }
            : object;
        const Model = MODELS[`${checked.apiVersion}/${checked.kind}`];
        if (!Model) throw new Error(`no schema known for ${object.apiVersion} ${object.kind}`);
        expect(
          () => new Model(checked as never).validate(),
          `${object.kind} ${object.metadata.name}`,
        ).not.toThrow();
      }
    });
  }

  it("refuses, by its own values schema, a weight given as text before anything is rendered", async () => {
    await expect(
      helm(["template", "tcp-echo", CHART, "--set-string", "versions.v1.weight=80"]),
    ).rejects.toThrow(/versions\.v1\.weight|weight.*(integer|number)/);
  });
});

describe("chart default render", () => {
  it("renders the tutorial's Gateway field for field", async () => {
    const [gateway] = ofKind(await renderChart(), "Gateway");
    const expected = ofKind(tutorial, "Gateway")[0] as Manifest;
    expect(gateway?.metadata.name).toBe(expected.metadata.name);
    expect(gateway?.spec).toEqual(expected.spec);
  });

  it("renders the tutorial's VirtualService field for field at its 80/20 step", async () => {
    const [virtualService] = ofKind(await renderChart(), "VirtualService");
    const expected = ofKind(tutorial, "VirtualService")[0] as Manifest;
    expect(virtualService?.metadata.name).toBe("tcp-echo");
    expect(virtualService?.spec).toEqual(expected.spec);
  });

  it("renders the tutorial's DestinationRule with a subset per version", async () => {
    const [rule] = ofKind(await renderChart(), "DestinationRule");
    expect(rule?.metadata.name).toBe("tcp-echo-destination");
    expect(rule?.spec).toEqual({
      host: "tcp-echo",
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" } },
      ],
    });
  });

  it("renders the Service on ports 9000 (tcp) and 9001 (tcp-other) with appProtocol tcp", async () => {
    const [service] = ofKind(await renderChart(), "Service");
    expect(service?.spec.ports.map((p: Manifest) => [p.name, p.port, p.appProtocol])).toEqual([
      ["tcp", 9000, "tcp"],
      ["tcp-other", 9001, "tcp"],
    ]);
  });

  it("runs each version with the Service's ports and its own prefix", async () => {
    const deployments = ofKind(await renderChart(), "Deployment");
    expect(deployments.map((d) => d.spec.template.spec.containers[0].args)).toEqual([
      ["9000,9001", "one"],
      ["9000,9001", "two"],
    ]);
  });

  it("passes server.workers to every version as TCP_ECHO_WORKERS", async () => {
    const deployments = ofKind(
      await renderChart([], ["server.workers=auto", "resources.limits.cpu=2"]),
      "Deployment",
    );
    expect(
      deployments.map(
        (d) =>
          d.spec.template.spec.containers[0].env.find((e: Manifest) => e.name === "TCP_ECHO_WORKERS").value,
      ),
    ).toEqual(["auto", "auto"]);
  });

  it("hardens every pod: non-root, read-only root, no capabilities, seccomp, probes, resources", async () => {
    for (const deployment of ofKind(await renderChart(), "Deployment")) {
      const pod = deployment.spec.template.spec;
      const container = pod.containers[0];
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      });
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
      });
      expect(container.readinessProbe.httpGet.path).toBe("/readyz");
      expect(container.livenessProbe.httpGet.path).toBe("/healthz");
      expect(container.resources.limits.memory).toBeDefined();
      expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(
        Number(container.lifecycle.preStop.exec.command[1]) +
          Number(container.env.find((e: Manifest) => e.name === "TCP_ECHO_DRAIN_TIMEOUT").value),
      );
    }
  });
});

describe("chart pods' environment", () => {
  it("turns service links off in every pod it renders, so none gets TCP_ECHO_PORT=tcp://… under release tcp-echo", async () => {
    const objects = await renderChart(
      [],
      ["proberService.enabled=true", "argoRollouts.analysisTemplate.enabled=true"],
    );
    const pods = [
      ...ofKind(objects, "Deployment").map((deployment) => deployment.spec.template.spec),
      ...ofKind(objects, "Pod").map((pod) => pod.spec),
      ...ofKind(objects, "AnalysisTemplate").flatMap((template) =>
        template.spec.metrics
          .filter((metric: Manifest) => metric.provider.job)
          .map((metric: Manifest) => metric.provider.job.spec.template.spec),
      ),
    ];
    expect(pods.length).toBeGreaterThanOrEqual(5);
    expect(pods.map((pod) => pod.enableServiceLinks)).toEqual(pods.map(() => false));
  });
});

describe("chart with argoRollouts.rollout.enabled: the pods are an Argo Rollout's", () => {
  const render = () =>
    renderChart([], ["argoRollouts.rollout.enabled=true", "versions.v1.weight=100", "versions.v2.weight=0"]);

  it("renders no Deployment and no PodDisruptionBudget", async () => {
    const objects = await render();
    expect(ofKind(objects, "Deployment")).toEqual([]);
    expect(ofKind(objects, "PodDisruptionBudget")).toEqual([]);
  });

  it("leaves the subsets' labels to Argo (it adds the stable and canary pod-template hash)", async () => {
    const [rule] = ofKind(await render(), "DestinationRule");
    expect(rule?.spec.subsets).toEqual([
      { name: "v1", labels: {} },
      { name: "v2", labels: {} },
    ]);
  });

  it("keeps the VirtualService's route to the subsets v1 and v2 on the tutorial's port", async () => {
    const [service] = ofKind(await render(), "VirtualService");
    expect(service?.spec.tcp[0].route.map((r: Manifest) => [r.destination.subset, r.weight])).toEqual([
      ["v1", 100],
      ["v2", 0],
    ]);
  });
});

describe("chart semantics", () => {
  it("gives every DestinationRule subset a Deployment whose pods carry its labels", async () => {
    const objects = await renderChart(["three-versions.yaml"]);
    const podLabels = ofKind(objects, "Deployment").map((d) => d.spec.template.metadata.labels);
    for (const subset of (ofKind(objects, "DestinationRule")[0] as Manifest).spec.subsets) {
      const matching = podLabels.filter((labels) =>
        Object.entries(subset.labels).every(([k, v]) => labels[k] === v),
      );
      expect(matching, subset.name).toHaveLength(1);
    }
  });

  it("selects every version's pods with the Service", async () => {
    const objects = await renderChart(["three-versions.yaml"]);
    const selector = (ofKind(objects, "Service")[0] as Manifest).spec.selector;
    for (const deployment of ofKind(objects, "Deployment")) {
      expect(deployment.spec.template.metadata.labels).toMatchObject(selector);
    }
  });

  it("puts the values' weights on the VirtualService routes", async () => {
    const [virtualService] = ofKind(await renderChart(["three-versions.yaml"]), "VirtualService");
    expect(virtualService?.spec.tcp[0].route.map((r: Manifest) => [r.destination.subset, r.weight])).toEqual([
      ["v1", 50],
      ["v2", 30],
      ["v3", 20],
    ]);
  });

  it("reproduces the tutorial's all-to-v1 step with a values file", async () => {
    const [virtualService] = ofKind(await renderChart(["all-to-v1.yaml"]), "VirtualService");
    expect(virtualService?.spec.tcp[0].route.map((r: Manifest) => r.weight)).toEqual([100, 0]);
  });

  it("follows --set weights, as a traffic shift does", async () => {
    const [virtualService] = ofKind(
      await renderChart([], ["versions.v1.weight=50", "versions.v2.weight=50"]),
      "VirtualService",
    );
    expect(virtualService?.spec.tcp[0].route.map((r: Manifest) => r.weight)).toEqual([50, 50]);
  });

  it("uses a version's image override and its replicas", async () => {
    const deployments = ofKind(await renderChart(["three-versions.yaml"]), "Deployment");
    expect(deployments.map((d) => [d.spec.replicas, d.spec.template.spec.containers[0].image])).toEqual([
      [1, "tcp-echo:0.1.0"],
      [2, "tcp-echo:0.1.0"],
      [1, "tcp-echo:canary"],
    ]);
  });

  it("renders a Gateway API Gateway and a TCPRoute to one Service per version with the weights", async () => {
    const objects = await renderChart(["gateway-api.yaml"]);
    const [route] = ofKind(objects, "TCPRoute");
    const services = ofKind(objects, "Service").map((s) => s.metadata.name);
    expect(route?.spec.rules[0].backendRefs).toEqual([
      { name: "tcp-echo-v1", port: 9000, weight: 80 },
      { name: "tcp-echo-v2", port: 9000, weight: 20 },
    ]);
    expect(services).toEqual(expect.arrayContaining(["tcp-echo", "tcp-echo-v1", "tcp-echo-v2"]));
    expect(ofKind(objects, "VirtualService")).toHaveLength(0);
  });

  it("renders only workloads with routing mode none", async () => {
    const kinds = new Set((await renderChart(["none.yaml"])).map((o) => o.kind));
    expect([...kinds].sort()).toEqual(["Deployment", "Pod", "PodDisruptionBudget", "Service"]);
  });
});

describe("chart helm test", () => {
  it("runs the prober against the gateway with --expect equal to the rendered weights", async () => {
    const objects = await renderChart(["three-versions.yaml"]);
    const args = proberArgs(objects);
    const routes = (ofKind(objects, "VirtualService")[0] as Manifest).spec.tcp[0].route;
    expect(argAfter(args, "--expect")).toBe(routes.map((r: Manifest) => r.weight).join(":"));
    expect(argAfter(args, "--labels")).toBe("one,two,three");
    expect(args.at(-1)).toBe("istio-ingressgateway.istio-system.svc.cluster.local:31400");
  });

  it("is a helm test hook with sidecar injection off, failing on any non-zero prober exit", async () => {
    const pod = testPod(await renderChart());
    expect(pod.metadata.annotations).toMatchObject({ "helm.sh/hook": "test" });
    // A label: Istio deprecated the annotation (IST0135, test/istio-control-plane.test.ts).
    expect(pod.metadata.labels).toMatchObject({ "sidecar.istio.io/inject": "false" });
    expect(pod.spec.restartPolicy).toBe("Never");
    expect(pod.spec.containers[0].command).toEqual(["prober"]);
  });

  it("expects shares proportional to replicas when probing the Service", async () => {
    const args = proberArgs(await renderChart(["three-versions.yaml"], ["test.target=service"]));
    expect(argAfter(args, "--expect")).toBe("1:2:1");
    expect(args.at(-1)).toBe("tcp-echo:9000");
  });

  it("agrees with the prober reading the rendered VirtualService (--expect-from)", async () => {
    const objects = await renderChart(["three-versions.yaml"]);
    const args = proberArgs(objects);
    const fromVirtualService = expectationFromManifest(
      JSON.stringify(ofKind(objects, "VirtualService")[0]),
      "rendered",
      new Map([
        ["v1", "one"],
        ["v2", "two"],
        ["v3", "three"],
      ]),
    );
    expect(fromVirtualService).toEqual(
      parseExpectation(argAfter(args, "--expect") as string, argAfter(args, "--labels")?.split(",")),
    );
  });

  it("agrees with the prober reading the rendered TCPRoute (--expect-from)", async () => {
    const objects = await renderChart(["gateway-api.yaml"]);
    const fromRoute = expectationFromManifest(JSON.stringify(ofKind(objects, "TCPRoute")[0]), "rendered");
    const args = proberArgs(objects);
    expect(fromRoute).toEqual(
      parseExpectation(argAfter(args, "--expect") as string, argAfter(args, "--labels")?.split(",")),
    );
  });
});

describe("chart prober service, safe by default", () => {
  const serving = (sets: string[] = []) => renderChart([], ["proberService.enabled=true", ...sets]);
  const serveArgs = (objects: Manifest[]) =>
    ofKind(objects, "Deployment").find((d) => d.metadata.name.endsWith("-prober"))?.spec.template.spec
      .containers[0].args as string[];
  const allowed = (args: string[]) =>
    args.flatMap((arg, i) => (args[i - 1] === "--allow-target" ? [arg] : []));

  it("makes a Secret with a random token and requires it", async () => {
    const objects = await serving();
    const secret = ofKind(objects, "Secret").find((s) => s.metadata.name === "tcp-echo-prober-token");
    expect(Buffer.from(secret?.data.token, "base64").toString()).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(argAfter(serveArgs(objects), "--token-file")).toBe("/var/run/prober-token/token");
  });

  it("uses a Secret given by name instead, and makes none", async () => {
    const objects = await serving(["proberService.tokenSecret=mine"]);
    expect(ofKind(objects, "Secret")).toEqual([]);
    const deployment = ofKind(objects, "Deployment").find((d) => d.metadata.name.endsWith("-prober"));
    expect(deployment?.spec.template.spec.volumes[0].secret.secretName).toBe("mine");
  });

  it("runs without a token only when asked to", async () => {
    const objects = await serving(["proberService.generateToken=false"]);
    expect(ofKind(objects, "Secret")).toEqual([]);
    expect(serveArgs(objects)).not.toContain("--token-file");
  });

  it("sends the token from the web AnalysisTemplate, read from the Secret", async () => {
    const objects = await serving(["argoRollouts.analysisTemplate.enabled=true"]);
    const web = ofKind(objects, "AnalysisTemplate").find((t) => t.metadata.name.endsWith("-split-web"));
    expect(web?.spec.args).toContainEqual({
      name: "token",
      valueFrom: { secretKeyRef: { name: "tcp-echo-prober-token", key: "token" } },
    });
    expect(web?.spec.metrics[0].provider.web.headers).toContainEqual({
      key: "Authorization",
      value: "Bearer {{args.token}}",
    });
  });

  it("allows checks of the gateway and the Service only, plus the values' own targets", async () => {
    const objects = await serving(["proberService.allowTargets={10.0.0.0/8:9000}"]);
    expect(allowed(serveArgs(objects))).toEqual([
      "istio-ingressgateway.istio-system.svc.cluster.local:31400",
      "tcp-echo:9000",
      "tcp-echo.default.svc.cluster.local:9000",
      "tcp-echo:9001",
      "tcp-echo.default.svc.cluster.local:9001",
      "10.0.0.0/8:9000",
    ]);
  });

  it("points the kubelet's readiness and liveness probes at the health listener, not the check port", async () => {
    const objects = await serving();
    const pod = ofKind(objects, "Deployment").find((d) => d.metadata.name.endsWith("-prober"))?.spec.template
      .spec;
    const container = pod.containers[0];
    expect(argAfter(container.args, "--health-listen")).toBe("0.0.0.0:8081");
    expect(container.ports).toContainEqual({ name: "health", containerPort: 8081 });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/healthz", port: "health" });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "health" });
  });

  it("passes the caps a request cannot raise", async () => {
    const args = serveArgs(await serving(["proberService.maxRate=200"]));
    expect([
      argAfter(args, "--max-rate"),
      argAfter(args, "--max-concurrency"),
      argAfter(args, "--max-probes"),
    ]).toEqual(["200", "16", "20000"]);
  });

  it("admits only the canary controllers' namespaces, and lets checks reach only the gateway, the echo pods, DNS and the API server", async () => {
    const [policy] = ofKind(await serving(), "NetworkPolicy");
    expect(policy?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy?.spec.ingress).toEqual([
      {
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "argo-rollouts" } } },
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "flagger-system" } } },
        ],
        ports: [{ port: "http", protocol: "TCP" }],
      },
    ]);
    expect(policy?.spec.egress).toContainEqual({
      to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } } }],
      ports: [{ port: 31400, protocol: "TCP" }],
    });
    expect(policy?.spec.egress.every((rule: Manifest) => rule.ports?.length > 0)).toBe(true);
  });

  it("opens cluster DNS on the ports of dnsPorts as the pods listen (53 unless told)", async () => {
    const dnsRule = async (sets: string[]) =>
      ofKind(await serving(sets), "NetworkPolicy")[0]?.spec.egress.find((rule: Manifest) =>
        JSON.stringify(rule.to ?? []).includes("kube-system"),
      );
    expect((await dnsRule([])).ports).toEqual([
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ]);
    expect((await dnsRule(["proberService.networkPolicy.dnsPorts={5353}"])).ports).toEqual([
      { port: 5353, protocol: "UDP" },
      { port: 5353, protocol: "TCP" },
    ]);
  });

  it("renders no NetworkPolicy when it is turned off", async () => {
    expect(ofKind(await serving(["proberService.networkPolicy.enabled=false"]), "NetworkPolicy")).toEqual([]);
  });

  it("refuses a check time that is not below the web template's timeout", async () => {
    await expect(
      serving(["argoRollouts.analysisTemplate.enabled=true", "proberService.maxCheckSeconds=10"]),
    ).rejects.toThrow(
      "proberService.maxCheckSeconds (10) must be below argoRollouts.analysisTemplate.timeoutSeconds (10)",
    );
  });
});

describe("chart bad values", () => {
  it("fails when the weights do not sum to 100", async () => {
    await expect(renderChart([], ["versions.v2.weight=10"])).rejects.toThrow(
      "tcp-echo: the versions' weights sum to 90; they must sum to 100",
    );
  });

  it("fails on a negative weight", async () => {
    await expect(renderChart([], ["versions.v2.weight=-5"])).rejects.toThrow(
      "at '/versions/v2/weight': minimum: got -5, want 0",
    );
  });

  it("fails when no version exists", async () => {
    await expect(renderChart([], ["versions.v1=null", "versions.v2=null"])).rejects.toThrow(
      "tcp-echo: no versions: set at least one entry under .Values.versions",
    );
  });

  it("fails on a worker count of zero", async () => {
    await expect(renderChart([], ["server.workers=0"])).rejects.toThrow("at '/server/workers'");
  });

  it("fails on a value the schema does not know", async () => {
    await expect(renderChart([], ["replicaCount=3"])).rejects.toThrow(
      "additional properties 'replicaCount' not allowed",
    );
  });

  // What a real API server refused (issue found on kube-apiserver v1.34.4), each caught at render time now.
  const refused: [string, string[], string][] = [
    [
      "a port named admin (the admin port's name)",
      [
        "service.ports[0].name=admin",
        "service.ports[0].port=9000",
        "service.ports[1].name=tcp-other",
        "service.ports[1].port=9001",
      ],
      'port name "admin" is taken by the admin port',
    ],
    [
      "a port name with a double hyphen",
      [
        "service.ports[0].name=tcp--a",
        "service.ports[0].port=9000",
        "service.ports[1].name=tcp-other",
        "service.ports[1].port=9001",
      ],
      'port name "tcp--a" must be an IANA service name',
    ],
    [
      "a port name of digits only",
      [
        "service.ports[0].name=9000",
        "service.ports[0].port=9000",
        "service.ports[1].name=tcp-other",
        "service.ports[1].port=9001",
      ],
      "at '/service/ports/0/name': got number, want string",
    ],
    [
      "two ports with one number",
      [
        "service.ports[0].name=tcp",
        "service.ports[0].port=9000",
        "service.ports[1].name=tcp-other",
        "service.ports[1].port=9000",
      ],
      "port 9000 is listed twice",
    ],
    [
      "two ports with one name",
      [
        "service.ports[0].name=tcp",
        "service.ports[0].port=9000",
        "service.ports[1].name=tcp",
        "service.ports[1].port=9001",
      ],
      'port name "tcp" is listed twice',
    ],
    [
      "server.workers auto with no CPU limit",
      ["server.workers=auto"],
      "server.workers auto needs resources.limits.cpu",
    ],
    [
      "a PodDisruptionBudget that would block every drain",
      ["podDisruptionBudget.enabled=true", "podDisruptionBudget.minAvailable=1"],
      "blocks every node drain",
    ],
    [
      "helm test against a gateway that routing.mode none does not configure",
      ["routing.mode=none"],
      "set test.target service",
    ],
    [
      "an Argo Rollout without Istio routing",
      ["argoRollouts.rollout.enabled=true", "routing.mode=gatewayAPI"],
      "argoRollouts.rollout.enabled needs routing.mode istio",
    ],
    [
      "an Argo Rollout over three versions",
      ["argoRollouts.rollout.enabled=true", "versions.v3.prefix=three", "versions.v3.weight=0"],
      "needs exactly two versions",
    ],
  ];
  for (const [what, sets, message] of refused) {
    it(`fails on ${what}`, async () => {
      await expect(renderChart([], sets)).rejects.toThrow(message);
    });
  }

  it("fails on a release name that starts with a digit (a Service name must start with a letter)", async () => {
    await expect(helm(["template", "1st", CHART])).rejects.toThrow(
      'the name "1st-tcp-echo" must start with a letter',
    );
  });
});

describe("chart names and labels the API server accepts", () => {
  it("keeps every name within 63 characters for a 53-character release name, in both routing modes", async () => {
    const release = "r".repeat(53);
    for (const mode of ["istio", "gatewayAPI"]) {
      const text = await helm(["template", release, CHART, "--set", `routing.mode=${mode}`]);
      const objects = parseAllDocuments(text)
        .map((d) => d.toJS() as Manifest | null)
        .filter((o): o is Manifest => o !== null);
      expect(
        objects.map((o) => o.metadata.name as string).filter((name) => name.length > 63),
        mode,
      ).toEqual([]);
      const keys = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(new Set(keys).size, `${mode}: names stay distinct`).toBe(keys.length);
    }
  });

  it("names the Gateway differently in each routing mode, so a mode switch replaces it", async () => {
    const [istio] = ofKind(await renderChart([], ["routing.mode=istio"]), "Gateway");
    const [gatewayApi] = ofKind(await renderChart(["gateway-api.yaml"]), "Gateway");
    expect(istio?.metadata.name).toBe("tcp-echo-gateway");
    expect(gatewayApi?.metadata.name).toBe("tcp-echo-gateway-api");
  });

  it("renders the TCPRoute as v1 (Gateway API 1.6), or v1alpha2 when asked", async () => {
    const [route] = ofKind(await renderChart(["gateway-api.yaml"]), "TCPRoute");
    expect(route?.apiVersion).toBe("gateway.networking.k8s.io/v1");
    const [old] = ofKind(
      await renderChart(["gateway-api.yaml"], ["routing.gatewayAPI.tcpRouteVersion=v1alpha2"]),
      "TCPRoute",
    );
    expect(old?.apiVersion).toBe("gateway.networking.k8s.io/v1alpha2");
  });

  it("renders version labels as strings, whatever the key looks like (1, on)", async () => {
    const objects = await renderChart(["numeric-version-keys.yaml"]);
    const labels = ofKind(objects, "Deployment").map((d) => d.metadata.labels.version);
    expect(labels).toEqual(["1", "on"]);
  });

  it("keeps replicas: 0 as 0 (a version scaled down, not one replica)", async () => {
    const deployments = ofKind(await renderChart([], ["versions.v2.replicas=0"]), "Deployment");
    expect(deployments.map((d) => d.spec.replicas)).toEqual([1, 0]);
  });

  it("lets a drain proceed by default: maxUnavailable 1 per version", async () => {
    const budgets = ofKind(
      await renderChart([], ["podDisruptionBudget.enabled=true"]),
      "PodDisruptionBudget",
    );
    expect(budgets.map((b) => b.spec)).toEqual(
      budgets.map(() => expect.objectContaining({ maxUnavailable: 1 })),
    );
  });
});

describe("the chart with gatewayEndpoints: every gateway replica verified on its own", () => {
  const SETS = [
    "gatewayEndpoints.service=traefik:tcp",
    "gatewayEndpoints.namespace=traefik",
    "proberService.enabled=true",
    "argoRollouts.analysisTemplate.enabled=true",
  ];
  const render = () => renderChart([], SETS);

  it("runs helm test per endpoint of the gateway's Service, with a ServiceAccount of its own", async () => {
    const [pod] = ofKind(await render(), "Pod");
    expect(pod?.spec.containers[0].args.slice(-4)).toEqual([
      "--each-endpoint",
      "service/traefik:tcp",
      "--endpoints-namespace",
      "traefik",
    ]);
    expect(pod?.spec.serviceAccountName).toBe("tcp-echo-prober-test");
  });

  it("grants get on that one Service and list on EndpointSlices in its namespace, nothing more", async () => {
    const role = ofKind(await render(), "Role").find((r) => r.metadata.name === "tcp-echo-gateway-endpoints");
    expect(role?.metadata.namespace).toBe("traefik");
    expect(role?.rules).toEqual([
      { apiGroups: [""], resources: ["services"], resourceNames: ["traefik"], verbs: ["get"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list"] },
    ]);
  });

  it("binds that Role to the test's and the prober service's ServiceAccounts only", async () => {
    const binding = ofKind(await render(), "RoleBinding").find(
      (b) => b.metadata.name === "tcp-echo-gateway-endpoints",
    );
    expect(binding?.subjects.map((s: { name: string }) => s.name)).toEqual([
      "tcp-echo-prober-test",
      "tcp-echo-prober",
    ]);
  });

  it("allows prober serve the gateway's Service, and so its endpoints", async () => {
    const [serve] = ofKind(await render(), "Deployment").filter((d) => d.metadata.name === "tcp-echo-prober");
    const args: string[] = serve?.spec.template.spec.containers[0].args;
    expect(args[args.indexOf("traefik.traefik:*") - 1]).toBe("--allow-target");
  });

  it("asks prober serve for each endpoint in the web AnalysisTemplate", async () => {
    const web = ofKind(await render(), "AnalysisTemplate").find(
      (t) => t.metadata.name === "tcp-echo-split-web",
    );
    const body = web?.spec.metrics[0].provider.web.jsonBody;
    expect(body).toEqual({
      eachEndpoint: "service/traefik:tcp",
      namespace: "traefik",
      expect: "{{args.expect}}",
      wait: 8,
    });
  });

  it("records the verdict with its reason, which names the replica, as the web metric's value", async () => {
    const web = ofKind(await render(), "AnalysisTemplate").find(
      (t) => t.metadata.name === "tcp-echo-split-web",
    );
    const [metric] = web?.spec.metrics ?? [];
    expect(metric.provider.web.jsonPath).toBe("{$.summary}");
    expect([metric.successCondition, metric.failureCondition]).toEqual([
      'result startsWith "PASS:"',
      'result startsWith "FAIL:"',
    ]);
  });

  it("runs the job AnalysisTemplate per endpoint, as the prober's ServiceAccount", async () => {
    const job = ofKind(await render(), "AnalysisTemplate").find(
      (t) => t.metadata.name === "tcp-echo-split-job",
    );
    const pod = job?.spec.metrics[0].provider.job.spec.template.spec;
    expect(pod.serviceAccountName).toBe("tcp-echo-prober");
    expect(pod.containers[0].args).toContain("--each-endpoint");
  });

  it("renders no such Role without gatewayEndpoints", async () => {
    const roles = ofKind(await renderChart([], ["proberService.enabled=true"]), "Role");
    expect(roles.map((r) => r.metadata.name)).toEqual(["tcp-echo-prober"]);
  });

  it("refuses a gatewayEndpoints.service that is no NAME:PORT, by its values schema", async () => {
    await expect(renderChart([], ["gatewayEndpoints.service=service/traefik"])).rejects.toThrow(
      "at '/gatewayEndpoints/service': 'service/traefik' does not match pattern",
    );
  });
});
