// The bundled action's process ends when its work is done: after the report, no timer, socket
// or handle keeps Node alive (issue 14). Measured from outside, on a child process: the time
// from the last byte it writes to its exit. GitHub waits for that exit on every job.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/src/index.ts";
import { cloneRepo, stackState, type TempRepo } from "../e2e/helpers.ts";

let repo: TempRepo;
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let token: string;

beforeAll(async () => {
  repo = cloneRepo();
  const stack = stackState();
  token = stack.token;
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

/** Runs action/dist/main.js with these inputs; times its last output and its exit. */
function runMain(inputs: Record<string, string>): Promise<{
  code: number | null;
  output: string;
  exitAfterLastOutputMs: number;
}> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    GITHUB_WORKSPACE: repo.dir,
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const child = spawn(process.execPath, [join(process.cwd(), "action/dist/main.js")], {
    cwd: repo.dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let lastOutput = performance.now();
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    lastOutput = performance.now();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    // "exit": the process itself ended (not when its pipes happen to close).
    child.on("exit", (code) => {
      resolve({ code, output, exitAfterLastOutputMs: performance.now() - lastOutput });
    });
  });
}

describe("action/dist/main.js exits when its work is done", () => {
  it("a deploy that follows deployments over a subscription exits within a second of its report", async () => {
    const result = await runMain({
      mode: "redeploy",
      "railway-token": token,
      endpoint: emulator.graphqlUrl,
      smoke: "false",
      "stability-seconds": "1",
    });
    expect(result.output).toContain("SUCCESS");
    expect(result.code).toBe(0);
    // The subscription socket was used: an idle socket or timer would show here.
    expect(emulator.stats.webSocketConnections).toBeGreaterThan(0);
    expect(result.exitAfterLastOutputMs).toBeLessThan(1000);
  }, 120_000);

  it("a failed run (a token Railway refuses) exits as promptly, non-zero", async () => {
    const result = await runMain({
      mode: "deploy",
      "railway-token": "not-a-token",
      endpoint: emulator.graphqlUrl,
    });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/railyard:/);
    expect(result.exitAfterLastOutputMs).toBeLessThan(1000);
  }, 60_000);
});
