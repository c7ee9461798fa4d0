import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const KUBERNETES_DOC = fileURLToPath(new URL("../../docs/kubernetes.md", import.meta.url));

/** The YAML blocks of docs/kubernetes.md's canary-controller section, as written there. */
export function canaryExamples(): string[] {
  const doc = readFileSync(KUBERNETES_DOC, "utf8");
  const section = doc.slice(doc.indexOf("## Canary controllers"));
  return [...section.matchAll(/```yaml\n([\s\S]*?)\n```/g)].map((match) => match[1] as string);
}
