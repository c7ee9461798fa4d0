import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LIMIT = 60;

/** Functions still over the limit, to be split; none may join them, and each leaves once it is split. */
const TO_SPLIT = [
  "prober/serve/verification-server.ts createVerificationServer",
  "server/echo-connection.ts serveConnection",
  "prober/campaign/probe-campaign.ts runProbeCampaign",
  "server/worker-cluster.ts startWorkerCluster",
  "server/echo-server.ts startEchoServer",
  "prober/serve/verification-server.ts check",
  "server/worker-cluster.ts (anonymous)",
];

/** Each function of `source` (declarations, methods, arrows, expressions) longer than `limit` lines, named. */
function longFunctions(file: string, source: string, limit: number): string[] {
  const tree = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const nameOf = (node: ts.Node): string => {
    const named = node as ts.Node & { name?: ts.Node };
    if (named.name) return named.name.getText(tree);
    const parent = node.parent;
    if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(tree);
    if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(tree);
    return "(anonymous)";
  };
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const start = tree.getLineAndCharacterOfPosition(node.getStart(tree)).line;
      const end = tree.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > limit) found.push(`${file} ${nameOf(node)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(tree);
  return found;
}

function programFunctionsOver(limit: number): string[] {
  return ["server", "prober", "splitter", "common"].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: "utf8" })
      .filter((name) => name.endsWith(".ts") && !name.startsWith("wasm/"))
      .flatMap((name) => longFunctions(`${dir}/${name}`, readFileSync(join(ROOT, dir, name), "utf8"), limit)),
  );
}

describe(`the programs' functions (server/, prober/, splitter/, common/), at most ${LIMIT} lines each`, () => {
  const over = programFunctionsOver(LIMIT);

  it("has no function over the limit but those listed to be split", () => {
    expect(over.filter((f) => !TO_SPLIT.includes(f))).toEqual([]);
  });

  it("lists no function that is already within the limit", () => {
    expect(TO_SPLIT.filter((f) => !over.includes(f))).toEqual([]);
  });

  it("would see a function of 61 lines (the check above can fail)", () => {
    const body = Array.from({ length: 59 }, (_, i) => `  const a${i} = ${i};`).join("\n");
    expect(longFunctions("x.ts", `function long() {\n${body}\n}\n`, LIMIT)).toEqual(["x.ts long"]);
  });
});
