import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse, type TestCase, type TestSuite, type TestSuites } from "junit2json";

const SCHEMA = fileURLToPath(new URL("../fixtures/junit/JUnit.xsd", import.meta.url));

/** Validates `file` against Ant's JUnit schema with libxml2's xmllint; throws with its complaint. */
export function validateAgainstSchema(file: string): void {
  try {
    execFileSync("xmllint", ["--noout", "--schema", SCHEMA, file], { stdio: "pipe" });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new Error(`${file} is not valid JUnit XML: ${stderr}`);
  }
}

/** The file as a CI system reads it: validated against the schema, then parsed by junit2json. */
export async function readJunit(file: string): Promise<TestSuite[]> {
  validateAgainstSchema(file);
  const parsed = (await parse(readFileSync(file, "utf8"))) as TestSuites;
  return parsed.testsuite ?? [];
}

/** What a CI system shows a case as. */
export function caseStatus(test: TestCase): "passed" | "failure" | "error" | "skipped" {
  if (test.failure) return "failure";
  if (test.error) return "error";
  if (test.skipped) return "skipped";
  return "passed";
}

/** A case's message, whichever element carries it. */
export function caseMessage(test: TestCase): string {
  return test.failure?.[0]?.message ?? test.error?.[0]?.message ?? test.skipped?.[0]?.message ?? "";
}

export function property(suite: TestSuite, name: string): string | undefined {
  return suite.properties?.find((p) => p.name === name)?.value;
}
