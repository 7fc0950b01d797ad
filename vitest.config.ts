import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["action/src/**/*.test.ts", "emulator/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "backend/**", "frontend/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
