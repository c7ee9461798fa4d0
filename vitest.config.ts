import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/build-before-tests.ts"],
    setupFiles: ["test/support/teardown.ts"],
    testTimeout: 30_000,
    // Ryuk's image cannot be pulled here; the container tests remove what they make themselves.
    env: { TESTCONTAINERS_RYUK_DISABLED: "true" },
    hookTimeout: 120_000,
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }]],
  },
});
