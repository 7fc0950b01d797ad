// The CLI names its own flags and the commit it cannot find (issue 13, Low): a bad --commit is
// reported as --commit, not as the action input's name, and an unknown commit is bad usage
// (exit 2, the commit named), not an "unexpected error". Run from source as a child process.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../e2e/helpers.ts";

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", import.meta.resolve("tsx"), join(ROOT, "action/src/cli.ts"), ...args],
      {
        cwd: ROOT,
        env: { ...process.env, RAILYARD_CLI: "1", RAILWAY_TOKEN: "t-usage", RAILWAY_API_TOKEN: "" },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("the CLI's usage errors", () => {
  it("a malformed --commit is reported as --commit", async () => {
    const result = await cli(["deploy", "--commit", "zz"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("railyard: --commit: ");
    expect(result.stderr).not.toContain("--commit-sha");
  });

  it("a commit that is not in the repository exits 2 and names it", async () => {
    const result = await cli(["plan", "--commit", "deadbee", "--endpoint", "http://127.0.0.1:9/graphql/v2"]);
    expect(result.stdout + result.stderr).not.toContain("unexpected error");
    expect(result.stdout + result.stderr).toContain("deadbee");
    expect(result.stdout + result.stderr).toMatch(/commit deadbee .*not .*in the repository/);
    expect(result.code).toBe(2);
  });
});
