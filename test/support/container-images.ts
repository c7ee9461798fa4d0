import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { GenericContainer } from "testcontainers";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Image names used by the container tests, pinned in this one place. */
export const LOCAL_BASE_IMAGE = "tcp-echo-local/node:20";
export const IMAGE_UNDER_TEST = "tcp-echo-test/tcp-echo:test";

/** Runs the docker CLI; resolves with stdout. */
export async function docker(...args: string[]): Promise<string> {
  return (await run("docker", args, { maxBuffer: 16 << 20 })).stdout.trim();
}

/** What a container wrote on stdout and on stderr, as `docker logs` keeps them apart. */
export async function containerOutput(id: string): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await run("docker", ["logs", id], { maxBuffer: 16 << 20 });
  return { stdout, stderr };
}

/**
 * Builds the project's Dockerfile with the classic builder, on a local stand-in for the Node 20 base image
 * (made from this machine's Node by scripts/make-local-node-base.sh: no registry can be pulled from here).
 */
export async function buildImageUnderTest(): Promise<void> {
  await run(`${ROOT}scripts/make-local-node-base.sh`, [LOCAL_BASE_IMAGE]);
  const before = new Set(await danglingImages());
  await GenericContainer.fromDockerfile(ROOT)
    .withBuildArgs({ BASE_IMAGE: LOCAL_BASE_IMAGE })
    .build(IMAGE_UNDER_TEST, { deleteOnExit: false });
  // The classic builder leaves the build stage behind as an untagged image: remember it for teardown.
  for (const id of await danglingImages()) if (!before.has(id)) leftovers.add(id);
}

const leftovers = new Set<string>();

async function danglingImages(): Promise<string[]> {
  const ids = await docker("images", "-q", "--filter", "dangling=true");
  return ids ? ids.split("\n") : [];
}

/** A container of the image that can also run with a read-only root filesystem, which testcontainers lacks. */
export class ImageContainer extends GenericContainer {
  constructor() {
    super(IMAGE_UNDER_TEST);
  }

  withReadOnlyRootFilesystem(): this {
    this.hostConfig.ReadonlyRootfs = true;
    return this;
  }
}

/** Removes every container testcontainers made, then the images this suite built. */
export async function removeTestContainersAndImages(): Promise<void> {
  const containers = await docker("ps", "-aq", "--filter", "label=org.testcontainers=true");
  if (containers) await docker("rm", "-f", ...containers.split("\n"));
  await docker("rmi", "-f", IMAGE_UNDER_TEST, LOCAL_BASE_IMAGE, ...leftovers).catch(() => "");
}
