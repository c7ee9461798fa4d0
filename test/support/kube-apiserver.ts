import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { freePort } from "../../devtools/free-port.js";
import { spawnTracked, type TrackedProcess } from "./child-processes.js";
import { preparedTool } from "./test-tools.js";

const CRDS = fileURLToPath(new URL("../../.cache/crds/", import.meta.url));

/** A real kube-apiserver on loopback with its own etcd, started by a test and stopped by it. */
export interface KubeApiServer {
  readonly url: string;
  /** The API server's self-signed certificate, PEM: what a pod finds in its service account's ca.crt. */
  readonly caCertificate: string;
  /** A kubeconfig file for the admin user (system:masters), current namespace `default`. */
  readonly adminKubeconfig: string;
  /** Writes a kubeconfig for a bearer token (a service account's, say; the admin's when undefined) in a namespace. */
  kubeconfigFor(token: string | undefined, namespace?: string): string;
  /** Server-side applies every object in the YAML text (CRDs too: Argo's exceed client-side apply's annotation). */
  apply(yaml: string): Promise<void>;
  /** Applies the CRDs of `group` from a file scripts/build-kube-tools.sh fetched into .cache/crds. */
  applyCrds(file: string, group: string): Promise<void>;
  /** A short-lived token of a service account (TokenRequest), as the kubelet mounts into its pods. */
  serviceAccountToken(name: string, namespace?: string): Promise<string>;
  /** A raw request as the admin, e.g. a service account's TokenRequest. */
  request(method: string, path: string, body?: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: { group?: string };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Where an object lives in the REST API: the few kinds the tests apply. */
function resourcePath(object: KubeObject): string {
  const plural: Record<string, string> = {
    CustomResourceDefinition: "customresourcedefinitions",
    Namespace: "namespaces",
    ServiceAccount: "serviceaccounts",
    Role: "roles",
    RoleBinding: "rolebindings",
    Secret: "secrets",
    Service: "services",
    EndpointSlice: "endpointslices",
    VirtualService: "virtualservices",
    Gateway: "gateways",
    DestinationRule: "destinationrules",
    TCPRoute: "tcproutes",
    Rollout: "rollouts",
    AnalysisTemplate: "analysistemplates",
    Canary: "canaries",
  };
  const kind = object.kind ?? "";
  const resource = plural[kind];
  if (!resource) throw new Error(`the test API server helper cannot apply a ${kind}`);
  const version = object.apiVersion ?? "v1";
  const base = version.includes("/") ? `/apis/${version}` : `/api/${version}`;
  const cluster = kind === "CustomResourceDefinition" || kind === "Namespace";
  const namespace = cluster ? "" : `/namespaces/${object.metadata?.namespace ?? "default"}`;
  return `${base}${namespace}/${resource}/${object.metadata?.name}`;
}

/** Resolves once `check` does; polls it every 100 ms until `limitMs`, naming `what` when it never does. */
async function until(what: string, check: () => Promise<boolean>, limitMs = 60_000): Promise<void> {
  const deadline = performance.now() + limitMs;
  while (!(await check().catch(() => false))) {
    if (performance.now() > deadline) throw new Error(`${what} not ready within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startKubeApiServer(): Promise<KubeApiServer> {
  const dir = mkdtempSync(join(tmpdir(), "tcp-echo-kube-"));
  const processes: TrackedProcess[] = [];
  const stop = async () => {
    for (const proc of processes.reverse()) {
      if (proc.child.exitCode === null) proc.child.kill("SIGTERM");
      await proc.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = spawnTracked(preparedTool("etcd"), [
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      "--log-level=error",
    ]);
    processes.push(etcd);
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    const adminToken = randomBytes(16).toString("hex");
    writeFileSync(join(dir, "tokens.csv"), `${adminToken},admin,admin,system:masters\n`);
    const api = spawnTracked(preparedTool("kube-apiserver"), [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      "--bind-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${join(dir, "certs")}`,
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc",
      "--service-cluster-ip-range=10.96.0.0/24",
      "--authorization-mode=RBAC",
      // No controller-manager creates default service accounts, and the loopback address is no endpoint.
      "--disable-admission-plugins=ServiceAccount",
      "--endpoint-reconciler-type=none",
      "--v=0",
    ]);
    processes.push(api);
    const url = `https://127.0.0.1:${apiPort}`;
    const kubeconfig = (name: string, token: string, namespace: string) => {
      const file = join(dir, `${name}.kubeconfig`);
      const ca = readFileSync(join(dir, "certs", "apiserver.crt")).toString("base64");
      writeFileSync(
        file,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: "test", cluster: { server: url, "certificate-authority-data": ca } }],
          users: [{ name, user: { token } }],
          contexts: [{ name, context: { cluster: "test", user: name, namespace } }],
          "current-context": name,
        }),
      );
      return file;
    };
    await until("kube-apiserver's certificate", async () => {
      readFileSync(join(dir, "certs", "apiserver.crt"));
      return true;
    });
    const adminKubeconfig = kubeconfig("admin", adminToken, "default");
    const ca = readFileSync(join(dir, "certs", "apiserver.crt"));
    await until(
      "kube-apiserver",
      () =>
        new Promise<boolean>((resolve) => {
          const request = get(
            `${url}/readyz`,
            { ca, headers: { authorization: `Bearer ${adminToken}` } },
            (response) => {
              response.resume();
              resolve(response.statusCode === 200);
            },
          );
          request.on("error", () => resolve(false));
        }),
    );
    /** The API over HTTPS as the admin: raw, so that CRDs reach it exactly as written. */
    const call = (method: string, path: string, body?: string, contentType = "application/json") =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpsRequest(
          `${url}${path}`,
          { method, ca, headers: { authorization: `Bearer ${adminToken}`, "content-type": contentType } },
          (response) => {
            let text = "";
            response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    /** Each document of a YAML stream, as its own text and as read here for its kind and name. */
    const documents = (yaml: string) =>
      yaml
        .split(/^---\s*$/m)
        .map((text) => ({
          text,
          object: parseAllDocuments(text)[0]?.toJS() as KubeObject | null | undefined,
        }))
        .filter((d): d is { text: string; object: KubeObject } => Boolean(d.object?.kind));
    // The text itself goes to the server, whose YAML reader is kubectl's: Flagger's CRD has multi-line
    // quoted descriptions that it reads and a stricter reader would not.
    const apply = async (yaml: string) => {
      for (const { text, object } of documents(yaml)) {
        const path = `${resourcePath(object)}?fieldManager=tcp-echo-tests&force=true`;
        const { status, body } = await call("PATCH", path, text, "application/apply-patch+yaml");
        if (status >= 300)
          throw new Error(`apply ${object.kind}/${object.metadata?.name}: ${status} ${body}`);
      }
    };
    let serial = 0;
    return {
      url,
      caCertificate: ca.toString("utf8"),
      adminKubeconfig,
      kubeconfigFor: (token, namespace = "default") =>
        kubeconfig(`user${++serial}`, token ?? adminToken, namespace),
      apply,
      async applyCrds(file, group) {
        const chosen = documents(readFileSync(join(CRDS, file), "utf8")).filter(
          ({ object }) => object.kind === "CustomResourceDefinition" && object.spec?.group === group,
        );
        await apply(chosen.map(({ text }) => text).join("\n---\n"));
        const crds = chosen.map(({ object }) => object);
        // Custom resources are served once their CRD is Established.
        await until(`CRDs of ${group}`, async () => {
          for (const crd of crds) {
            const { body } = await call("GET", resourcePath(crd));
            const conditions = (JSON.parse(body) as KubeObject).status?.conditions ?? [];
            if (!conditions.some((c) => c.type === "Established" && c.status === "True")) return false;
          }
          return true;
        });
      },
      request: (method, path, body) => call(method, path, body),
      async serviceAccountToken(name, namespace = "default") {
        const body = {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: 600 },
        };
        const answer = await call(
          "POST",
          `/api/v1/namespaces/${namespace}/serviceaccounts/${name}/token`,
          JSON.stringify(body),
        );
        if (answer.status >= 300)
          throw new Error(`TokenRequest for ${namespace}/${name}: ${answer.status} ${answer.body}`);
        return (JSON.parse(answer.body) as { status: { token: string } }).status.token;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
