import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BASE = "tcp-echo-bench/node:20";
const IMAGE = "tcp-echo-bench/tcp-echo:bench";

export interface ImageSize {
  base: string;
  baseBytes: number;
  imageBytes: number;
  addedBytes: number;
}

const docker = async (...args: string[]) =>
  (await run("docker", args, { maxBuffer: 64 << 20 })).stdout.trim();
const size = async (image: string) =>
  Number(await docker("image", "inspect", image, "--format", "{{.Size}}"));
const dangling = async () =>
  new Set((await docker("images", "-q", "--filter", "dangling=true")).split("\n").filter(Boolean));

/**
 * Builds the Dockerfile on the local stand-in for the Node 20 base (no registry here) and reports the
 * sizes; undefined where no Docker engine answers. Removes what it built.
 */
export async function measureImageSize(): Promise<ImageSize | undefined> {
  try {
    await docker("info");
  } catch {
    return undefined;
  }
  const before = await dangling();
  try {
    await run(`${ROOT}scripts/make-local-node-base.sh`, [BASE]);
    await run("docker", ["build", "-q", "--build-arg", `BASE_IMAGE=${BASE}`, "-t", IMAGE, ROOT], {
      env: { ...process.env, DOCKER_BUILDKIT: "0" },
      maxBuffer: 64 << 20,
    });
    const [baseBytes, imageBytes] = [await size(BASE), await size(IMAGE)];
    return {
      base: `${BASE} (stand-in built from this machine's Node 20)`,
      baseBytes,
      imageBytes,
      addedBytes: imageBytes - baseBytes,
    };
  } finally {
    const left = [...(await dangling())].filter((id) => !before.has(id));
    await docker("rmi", "-f", IMAGE, BASE, ...left).catch(() => "");
  }
}
