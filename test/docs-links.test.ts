import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DOCUMENTS = [
  "README.md",
  "charts/tcp-echo/README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(join(ROOT, file), "utf8").replace(/```[\s\S]*?```/g, "");
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1] as string)));
}

/** Every relative link of a document: [file it points to (relative to the root), anchor or ""]. */
function linksOf(file: string): { target: string; anchor: string; text: string }[] {
  const text = readFileSync(join(ROOT, file), "utf8").replace(/```[\s\S]*?```/g, "");
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] as string)
    .filter((href) => !/^[a-z]+:/.test(href))
    .map((href) => {
      const [path, anchor = ""] = href.split("#") as [string, string?];
      const target = path === "" ? file : relative(ROOT, join(ROOT, dirname(file), path));
      return { target, anchor, text: href };
    });
}

describe("the documentation's links", () => {
  it("finds the links it checks (the README links every document of docs/)", () => {
    const fromReadme = new Set(linksOf("README.md").map((link) => link.target));
    expect(DOCUMENTS.filter((doc) => doc.startsWith("docs/") && !fromReadme.has(doc))).toEqual([]);
  });

  it.each(DOCUMENTS)("%s: every relative link points at a file that exists", (file) => {
    const broken = linksOf(file).filter((link) => !existsSync(join(ROOT, link.target)));
    expect(broken.map((link) => link.text)).toEqual([]);
  });

  it.each(DOCUMENTS)("%s: every anchor names a heading of the document it points at", (file) => {
    const broken = linksOf(file).filter(
      (link) => link.anchor !== "" && link.target.endsWith(".md") && !anchorsOf(link.target).has(link.anchor),
    );
    expect(broken.map((link) => link.text)).toEqual([]);
  });
});

/** The mode of each file in git's index: what a fresh clone checks out. */
function indexModes(): Map<string, string> {
  const listing = execFileSync("git", ["ls-files", "-s"], { cwd: ROOT, encoding: "utf8" });
  return new Map(
    listing
      .trim()
      .split("\n")
      .map((line) => {
        const [mode, , , path] = line.split(/\s+/) as [string, string, string, string];
        return [path, mode];
      }),
  );
}

describe("every script the documents tell a user to run", () => {
  const scripts = [
    ...new Set(
      DOCUMENTS.flatMap((file) => [
        ...readFileSync(join(ROOT, file), "utf8").matchAll(/\bscripts\/[\w./-]+\.sh\b/g),
      ]).map((match) => match[0]),
    ),
  ];

  it("finds the scripts the README and docs/ name", () => {
    expect(scripts).toContain("scripts/local-cluster.sh");
    expect(scripts).toContain("scripts/prepare-test-host.sh");
  });

  it.each(scripts)("%s is executable in git's index, as a fresh clone checks it out", (script) => {
    expect(indexModes().get(script)).toBe("100755");
  });
});
