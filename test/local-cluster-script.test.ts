import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { spawnTracked } from "./support/child-processes.js";

const SCRIPT = fileURLToPath(new URL("../scripts/local-cluster.sh", import.meta.url));
/** An instance of the script's own, apart from the cluster other tests bring up. */
const NAME = `tce-t${process.pid % 100_000}`;
const CGROUPS = "/sys/fs/cgroup";

/** Runs the script as the docs write it (its own run bit, no `bash` in front). */
async function script(args: string[], env: NodeJS.ProcessEnv) {
  const run = spawnTracked(SCRIPT, args, { TCP_ECHO_CLUSTER_NAME: NAME, ...env });
  const code = await run.exited;
  return { code, stderr: run.stderr() };
}

/** A `sleep` placed in the instance's cgroup of one hierarchy. */
function sleeperIn(hierarchy: string) {
  const sleeper = spawnTracked("sleep", ["600"]);
  mkdirSync(join(CGROUPS, hierarchy, NAME), { recursive: true });
  writeFileSync(join(CGROUPS, hierarchy, NAME, "cgroup.procs"), String(sleeper.child.pid));
  return sleeper;
}

describe("scripts/local-cluster.sh, on this machine's cgroups and namespaces", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        cleanup();
      } catch {
        // Each is tried; what is already gone is fine.
      }
    }
  });

  it("refuses a host with cgroup v2 only in one line, exit 2, before touching anything", async () => {
    const unified = mkdtempSync(join(tmpdir(), "tce-cgroup2-"));
    execFileSync("mount", ["-t", "cgroup2", "none", unified]);
    cleanups.push(() => rmdirSync(unified));
    cleanups.push(() => execFileSync("umount", [unified]));
    const state = join(tmpdir(), `${NAME}-state`);
    const { code, stderr } = await script(["up"], {
      TCP_ECHO_CLUSTER_CGROUPS: unified,
      TCP_ECHO_CLUSTER_STATE: state,
    });
    expect(code).toBe(2);
    expect(stderr).toBe(
      `local-cluster: needs cgroup v1 (pids and cpuset hierarchies under ${unified}); this host has only cgroup v2 (cgroup2fs)\n`,
    );
    expect(existsSync(state)).toBe(false);
    expect(existsSync(`/run/netns/${NAME}`)).toBe(false);
  });

  it("goes on past a cgroup still busy: every other step done, what is left named, exit 1", async () => {
    const state = mkdtempSync(join(tmpdir(), "tce-down-"));
    cleanups.push(() => rmSync(state, { recursive: true, force: true }));
    execFileSync("ip", ["netns", "add", NAME]);
    cleanups.push(() => existsSync(`/run/netns/${NAME}`) && execFileSync("ip", ["netns", "del", NAME]));
    // One container process down kills by the pids hierarchy; one it cannot know of, in the freezer's.
    const container = sleeperIn("pids");
    const stray = sleeperIn("freezer");
    mkdirSync(join(CGROUPS, "devices", NAME));
    cleanups.push(() => {
      stray.child.kill("SIGKILL");
      for (const hierarchy of ["pids", "freezer", "devices"]) {
        const dir = join(CGROUPS, hierarchy, NAME);
        // The killed sleep leaves its cgroup a moment later.
        for (let i = 0; i < 1000 && existsSync(dir); i++) {
          try {
            rmdirSync(dir);
          } catch {
            execFileSync("sleep", ["0.01"]);
          }
        }
      }
    });

    const { code, stderr } = await script(["down"], { TCP_ECHO_CLUSTER_STATE: state });
    expect(code).toBe(1);
    expect(stderr).toBe(
      `local-cluster: down: could not remove: cgroup ${CGROUPS}/freezer/${NAME} (processes: ${stray.child.pid} )\n`,
    );
    expect(await container.exited).toBe(null);
    expect(existsSync(join(CGROUPS, "pids", NAME))).toBe(false);
    expect(existsSync(join(CGROUPS, "devices", NAME))).toBe(false);
    expect(existsSync(`/run/netns/${NAME}`)).toBe(false);
    expect(existsSync(state)).toBe(false);
  }, 60_000);

  it("says nothing is left, exit 0, once nothing is", async () => {
    const state = mkdtempSync(join(tmpdir(), "tce-down-"));
    const { code, stderr } = await script(["down"], { TCP_ECHO_CLUSTER_STATE: state });
    expect(code).toBe(0);
    expect(stderr).toBe("local-cluster: down: nothing of the cluster is left\n");
    expect(existsSync(state)).toBe(false);
  });
});
