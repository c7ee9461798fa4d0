// Prints vitest's totals from its JSON report as the plain line "N passed, N failed, N skipped".
// Tests that never ran because their file's setup failed count as failed, not skipped, and a failed run
// never reports 0 failed.
import { readFileSync } from "node:fs";

const report = JSON.parse(readFileSync(process.argv[2] ?? "test-results/vitest.json", "utf8"));
let failed = report.numFailedTests;
let skipped = report.numPendingTests + report.numTodoTests;
for (const file of report.testResults) {
  if (file.status !== "failed") continue;
  const unrun = file.assertionResults.filter(
    (test) => test.status === "skipped" || test.status === "pending",
  ).length;
  failed += unrun;
  skipped -= unrun;
}
if (!report.success && failed === 0) failed = 1;
console.log(`${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
