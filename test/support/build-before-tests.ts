import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Vitest's global setup: the process tests run the programs from `dist/`, so they are built from the
 * source under test first, whether the suite runs from `npm test` or from `vitest` alone.
 */
export default function buildBeforeTests(): void {
  const root = fileURLToPath(new URL("../..", import.meta.url));
  try {
    execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`npm run build failed before the tests:\n${stdout ?? ""}${stderr ?? ""}`);
  }
}
