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
