import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/status.test.ts", "test/build-env.test.ts", "test/railway-toml.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "browser",
          include: ["test/stack-status.browser.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 180_000,
        },
      },
    ],
  },
});
