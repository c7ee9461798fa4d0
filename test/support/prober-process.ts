import { PROBER_CLI, spawnTracked } from "./child-processes.js";

export interface ProberRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real prober CLI to completion. */
export async function runProber(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  stdin?: string,
): Promise<ProberRun> {
  const proc = spawnTracked(process.execPath, [PROBER_CLI, ...args], env, stdin);
  const code = await proc.exited;
  return { code, stdout: proc.lines.join("\n"), stderr: proc.stderr() };
}

/** Runs the prober with --json and returns the parsed report with the exit code. */
export async function runProberJson(args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = await runProber([...args, "--json"], env);
  if (run.stderr) throw new Error(`prober wrote to stderr: ${run.stderr}`);
  return { code: run.code, report: JSON.parse(run.stdout) };
}
