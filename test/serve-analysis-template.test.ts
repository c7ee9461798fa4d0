import { once } from "node:events";
import { connect, createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
import { type Manifest, ofKind, renderChart } from "./support/helm-chart.js";
import { post, startServe } from "./support/prober-serve.js";
import { useTwoVersionGateway } from "./support/two-version-gateway.js";

/** The body the chart's web AnalysisTemplate sends, with Argo's {{args.…}} replaced as its controller does. */
async function webTemplateBody(args: Record<string, string>): Promise<string> {
  const objects = await renderChart(
    [],
    [
      "proberService.enabled=true",
      "argoRollouts.analysisTemplate.enabled=true",
      "proberService.generateToken=false",
    ],
  );
  const web = ofKind(objects, "AnalysisTemplate").find((t: Manifest) =>
    t.metadata.name.endsWith("-split-web"),
  );
  const body = JSON.stringify(web?.spec.metrics[0].provider.web.jsonBody);
  return body.replace(/\{\{args\.(\w+)\}\}/g, (_, name: string) => args[name] as string);
}

/** A loopback forwarder in front of the gateway that calls `onAccept` with the count of each connection. */
async function forwarder(
  port: number,
  onAccept: (count: number) => void,
): Promise<{ server: Server; port: number }> {
  let count = 0;
  const server = createServer((client) => {
    count += 1;
    onAccept(count);
    const upstream = connect(port, "127.0.0.1");
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as { port: number }).port };
}

describe("the chart's web AnalysisTemplate, sent to prober serve as Argo Rollouts sends it", () => {
  const setup = useTwoVersionGateway("nginx", [100, 0]);

  it("PASSes a step whose new weights reach the gateway a second after the analysis starts", async () => {
    await setup.route(100, 0);
    // The new weights land once the check has made 100 probes: as when Argo starts the analysis about
    // 1 s after setWeight, and the gateway applies the weights a moment later.
    let reloaded: Promise<void> | undefined;
    const front = await forwarder(setup.gateway.port, (count) => {
      if (count === 100) reloaded = setup.route(80, 20);
    });
    const serve = await startServe();
    try {
      const body = await webTemplateBody({ target: `127.0.0.1:${front.port}`, expect: "80:20" });
      const response = await post(`${serve.url}/verify`, body);
      await reloaded;
      expect(response.status).toBe(200);
      const report = (await response.json()) as { verdict: string; reason: string; segments: unknown[] };
      expect(report.verdict, report.reason).toBe("PASS");
      expect(report.segments.length).toBeGreaterThan(1);
    } finally {
      await serve.stop();
      front.server.close();
    }
  }, 60_000);
});
