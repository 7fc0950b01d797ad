// What CI's self-test job does: the committed bundle, run through action.yml by the harness,
// deploys this repository to the emulator (simulated deployments) and sets its outputs.
// Also the CLI front door's exit codes against the same emulator.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/src/index.ts";
// @ts-expect-error: a plain ESM script without type declarations
import { runAction } from "../../scripts/action-harness.mjs";
import { cloneRepo, stackState, type TempRepo } from "../e2e/helpers.ts";

const run = promisify(execFile);
let repo: TempRepo;
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let token: string;
let projectId: string;

beforeAll(async () => {
  repo = cloneRepo();
  const stack = stackState();
  token = stack.token;
  projectId = stack.projectId;
  emulator = await startEmulator({
    state: stack.state as never,
    repoDir: repo.dir,
    runner: "simulated",
    simulatedDurationMs: 300,
  });
});

afterAll(async () => {
  await emulator?.stop();
  repo?.remove();
});

async function cli(args: string[], env: Record<string, string> = {}, cwd = repo.dir) {
  try {
    const { stdout, stderr } = await run("node", [join(process.cwd(), "action/dist/cli.js"), ...args], {
      cwd,
      env: { ...process.env, RAILWAY_TOKEN: "", RAILWAY_API_TOKEN: "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("the action deploys to the emulator (CI self-test)", () => {
  it("plans, then deploys every service, with outputs, summary and the token masked", async () => {
    const env = { GITHUB_WORKSPACE: repo.dir };
    const inputs = {
      "railway-token": token,
      endpoint: emulator.graphqlUrl,
      smoke: "false",
      "stability-seconds": "0",
    };
    const plan = await runAction({ inputs: { ...inputs, mode: "plan" }, env, workspace: repo.dir });
    expect(plan.exitCode).toBe(0);
    expect(plan.summary).toContain("| api | yes | no live deployment in this environment |");
    const deploy = await runAction({ inputs: { ...inputs, mode: "deploy" }, env, workspace: repo.dir });
    expect(deploy.stderr + deploy.stdout).not.toMatch(/::error/);
    expect(deploy.exitCode).toBe(0);
    expect(deploy.outputs.result).toBe("success");
    expect(deploy.outputs["deployed-services"].split(",").sort()).toEqual([
      "api",
      "data-poller",
      "frontend",
      "trading-engine",
    ]);
    const services = JSON.parse(deploy.outputs.services) as { name: string; status: string }[];
    expect(services.map((s) => s.status)).toEqual(["SUCCESS", "SUCCESS", "SUCCESS", "SUCCESS"]);
    expect(deploy.stdout).toContain(`::add-mask::${token}`);
    // Besides the mask commands themselves, the token appears nowhere.
    expect(deploy.stdout.replaceAll(`::add-mask::${token}`, "")).not.toContain(token);
    expect(deploy.summary).toContain("### Deployments");
  }, 120_000);
});

describe("the CLI", () => {
  it("plans against the emulator and exits 0", async () => {
    const result = await cli(["plan", "--project", projectId, "--endpoint", emulator.graphqlUrl], {
      RAILWAY_TOKEN: token,
    });
    expect(result.stderr).not.toContain("unexpected error");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("plan:");
    expect(result.stdout).toContain("railyard: Plan succeeded");
    expect(result.stdout + result.stderr).not.toContain(token);
  });

  it("exits 2 with the flag named on bad usage, and without a token", async () => {
    const bad = await cli(["deploy", "--timeout-minutes", "soon"], { RAILWAY_TOKEN: token });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('railyard: --timeout-minutes: expected a number, got "soon"');
    const noToken = await cli(["plan", "--endpoint", emulator.graphqlUrl]);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain("railyard: RAILWAY_TOKEN: mode plan needs a Railway token");
    const unknown = await cli(["ship"]);
    expect(unknown.code).toBe(2);
  });

  it("exits 1 with file:line for a broken config, and a wrong token gets one clear line and exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "railyard-cli-"));
    try {
      writeFileSync(join(dir, "railway.toml"), '[deploy]\nstartComand = "npm start"\n');
      const result = await cli(["validate", "railway.toml"], {}, dir);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/railway\.toml:2:1 error/);
      expect(result.stdout).toContain("startCommand");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const wrong = await cli(["plan", "--endpoint", emulator.graphqlUrl], {
      RAILWAY_TOKEN: "not-a-real-token",
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout).toMatch(/railyard: Plan failed: .*the token is invalid or expired/i);
    expect(wrong.stdout + wrong.stderr).not.toContain("not-a-real-token");
    expect(wrong.stdout + wrong.stderr).not.toMatch(/\n\s+at /);
  });
});
