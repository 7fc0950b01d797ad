// The process runner against real processes: fixture apps in a git repository made at test time
// are checked out, built, started, health-checked, proxied, crashed, restarted and stopped.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createFixtureRepo,
  type FixtureRepo,
  fixtureSpec,
  httpGet,
  livingProcesses,
  RecordingSink,
} from "./process.fixtures.ts";
import { ProcessRunner } from "./process.ts";
import { trackedGroupIds } from "./process-group.ts";
import type { DeploymentSpec, RunningDeployment } from "./types.ts";

let repo: FixtureRepo;
let runner: ProcessRunner;
let workDir: string;

beforeAll(() => {
  repo = createFixtureRepo();
});

afterAll(() => {
  rmSync(repo.dir, { recursive: true, force: true });
});

function newRunner(): ProcessRunner {
  workDir = mkdtempSync(path.join(tmpdir(), "railyard-runner-work-"));
  runner = new ProcessRunner({
    workDir,
    startupGraceMs: 300,
    healthcheckIntervalMs: 100,
    restartBackoffMs: 50,
  });
  return runner;
}

afterEach(async () => {
  await runner?.close();
  rmSync(workDir, { recursive: true, force: true });
});

function deploy(spec: DeploymentSpec, signal = new AbortController().signal) {
  const sink = new RecordingSink();
  const running: RunningDeployment = runner.start(spec, sink, signal);
  return { sink, running };
}

async function appPid(domain: string): Promise<number> {
  const { body } = await httpGet(domain, "/pid");
  return Number(body);
}

describe("ProcessRunner", () => {
  it("builds a commit, starts it with PORT and the variables, and serves it on the service domain", async () => {
    newRunner();
    const domain = await runner.serviceDomain("svc-app", "env-1");
    expect(domain).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await runner.serviceDomain("svc-app", "env-1")).toBe(domain);

    const before = await httpGet(domain, "/");
    expect(before).toEqual({ status: 502, body: "Application failed to respond" });

    process.env.RAILYARD_RUNNER_SECRET = "must-not-reach-children";
    try {
      const { sink } = deploy(
        fixtureSpec(repo, { settings: { ...fixtureSpec(repo).settings, healthcheckPath: "/health" } }),
      );
      await sink.untilStatus("SUCCESS");
      expect(sink.statuses).toEqual(["BUILDING", "DEPLOYING", "SUCCESS"]);
      expect(sink.events.map((event) => `${event.step} ${event.status}`)).toEqual([
        "BUILD STARTED",
        "BUILD SUCCEEDED",
        "DEPLOY STARTED",
        "HEALTHCHECK STARTED",
        "HEALTHCHECK SUCCEEDED",
        "DEPLOY SUCCEEDED",
      ]);
      expect(sink.buildLines).toContain("building with mark m1");

      const page = await httpGet(domain, "/");
      expect(page).toEqual({ status: 200, body: "hi v1 built=m1+ci" });
      const env = JSON.parse((await httpGet(domain, "/env")).body) as Record<string, string>;
      expect(env.PORT).toMatch(/^\d+$/);
      expect(env.PORT).not.toBe(domain.split(":")[1]);
      expect(env.RAILYARD_RUNNER_SECRET).toBeUndefined();
      expect(env.RAILWAY_SERVICE_NAME).toBe("app");
      expect(env.RAILWAY_GIT_COMMIT_SHA).toBe(repo.v1);
      expect(env.RAILWAY_PUBLIC_DOMAIN).toBe(domain);
      expect(sink.deployLines).toContain(`listening on ${env.PORT}`);

      // Bodies stream through the edge both ways.
      const big = "x".repeat(2_000_000);
      const echoed = await fetch(`http://${domain}/echo`, { method: "POST", body: big });
      expect(await echoed.text()).toBe(big);
    } finally {
      delete process.env.RAILYARD_RUNNER_SECRET;
    }
  });

  it("fails with a build log line when the commit does not exist", async () => {
    newRunner();
    const { sink } = deploy(fixtureSpec(repo, { commitSha: "0123456789abcdef0123456789abcdef01234567" }));
    await sink.untilStatus("FAILED");
    expect(sink.statuses).toEqual(["BUILDING", "FAILED"]);
    expect(sink.buildLines.join("\n")).toContain(
      `commit 0123456789abcdef0123456789abcdef01234567 does not exist in the repository at ${repo.dir}`,
    );
    expect(sink.events.at(-1)).toMatchObject({ step: "BUILD", status: "FAILED" });
  });

  it("fails a build whose build script exits non-zero, with the compiler output in the build log", async () => {
    newRunner();
    const { sink } = deploy(
      fixtureSpec(repo, {
        settings: { builder: "NIXPACKS", rootDirectory: "/broken", startCommand: "node x.js" },
      }),
    );
    await sink.untilStatus("FAILED");
    expect(sink.statuses).toEqual(["BUILDING", "FAILED"]);
    expect(sink.buildLines).toContain("error TS2322: fixture compile error");
    expect(sink.events.at(-1)?.message).toMatch(
      /^Build failed: `npm install && npm run build` exited with code \d+/,
    );
  });

  it("applies the build-fails fault to a build that would pass", async () => {
    newRunner();
    const { sink } = deploy(fixtureSpec(repo, { fault: { kind: "build-fails" } }));
    await sink.untilStatus("FAILED");
    expect(sink.statuses).toEqual(["BUILDING", "FAILED"]);
    expect(sink.buildLines).toContain("railyard fault: build-fails injected; the build step exits 1");
    expect(sink.events.at(-1)).toMatchObject({ step: "BUILD", status: "FAILED" });
  });

  it("fails a health check that never passes within healthcheckTimeout and stops the process", async () => {
    newRunner();
    const spec = fixtureSpec(repo, {
      settings: { ...fixtureSpec(repo).settings, healthcheckPath: "/health", healthcheckTimeout: 1 },
      fault: { kind: "healthcheck-never-passes" },
    });
    const { sink } = deploy(spec);
    await sink.untilStatus("DEPLOYING");
    const groups = await waitForGroups(1);
    await sink.untilStatus("FAILED");
    expect(sink.statuses).toEqual(["BUILDING", "DEPLOYING", "FAILED"]);
    expect(sink.events.at(-1)).toEqual({
      step: "HEALTHCHECK",
      status: "FAILED",
      message: "Healthcheck failed",
    });
    expect(sink.buildLines.some((line) => /^Attempt #\d+ failed with status 404/.test(line))).toBe(true);
    expect(livingProcesses(groups)).toEqual([]);
    expect(await httpGet(await runner.serviceDomain("svc-app", "env-1"), "/")).toMatchObject({ status: 502 });
  });

  it("crashes after becoming healthy, restarts per ON_FAILURE, and ends CRASHED when retries run out", async () => {
    newRunner();
    const spec = fixtureSpec(repo, {
      settings: {
        ...fixtureSpec(repo).settings,
        restartPolicyType: "ON_FAILURE",
        restartPolicyMaxRetries: 2,
      },
      fault: { kind: "crash-after-healthy", afterMs: 200 },
    });
    const { sink } = deploy(spec);
    await sink.untilStatus("CRASHED");
    expect(sink.statuses).toEqual(["BUILDING", "DEPLOYING", "SUCCESS", "CRASHED"]);
    // Each run of the instance, as deploymentInstanceExecutions reports it: the deployment stayed
    // SUCCESS through two crashes and restarts before the policy gave up.
    const run = ["INITIALIZING", "RUNNING", "CRASHED"];
    expect(sink.instances).toEqual([...run, "RESTARTING", ...run, "RESTARTING", ...run]);
    const restarts = sink.deployLines.filter((line) => /restarting in .* \(restart \d of 2\)/.test(line));
    expect(restarts).toHaveLength(2);
    // Each restart is a new process (its own group), killed again by the fault.
    expect(sink.deployLines.at(-1)).toBe(
      "The process was killed by SIGKILL; giving up: 2 of 2 restarts used (ON_FAILURE)",
    );
    expect(trackedGroupIds()).toEqual([]);
  });

  it("does not restart a crashed process under restart policy NEVER", async () => {
    newRunner();
    const spec = fixtureSpec(repo, {
      settings: { ...fixtureSpec(repo).settings, restartPolicyType: "NEVER" },
      fault: { kind: "crash-after-healthy", afterMs: 100 },
    });
    const { sink } = deploy(spec);
    await sink.untilStatus("CRASHED");
    expect(sink.deployLines.filter((line) => line.startsWith("listening on"))).toHaveLength(1);
    expect(sink.deployLines.at(-1)).toBe(
      "The process was killed by SIGKILL; giving up: restart policy NEVER",
    );
  });

  it("fails a process that exits before it has stayed up (no health check path)", async () => {
    newRunner();
    const { sink } = deploy(
      fixtureSpec(repo, {
        settings: { ...fixtureSpec(repo).settings, healthcheckPath: null },
        variables: { EXIT_AT_START: "4" },
      }),
    );
    await sink.untilStatus("FAILED");
    expect(sink.statuses).toEqual(["BUILDING", "DEPLOYING", "FAILED"]);
    expect(sink.events.at(-1)).toMatchObject({ step: "DEPLOY", status: "FAILED" });
    expect(sink.deployLines.at(-1)).toContain("exited with code 4 before it became ready");
  });

  it("runs pre-deploy commands in order with the runtime variables, and fails on the first that fails", async () => {
    newRunner();
    const marker = path.join(workDir, "migrated.txt");
    const ok = deploy(
      fixtureSpec(repo, {
        settings: {
          ...fixtureSpec(repo).settings,
          preDeployCommand: ["node migrate.js", "echo second step"],
        },
        variables: { MIGRATION_MARKER: marker },
      }),
    );
    await ok.sink.untilStatus("SUCCESS");
    expect(readFileSync(marker, "utf8")).toBe("migrated");
    expect(ok.sink.events.map((event) => `${event.step} ${event.status}`)).toContain("PRE_DEPLOY SUCCEEDED");
    expect(ok.sink.deployLines).toContain("second step");

    const bad = deploy(
      fixtureSpec(repo, {
        settings: { ...fixtureSpec(repo).settings, preDeployCommand: ["exit 3", "echo never"] },
      }),
    );
    await bad.sink.untilStatus("FAILED");
    expect(bad.sink.statuses).toEqual(["BUILDING", "DEPLOYING", "FAILED"]);
    expect(bad.sink.events.at(-1)).toEqual({
      step: "PRE_DEPLOY",
      status: "FAILED",
      message: "Pre-deploy command failed (exited with code 3): exit 3",
    });
    expect(bad.sink.deployLines).not.toContain("never");
  });

  it("reuses the build of the same commit and variables, and rebuilds when a build-time variable changes", async () => {
    newRunner();
    const first = deploy(fixtureSpec(repo));
    await first.sink.untilStatus("SUCCESS");
    expect(first.sink.buildLines).toContain("building with mark m1");

    const again = deploy(fixtureSpec(repo));
    await again.sink.untilStatus("SUCCESS");
    expect(again.sink.buildLines).not.toContain("building with mark m1");
    expect(again.sink.buildLines.some((line) => line.startsWith("Reusing the build"))).toBe(true);

    const changed = deploy(fixtureSpec(repo, { variables: { GREETING: "hi", BUILD_MARK: "m2" } }));
    await changed.sink.untilStatus("SUCCESS");
    expect(changed.sink.buildLines).toContain("building with mark m2");
  });

  it("routes the domain to the new deployment once healthy; stopping the old one leaves the new serving", async () => {
    newRunner();
    const domain = await runner.serviceDomain("svc-app", "env-1");
    const old = deploy(fixtureSpec(repo));
    await old.sink.untilStatus("SUCCESS");
    expect((await httpGet(domain, "/")).body).toBe("hi v1 built=m1+ci");
    const oldPid = await appPid(domain);

    const next = deploy(fixtureSpec(repo, { commitSha: repo.v2 }));
    await next.sink.untilStatus("SUCCESS");
    expect((await httpGet(domain, "/")).body).toBe("hi v2 built=m1+ci");
    expect(livingProcesses([oldPid])).toEqual([oldPid]); // overlap: the old one still runs

    await old.running.stop({ drainingSeconds: 1 });
    expect(livingProcesses([oldPid])).toEqual([]);
    expect(old.sink.last).toBe("SUCCESS"); // a stop is not a crash: the control plane sets REMOVED
    expect((await httpGet(domain, "/")).body).toBe("hi v2 built=m1+ci");
  });

  it("serves the later-started deployment even when an earlier one becomes healthy after it", async () => {
    newRunner();
    const domain = await runner.serviceDomain("svc-app", "env-1");
    const slow = deploy(
      fixtureSpec(repo, {
        settings: { ...fixtureSpec(repo).settings, buildCommand: "sleep 1.5 && node build.js" },
      }),
    );
    const fast = deploy(fixtureSpec(repo, { commitSha: repo.v2 }));
    await fast.sink.untilStatus("SUCCESS");
    expect(slow.sink.last).toBe("BUILDING");
    await slow.sink.untilStatus("SUCCESS");
    expect((await httpGet(domain, "/")).body).toBe("hi v2 built=m1+ci");
    // The later one goes away (say it is removed): the domain falls back to the other healthy one.
    await fast.running.stop();
    expect((await httpGet(domain, "/")).body).toBe("hi v1 built=m1+ci");
  });

  it("restarts a process that exits 0 under ALWAYS, and leaves it down under ON_FAILURE", async () => {
    newRunner();
    const always = deploy(
      fixtureSpec(repo, {
        settings: { ...fixtureSpec(repo).settings, restartPolicyType: "ALWAYS", restartPolicyMaxRetries: 1 },
        variables: { EXIT_AFTER_MS: "400" },
      }),
    );
    // ALWAYS ignores restartPolicyMaxRetries (Railway counts retries only for ON_FAILURE).
    await always.sink.until((s) => s.deployLines.some((line) => line.includes("(restart 2, policy ALWAYS)")));
    expect(always.sink.deployLines).toContain(
      "The process exited with code 0; restarting in 0.1s (restart 1, policy ALWAYS)",
    );
    await always.running.stop();
    expect(always.sink.statuses).toEqual(["BUILDING", "DEPLOYING", "SUCCESS"]);

    const onFailure = deploy(
      fixtureSpec(repo, { serviceId: "svc-other", variables: { EXIT_AFTER_MS: "400" } }),
    );
    await onFailure.sink.until((s) => s.deployLines.some((line) => line.includes("not restarted")));
    expect(onFailure.sink.deployLines.at(-1)).toBe(
      "The process exited with code 0; not restarted (restart policy ON_FAILURE)",
    );
    expect(onFailure.sink.statuses).toEqual(["BUILDING", "DEPLOYING", "SUCCESS"]);
  });

  it("builds and runs an uploaded source tree", async () => {
    newRunner();
    const uploadDir = path.join(workDir, "upload");
    execFileSync("git", ["-C", repo.dir, "worktree", "add", "-q", "--detach", uploadDir, repo.v2]);
    try {
      const { sink } = deploy(fixtureSpec(repo, { commitSha: null, uploadDir }));
      await sink.untilStatus("SUCCESS");
      expect(sink.buildLines).toContain("Using uploaded source");
      expect((await httpGet(await runner.serviceDomain("svc-app", "env-1"), "/")).body).toBe(
        "hi v2 built=m1+ci",
      );
    } finally {
      await runner.close();
      execFileSync("git", ["-C", repo.dir, "worktree", "remove", "--force", uploadDir]);
    }
  });

  it("stop() sends SIGTERM, waits drainingSeconds, then SIGKILLs a process that ignores it", async () => {
    newRunner();
    const domain = await runner.serviceDomain("svc-app", "env-1");
    const { sink, running } = deploy(fixtureSpec(repo, { variables: { IGNORE_SIGTERM: "1" } }));
    await sink.untilStatus("SUCCESS");
    const pid = await appPid(domain);
    const started = Date.now();
    await running.stop({ drainingSeconds: 1 });
    const elapsed = Date.now() - started;
    expect(sink.deployLines).toContain("ignoring SIGTERM");
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(livingProcesses([pid])).toEqual([]);
    expect(await httpGet(domain, "/")).toEqual({ status: 502, body: "Application failed to respond" });
  });

  it("cancels a deployment during its build: the build process group dies and no status follows", async () => {
    newRunner();
    const controller = new AbortController();
    const { sink, running } = deploy(
      fixtureSpec(repo, {
        settings: { ...fixtureSpec(repo).settings, buildCommand: "echo build started; sleep 30" },
      }),
      controller.signal,
    );
    await sink.until((s) => s.buildLines.includes("build started"));
    const groups = trackedGroupIds();
    expect(groups.length).toBeGreaterThan(0);
    controller.abort();
    await running.stop();
    expect(livingProcesses(groups)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sink.statuses).toEqual(["BUILDING"]);
  });

  it("deploys a DOCKERFILE service natively: npm install and build, the image's CMD, WORKDIR and ENV", async () => {
    newRunner();
    const spec = fixtureSpec(repo, {
      settings: {
        builder: "DOCKERFILE",
        rootDirectory: "/app",
        dockerfilePath: "Dockerfile",
        healthcheckPath: "/health",
      },
      variables: { BUILD_MARK: "docker" },
    });
    const { sink } = deploy(spec);
    await sink.untilStatus("SUCCESS", 60_000);
    expect(
      sink.buildLines.some((line) =>
        line.startsWith("No container engine: building app/Dockerfile natively"),
      ),
    ).toBe(true);
    expect(sink.buildLines).toContain("$ npm install && npm run build");
    const domain = await runner.serviceDomain("svc-app", "env-1");
    expect((await httpGet(domain, "/")).body).toBe("from-dockerfile v1 built=docker+ci");
    const env = JSON.parse((await httpGet(domain, "/env")).body) as Record<string, string>;
    expect(env.NODE_ENV).toBe("production");
    expect(
      existsSync(path.join(workDir, "deployments", spec.deploymentId, "src", "app", "dist", "built.txt")),
    ).toBe(true);
  });

  it("close() stops every process and proxy it started, leaving no process behind", async () => {
    newRunner();
    const first = deploy(fixtureSpec(repo, { serviceId: "svc-a" }));
    const second = deploy(fixtureSpec(repo, { serviceId: "svc-b", variables: { IGNORE_SIGTERM: "1" } }));
    await first.sink.untilStatus("SUCCESS");
    await second.sink.untilStatus("SUCCESS");
    const domains = [
      await runner.serviceDomain("svc-a", "env-1"),
      await runner.serviceDomain("svc-b", "env-1"),
    ];
    const pids = [await appPid(domains[0] as string), await appPid(domains[1] as string)];
    expect(livingProcesses(pids)).toHaveLength(2);
    await runner.close();
    expect(livingProcesses(pids)).toEqual([]);
    expect(trackedGroupIds()).toEqual([]);
    await expect(fetch(`http://${domains[0]}/`)).rejects.toThrow();
  });

  it("kills every child when the emulator process exits without close()", async () => {
    newRunner();
    const here = path.dirname(fileURLToPath(import.meta.url));
    const script = path.join(workDir, "emulator-that-exits.mts");
    writeFileSync(
      script,
      `import { ProcessRunner } from ${JSON.stringify(path.join(here, "process.ts"))};
import { fixtureSpec, RecordingSink } from ${JSON.stringify(path.join(here, "process.fixtures.ts"))};
const repo = JSON.parse(process.env.FIXTURE_REPO ?? "");
const runner = new ProcessRunner({ workDir: process.env.WORK_DIR ?? "", startupGraceMs: 300, healthcheckIntervalMs: 100 });
const sink = new RecordingSink();
runner.start(fixtureSpec(repo), sink, new AbortController().signal);
await sink.untilStatus("SUCCESS");
const domain = await runner.serviceDomain("svc-app", "env-1");
console.log("app pid " + (await (await fetch("http://" + domain + "/pid")).text()));
process.exit(0); // no close(): the exit hook must clean up
`,
    );
    const output = execFileSync(process.execPath, ["--import", "tsx", script], {
      cwd: path.resolve(here, "../../.."),
      env: { ...process.env, FIXTURE_REPO: JSON.stringify(repo), WORK_DIR: path.join(workDir, "child") },
      encoding: "utf8",
    });
    const pid = Number(/app pid (\d+)/.exec(output)?.[1]);
    expect(pid).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(livingProcesses([pid])).toEqual([]);
  });

  it("reports simulated deployments without running a process", async () => {
    newRunner();
    const { sink } = deploy(fixtureSpec(repo, { simulate: { durationMs: 100, outcome: "CRASHED" } }));
    await sink.untilStatus("CRASHED");
    expect(sink.statuses).toEqual(["BUILDING", "DEPLOYING", "CRASHED"]);
    expect(sink.buildLines).toEqual([]);
  });
});

async function waitForGroups(count: number): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const groups = trackedGroupIds();
    if (groups.length >= count) return groups;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error("no process group appeared");
}
