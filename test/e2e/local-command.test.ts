// The main command tells a person plainly what is missing when PostgreSQL or Redis cannot be
// reached (the full run is covered by real-stack.test.ts, which runs the same pipeline).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("npm run local (scripts/local.mjs)", () => {
  it("names PostgreSQL and Redis, and how to start them, when neither answers", async () => {
    const result = await run("node", ["scripts/local.mjs", "--exit"], {
      env: { ...process.env, PGPORT: "1", REDIS_PORT: "1" },
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("railyard local: cannot deploy locally:");
    expect(result.stderr).toContain(
      "PostgreSQL is not reachable at 127.0.0.1:1 as user postgres (ECONNREFUSED)",
    );
    expect(result.stderr).toContain("sudo service postgresql start");
    expect(result.stderr).toContain("Redis is not reachable at 127.0.0.1:1 (ECONNREFUSED)");
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
