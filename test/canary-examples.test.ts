import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canaryExamples } from "./support/documented-examples.js";
import { CHART, helm } from "./support/helm-chart.js";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-apiserver.js";

describe("the documented canary-controller examples and the chart's rollout objects, on a real API server", () => {
  let kube: KubeApiServer;
  beforeAll(async () => {
    kube = await startKubeApiServer();
    await kube.applyCrds("istio.yaml", "networking.istio.io");
    for (const file of [
      "argo-rollouts-rollout.yaml",
      "argo-rollouts-analysis-template.yaml",
      "argo-rollouts-analysis-run.yaml",
    ])
      await kube.applyCrds(file, "argoproj.io");
    await kube.applyCrds("flagger.yaml", "flagger.app");
  }, 120_000);
  afterAll(async () => {
    await kube?.stop();
  });

  it("has the three examples: an Argo Rollout and two Flagger Canaries", () => {
    expect(canaryExamples().map((yaml) => /^kind: (\w+)$/m.exec(yaml)?.[1])).toEqual([
      "Rollout",
      "Canary",
      "Canary",
    ]);
  });

  it("applies each example as written, accepted by Argo Rollouts' and Flagger's CRDs", async () => {
    for (const yaml of canaryExamples()) await kube.apply(yaml);
    const rollout = JSON.parse(
      (await kube.request("GET", "/apis/argoproj.io/v1alpha1/namespaces/default/rollouts/tcp-echo")).body,
    );
    expect(rollout.spec.strategy.canary.trafficRouting.istio.virtualService.tcpRoutes).toEqual([
      { port: 31400 },
    ]);
    const canary = JSON.parse(
      (await kube.request("GET", "/apis/flagger.app/v1beta1/namespaces/default/canaries/tcp-echo")).body,
    );
    expect(canary.spec.service.appProtocol).toBe("TCP");
    expect(canary.spec.analysis.webhooks[0].url).toMatch(/\/flagger$/);
  });

  it("installs the chart with proberService and the AnalysisTemplates the Rollout names, accepted by the API server", async () => {
    await helm([
      "install",
      "tcp-echo",
      CHART,
      "--kubeconfig",
      kube.adminKubeconfig,
      "--set",
      "proberService.enabled=true",
      "--set",
      "argoRollouts.analysisTemplate.enabled=true",
    ]);
    const web = JSON.parse(
      (
        await kube.request(
          "GET",
          "/apis/argoproj.io/v1alpha1/namespaces/default/analysistemplates/tcp-echo-split-web",
        )
      ).body,
    );
    expect(web.spec.metrics[0].provider.web.jsonPath).toBe("{$.verdict}");
    expect(web.spec.metrics[0].provider.web.jsonBody).toEqual({
      target: "{{args.target}}",
      expect: "{{args.expect}}",
      wait: 8,
    });
    expect(
      (
        await kube.request(
          "GET",
          "/apis/argoproj.io/v1alpha1/namespaces/default/analysistemplates/tcp-echo-split-job",
        )
      ).status,
    ).toBe(200);
    const role = JSON.parse(
      (
        await kube.request(
          "GET",
          "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/tcp-echo-prober",
        )
      ).body,
    );
    expect(role.rules.flatMap((r: { resources: string[] }) => r.resources).sort()).toEqual([
      "tcproutes",
      "virtualservices",
    ]);
    expect(role.rules.flatMap((r: { verbs: string[] }) => r.verbs)).not.toContain("update");
    await helm(["uninstall", "tcp-echo", "--kubeconfig", kube.adminKubeconfig]);
  });
});
