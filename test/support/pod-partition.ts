import { execFile } from "node:child_process";
import { readdirSync, readlinkSync } from "node:fs";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The host PID of a process of a pod: its executable's name, in the network namespace holding `podIp`. */
async function pidInPod(executable: string, podIp: string): Promise<string> {
  const candidates = readdirSync("/proc").filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readlinkSync(`/proc/${pid}/exe`).endsWith(`/${executable}`);
    } catch {
      return false;
    }
  });
  for (const pid of candidates) {
    const { stdout } = await run("nsenter", ["-t", pid, "-n", "ip", "-4", "-o", "addr"]).catch(() => ({
      stdout: "",
    }));
    if (stdout.includes(` ${podIp}/`)) return pid;
  }
  throw new Error(`no ${executable} process in the pod at ${podIp} (looked at ${candidates.length})`);
}

/**
 * Cuts a pod off from the API server as a partition would: in the pod's own network namespace, every
 * packet to the kubernetes Service is dropped, the established watches' too, while its clients and its
 * backends still reach it. Resolves with the function that lifts the cut.
 */
export async function cutFromApiServer(
  executable: string,
  podIp: string,
  apiService: { ip: string; port: number },
): Promise<() => Promise<void>> {
  const pid = await pidInPod(executable, podIp);
  const rule = ["OUTPUT", "-d", apiService.ip, "-p", "tcp", "--dport", String(apiService.port), "-j", "DROP"];
  await run("nsenter", ["-t", pid, "-n", "iptables", "-I", ...rule]);
  let lifted = false;
  return async () => {
    if (lifted) return;
    lifted = true;
    await run("nsenter", ["-t", pid, "-n", "iptables", "-D", ...rule]);
  };
}
