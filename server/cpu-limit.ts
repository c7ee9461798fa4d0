import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
};

/** Quota over period; "max" (v2) and -1 (v1) mean no limit. */
function cpus(quota: string | undefined, period: string | undefined): number | undefined {
  const share = Number(quota) / Number(period);
  return Number.isFinite(share) && share > 0 ? share : undefined;
}

/**
 * The CPU bandwidth limit of this process's cgroup in CPUs (150 ms of CPU per 100 ms is 1.5), or
 * undefined when there is none. It is what `docker run --cpus` and a Kubernetes `limits.cpu` set;
 * container runtimes mount the container's own cgroup at /sys/fs/cgroup, where cgroup v2 keeps it in
 * `cpu.max` and v1 in `cpu/cpu.cfs_quota_us` over `cpu/cpu.cfs_period_us`.
 */
export function cgroupCpuLimit(root = "/sys/fs/cgroup"): number | undefined {
  const v2 = readText(`${root}/cpu.max`);
  if (v2 !== undefined) {
    const [quota, period] = v2.trim().split(/\s+/);
    return cpus(quota, period);
  }
  return cpus(readText(`${root}/cpu/cpu.cfs_quota_us`), readText(`${root}/cpu/cpu.cfs_period_us`));
}

/**
 * `--workers auto`: one per CPU the process may run on, but no more than its cgroup's CPU limit rounded
 * up (Go's runtime sizes GOMAXPROCS the same way since Go 1.25): more processes than the limit only
 * get throttled together.
 */
export function automaticWorkerCount(root?: string): number {
  const limit = cgroupCpuLimit(root);
  const available = availableParallelism();
  return limit === undefined ? available : Math.max(1, Math.min(available, Math.ceil(limit)));
}
