import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Network, type StartedNetwork, type StartedTestContainer, Wait } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWeightedSplitter, type WeightedSplitter } from "../splitter/weighted-splitter.js";
import {
  buildImageUnderTest,
  containerOutput,
  docker,
  IMAGE_UNDER_TEST,
  ImageContainer,
  LOCAL_BASE_IMAGE,
  removeTestContainersAndImages,
} from "./support/container-images.js";
import { type EchoServerProcess, startEchoServerProcess } from "./support/echo-server-process.js";
import { CHART, helm } from "./support/helm-chart.js";
import { type KubeApiServer, startKubeApiServer } from "./support/kube-apiserver.js";
import { exchange, openConnection, readAtLeast, readUntilEnd } from "./support/tcp-client.js";

const listening = Wait.forLogMessage(/"msg":"listening"/);

async function startServer(args: string[], tweak: (c: ImageContainer) => ImageContainer = (c) => c) {
  return tweak(new ImageContainer())
    .withCommand(args)
    .withExposedPorts(9000)
    .withWaitStrategy(listening)
    .start();
}

/** Prints how many processes in the container run the server (argv[1] is the program's path). */
const COUNT_SERVER_PROCESSES = `
const { readdirSync, readFileSync } = require("node:fs");
const servers = readdirSync("/proc").filter((pid) => {
  try { return readFileSync("/proc/" + pid + "/cmdline", "utf8").split("\\0")[1]?.endsWith("/bin/tcp-echo"); }
  catch { return false; }
});
console.log(servers.length);`;

const WIRE_CASES: [string, (Buffer | string)[], string][] = [
  ["one line", ["hello\n"], " hello\n"],
  ["several lines in one packet", ["a\nb\n"], " a\n{p} b\n"],
  ["a line over many writes", [..."split\n"], " split\n"],
  ["an empty line", ["\n"], " \n"],
  ["CRLF", ["crlf\r\n"], " crlf\r\n"],
  ["binary bytes", [Buffer.from([0x00, 0xff, 0x0a])], " \u0000\u00ff\n"],
  ["a trailing partial line", ["done\npartial"], " done\n"],
];

beforeAll(async () => {
  await buildImageUnderTest();
}, 300_000);
afterAll(removeTestContainersAndImages, 120_000);

describe("container image", () => {
  it("adds less than 5 MB to its base image", async () => {
    const size = async (image: string) =>
      Number(await docker("image", "inspect", image, "--format", "{{.Size}}"));
    expect((await size(IMAGE_UNDER_TEST)) - (await size(LOCAL_BASE_IMAGE))).toBeLessThan(5_000_000);
  });

  it("carries the OCI source, version and description labels", async () => {
    const labels = JSON.parse(
      await docker("image", "inspect", IMAGE_UNDER_TEST, "--format", "{{json .Config.Labels}}"),
    );
    expect(labels).toMatchObject({
      "org.opencontainers.image.version": "0.1.0",
      "org.opencontainers.image.source": expect.any(String),
      "org.opencontainers.image.description": expect.any(String),
    });
  });

  it("answers `hello <line>` on port 9000 with only its default command", async () => {
    const container = await new ImageContainer().withExposedPorts(9000).withWaitStrategy(listening).start();
    const reply = await exchange(container.getMappedPort(9000), ["x\n"], container.getHost());
    await container.stop();
    expect(reply.toString()).toBe("hello x\n");
  });

  for (const prefix of ["one", "two"]) {
    it(`answers the wire cases byte for byte as ${prefix} (v${prefix === "one" ? 1 : 2})`, async () => {
      const container = await startServer(["9000,9001", prefix]);
      try {
        for (const [what, pieces, tail] of WIRE_CASES) {
          const reply = await exchange(container.getMappedPort(9000), pieces, container.getHost());
          expect(reply.toString("latin1"), what).toBe(`${prefix}${tail.replaceAll("{p}", prefix)}`);
        }
      } finally {
        await container.stop();
      }
    });
  }

  it("runs prober serve with /healthz on its own thread, as the chart's pod does", async () => {
    const container = await new ImageContainer()
      .withEntrypoint(["prober"])
      .withCommand([
        "serve",
        ...["--listen", "0.0.0.0:8080", "--health-listen", "0.0.0.0:8081", "--allow-any-target"],
      ])
      .withExposedPorts(8080, 8081)
      .withWaitStrategy(Wait.forLogMessage(/health on 0\.0\.0\.0:8081/))
      .start();
    try {
      const response = await fetch(`http://${container.getHost()}:${container.getMappedPort(8081)}/healthz`);
      expect(response.status).toBe(200);
    } finally {
      await container.stop();
    }
  });

  it("runs as a non-root numeric user", async () => {
    const container = await startServer(["9000", "one"]);
    const { output } = await container.exec(["id", "-u"]);
    await container.stop();
    expect(output.trim()).toBe("10001");
  });

  it("serves with a read-only root filesystem and every capability dropped", async () => {
    const container = await startServer(["9000", "one"], (c) =>
      c.withReadOnlyRootFilesystem().withDroppedCapabilities("ALL"),
    );
    const reply = await exchange(container.getMappedPort(9000), ["locked down\n"], container.getHost());
    await container.stop();
    expect(reply.toString()).toBe("one locked down\n");
  });

  it("runs one process for --workers auto under a limit of one CPU", async () => {
    const container = await startServer(["--workers", "auto", "9000", "one"], (c) =>
      c.withResourcesQuota({ cpu: 1 }),
    );
    const { output } = await container.exec(["node", "-e", COUNT_SERVER_PROCESSES]);
    await container.stop();
    expect(output.trim()).toBe("1");
  });

  it("stops on `docker stop` with exit code 0, answering the lines it already read", async () => {
    const container = await startServer(["9000", "one"]);
    const socket: Socket = await openConnection(container.getMappedPort(9000), container.getHost());
    const all = readUntilEnd(socket);
    socket.write("first\nsecond\n");
    await readAtLeast(socket, "one first\none second\n".length);
    const started = Date.now();
    await docker("stop", container.getId());
    const exitCode = Number(await docker("inspect", container.getId(), "--format", "{{.State.ExitCode}}"));
    expect((await all).toString()).toBe("one first\none second\n");
    socket.destroy();
    expect(exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("rejects bad arguments with the one-line error and exit code 64", async () => {
    const id = await docker(
      "run",
      "-d",
      "--label",
      "org.testcontainers=true",
      IMAGE_UNDER_TEST,
      "70000",
      "one",
    );
    const exitCode = Number(await docker("wait", id));
    const { stderr } = await containerOutput(id);
    expect(stderr).toBe('tcp-echo: invalid port "70000": must be 1-65535 (see tcp-echo --help)\n');
    expect(exitCode).toBe(64);
  });
});

describe("prober from the image on a user-defined network", () => {
  let network: StartedNetwork;
  const started: StartedTestContainer[] = [];

  beforeAll(async () => {
    network = await new Network().start();
  }, 60_000);
  afterAll(async () => {
    for (const container of started) await container.stop();
    await network.stop();
  });

  it("PASSes the 80:20 split made by a weighted gateway container in front of v1 and v2", async () => {
    for (const [alias, prefix] of [
      ["v1", "one"],
      ["v2", "two"],
    ] as const) {
      started.push(
        await new ImageContainer()
          .withNetwork(network)
          .withNetworkAliases(alias)
          .withCommand(["9000", prefix])
          .withWaitStrategy(listening)
          .start(),
      );
    }
    started.push(
      await new ImageContainer()
        .withNetwork(network)
        .withNetworkAliases("gateway")
        .withEntrypoint(["tcp-splitter"])
        .withCommand(["--listen", "31400", "--host", "0.0.0.0", "v1:9000=80", "v2:9000=20"])
        .withWaitStrategy(Wait.forLogMessage(/listening on/))
        .start(),
    );
    const prober = await new ImageContainer()
      .withNetwork(network)
      .withEntrypoint(["prober"])
      .withCommand(["--expect", "80:20", "--json", "gateway:31400"])
      .withWaitStrategy(Wait.forOneShotStartup())
      .start();
    started.push(prober);
    const report = JSON.parse((await containerOutput(prober.getId())).stdout);
    const exitCode = Number(await docker("inspect", prober.getId(), "--format", "{{.State.ExitCode}}"));
    expect(report.verdict).toBe("PASS");
    expect(report.target).toBe("gateway:31400");
    expect(exitCode).toBe(0);
  }, 120_000);
});

describe("prober from the image in a pod's place: weights read with the in-cluster service account", () => {
  let kube: KubeApiServer;
  let one: EchoServerProcess;
  let two: EchoServerProcess;
  let splitter: WeightedSplitter;
  const secrets = mkdtempSync(join(tmpdir(), "tcp-echo-sa-"));
  beforeAll(async () => {
    kube = await startKubeApiServer();
    await kube.applyCrds("istio.yaml", "networking.istio.io");
    await kube.apply(
      readFileSync(
        fileURLToPath(new URL("./fixtures/tutorial-virtualservice-80-20.yaml", import.meta.url)),
        "utf8",
      ),
    );
    await helm([
      "install",
      "pod",
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
    [one, two] = await Promise.all([startEchoServerProcess("0", "one"), startEchoServerProcess("0", "two")]);
    splitter = await startWeightedSplitter([
      { host: "127.0.0.1", port: one.ports[0] as number, weight: 80 },
      { host: "127.0.0.1", port: two.ports[0] as number, weight: 20 },
    ]);
  }, 120_000);
  afterAll(async () => {
    await splitter?.close();
    await Promise.all([one?.stop(), two?.stop()]);
    await kube?.stop();
    rmSync(secrets, { recursive: true, force: true });
  });

  it("reads virtualservice/NAME through the mounted token, CA and namespace, as in a pod, and PASSes", async () => {
    // What the kubelet mounts into a pod of the chart's prober ServiceAccount.
    const token = await kube.serviceAccountToken("pod-tcp-echo-prober");
    writeFileSync(join(secrets, "token"), token, { mode: 0o644 });
    writeFileSync(join(secrets, "ca.crt"), kube.caCertificate, { mode: 0o644 });
    writeFileSync(join(secrets, "namespace"), "default", { mode: 0o644 });
    chmodSync(secrets, 0o755);
    const apiPort = new URL(kube.url).port;
    const prober = await new ImageContainer()
      .withNetworkMode("host")
      .withEnvironment({ KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: apiPort })
      .withBindMounts([
        { source: secrets, target: "/var/run/secrets/kubernetes.io/serviceaccount", mode: "ro" },
      ])
      .withEntrypoint(["prober"])
      .withCommand(["--expect-from", "virtualservice/tcp-echo", "--json", `127.0.0.1:${splitter.port}`])
      .withWaitStrategy(Wait.forOneShotStartup())
      .start();
    const { stdout, stderr } = await containerOutput(prober.getId());
    const report = JSON.parse(stdout);
    expect(report.verdict, stderr).toBe("PASS");
    expect(report.expectedFrom).toMatchObject({
      kind: "VirtualService",
      name: "tcp-echo",
      namespace: "default",
    });
  }, 120_000);
});
