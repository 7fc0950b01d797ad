// Ctrl-C and a GitHub cancel (issue 13): real child processes (the CLI and the action's front
// door, from source) deploying to an emulator in this process, receiving real signals. Within a
// few seconds of the first signal the run stops, cancels what has not started building, prints
// what is live, cancelled and unknown, and exits non-zero.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RailwayClient } from "../../action/src/railway/client.ts";
import { type EmulatorStateFile, startEmulator } from "../../emulator/src/index.ts";
import { cloneRepo, ROOT, stackState, type TempRepo } from "./helpers.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An emulator whose simulated deployments take 60 s: long enough to be interrupted mid-way. */
async function slowStack(): Promise<{
  emulator: Emulator;
  token: string;
  projectId: string;
  repo: TempRepo;
}> {
  const repo = cloneRepo();
  cleanups.push(() => repo.remove());
  const { state, token, projectId } = stackState();
  const emulator = await startEmulator({
    state: state as EmulatorStateFile,
    repoDir: repo.dir,
    runner: "simulated",
    simulatedDurationMs: 60_000,
  });
  cleanups.push(() => emulator.stop());
  return { emulator, token, projectId, repo };
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the first signal to the exit. */
  afterSignalMs: number;
}

function start(args: string[], env: Record<string, string>, cwd: string) {
  const child: ChildProcess = spawn(process.execPath, ["--import", import.meta.resolve("tsx"), ...args], {
    cwd,
    env: { ...process.env, RAILWAY_TOKEN: "", RAILWAY_API_TOKEN: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  let signalledAt = 0;
  const exited = new Promise<Finished>((resolve) => {
    child.on("exit", (code) =>
      resolve({ code, stdout, stderr, afterSignalMs: signalledAt ? Date.now() - signalledAt : -1 }),
    );
  });
  return {
    child,
    exited,
    output: () => stdout + stderr,
    signal(name: NodeJS.Signals) {
      signalledAt ||= Date.now();
      child.kill(name);
    },
  };
}

function statusesOf(emulator: Emulator): Map<string, string[]> {
  const byService = new Map<string, string[]>();
  for (const d of emulator.state.deployments.values()) {
    const name = emulator.state.service(d.serviceId)?.name ?? d.serviceId;
    byService.set(name, [...(byService.get(name) ?? []), d.status]);
  }
  return byService;
}

async function until(
  check: () => boolean,
  what: string,
  child: ChildProcess,
  output: () => string,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`timed out waiting for ${what}; the run printed:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("interrupting a deploy", () => {
  it("CLI, Ctrl-C: cancels the deployment that was not building yet, leaves the building one to Railway (no rollback), reports and exits 1", async () => {
    const { emulator, token, projectId, repo } = await slowStack();
    // The frontend's deployment waits (not building yet); the api's builds for a minute.
    emulator.faults.add({ deployment: [{ kind: "waiting", service: "frontend" }] });
    const run = start(
      [
        join(ROOT, "action/src/cli.ts"),
        "deploy",
        "--project",
        projectId,
        "--endpoint",
        emulator.graphqlUrl,
        "--no-smoke",
        "--no-rollback",
        "--timeout-minutes",
        "30",
      ],
      { RAILWAY_TOKEN: token, RAILYARD_CLI: "1" },
      repo.dir,
    );
    await until(
      () => /api: BUILDING \(/.test(run.output()) && /frontend: WAITING \(/.test(run.output()),
      "the run seeing the api building and the frontend waiting",
      run.child,
      run.output,
    );
    run.signal("SIGINT");
    const finished = await run.exited;
    expect(finished.code, finished.stdout + finished.stderr).toBe(1);
    // Seconds, not the 30-minute timeout.
    expect(finished.afterSignalMs).toBeLessThan(15_000);
    expect(finished.stdout).toContain("cancelled: frontend");
    expect(finished.stdout).toContain("still deploying in Railway or unknown: api");
    expect(finished.stdout).toContain("not started: data-poller, trading-engine");
    const statuses = statusesOf(emulator);
    expect(statuses.get("frontend")).toEqual(["REMOVED"]);
    expect(statuses.get("api")).toEqual(["BUILDING"]);
    expect(statuses.has("data-poller")).toBe(false);
  }, 120_000);

  it("the action, SIGINT then SIGTERM as GitHub's runner sends them: the report is printed, nothing is left deploying (rollback on), exit 1", async () => {
    const { emulator, token, repo, projectId } = await slowStack();
    const api = new RailwayClient({ endpoint: emulator.graphqlUrl, token });
    cleanups.push(() => api.close());
    const environmentId =
      (await api.project(projectId)).environments.find((e) => e.name === "production")?.id ?? "";
    // Each service's source, build and deploy settings. Not compared: variables (one this run
    // changed cannot be put back, its earlier value is not readable without decrypting it, and
    // the report says so), the domains provision created, and the Config File setting Railway's
    // IaC clears (both stay, by design: decisions 0110, 0130).
    const settings = async () => {
      const { config } = await api.environmentState(environmentId);
      const services = (config as { services?: Record<string, Record<string, unknown>> }).services ?? {};
      return JSON.stringify(
        Object.entries(services).map(([id, { source, build, deploy }]) => [id, source, build, deploy]),
      );
    };
    const before = await settings();
    const inputs: Record<string, string> = {
      mode: "deploy",
      "railway-token": token,
      endpoint: emulator.graphqlUrl,
      environment: "production",
      smoke: "false",
      rollback: "true",
      "timeout-minutes": "30",
      "smoke-timeout-minutes": "5",
      concurrency: "4",
      "stability-seconds": "20",
      "browser-path": "none",
      "working-directory": ".",
    };
    const env: Record<string, string> = { GITHUB_WORKSPACE: repo.dir };
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
    const run = start([join(ROOT, "action/src/main.ts")], env, repo.dir);
    await until(
      () => /api: BUILDING \(/.test(run.output()),
      "the run seeing the api building",
      run.child,
      run.output,
    );
    // The run applied its settings before deploying (else the check below could not fail).
    expect(await settings()).not.toBe(before);
    run.signal("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (run.child.exitCode === null) run.signal("SIGTERM");
    const finished = await run.exited;
    expect(finished.code, finished.stdout + finished.stderr).toBe(1);
    expect(finished.afterSignalMs).toBeLessThan(15_000);
    expect(finished.stdout).toContain(
      "::error::railyard: interrupted: live on the new commit: none; cancelled: ",
    );
    expect(finished.stdout).toContain("not started: data-poller, trading-engine");
    // With rollback on, what was building is cancelled too: nothing of this run goes live later.
    for (const [service, statuses] of statusesOf(emulator)) {
      expect([service, statuses]).toEqual([service, ["REMOVED"]]);
    }
    // And the settings it changed are back as they were.
    expect(finished.stdout).toContain(
      "settings: restored the settings of api, data-poller, trading-engine, frontend; not restored: service.api variable CORS_ORIGIN",
    );
    expect(await settings()).toBe(before);
  }, 120_000);
});
