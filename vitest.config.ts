import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "testbed/**/*.test.ts", "test/**/*.test.ts", "infra/**/*.test.ts"],
    exclude: ["**/node_modules/**", "infra/cdk.out/**"],
    // Two cores here: forks keep native better-sqlite3 handles isolated per file.
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The AWS SDK's 8-line Node 20 notice, once per test process, says nothing a test needs.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
