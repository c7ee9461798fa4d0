import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { automaticWorkerCount, cgroupCpuLimit } from "../server/cpu-limit.js";

const roots: string[] = [];
/** A cgroup mount laid out as a container sees it, with the given files. */
function cgroupRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "tcp-echo-cgroup-"));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe("the cgroup CPU limit", () => {
  it("reads cgroup v2's cpu.max as quota over period", () => {
    expect(cgroupCpuLimit(cgroupRoot({ "cpu.max": "150000 100000\n" }))).toBe(1.5);
  });

  it("finds no limit in cgroup v2's `max`", () => {
    expect(cgroupCpuLimit(cgroupRoot({ "cpu.max": "max 100000\n" }))).toBeUndefined();
  });

  it("reads cgroup v1's CFS quota over its period", () => {
    const root = cgroupRoot({ "cpu/cpu.cfs_quota_us": "50000\n", "cpu/cpu.cfs_period_us": "100000\n" });
    expect(cgroupCpuLimit(root)).toBe(0.5);
  });

  it("finds no limit in cgroup v1's quota of -1", () => {
    const root = cgroupRoot({ "cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n" });
    expect(cgroupCpuLimit(root)).toBeUndefined();
  });

  it("finds no limit where there is no cgroup file", () => {
    expect(cgroupCpuLimit(cgroupRoot({}))).toBeUndefined();
  });
});

describe("--workers auto", () => {
  it("is one per available CPU without a limit", () => {
    expect(automaticWorkerCount(cgroupRoot({}))).toBe(availableParallelism());
  });

  it("is one under a limit of half a CPU", () => {
    expect(automaticWorkerCount(cgroupRoot({ "cpu.max": "50000 100000" }))).toBe(1);
  });

  it("rounds a fractional limit up, to at most the available CPUs", () => {
    expect(automaticWorkerCount(cgroupRoot({ "cpu.max": "150000 100000" }))).toBe(
      Math.min(2, availableParallelism()),
    );
  });
});
