// Budget first (issue 14): a run that cannot finish within the token's hourly budget says so
// before changing anything; the client paces requests within Railway's per-second limit
// instead of running into 429s; a 429 it cannot wait out stops new deployments and the run
// names exactly which services started.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkBudget, estimateRequests } from "../../action/src/pipeline/budget.ts";
import { runPipeline } from "../../action/src/pipeline/run.ts";
import type { PipelineOptions } from "../../action/src/pipeline/types.ts";
import { RailwayClient } from "../../action/src/railway/client.ts";
import { type RunningEmulator, startEmulator } from "../../emulator/src/index.ts";

const names = ["alpha", "bravo", "charlie"];
let emulator: RunningEmulator | undefined;
let repoDir: string | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
  if (repoDir) rmSync(repoDir, { recursive: true, force: true });
  repoDir = undefined;
});

async function setUp(options: { rateLimitPerHour?: number; rateLimitPerSecond?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "railyard-budget-"));
  repoDir = dir;
  for (const name of names) {
    mkdirSync(join(dir, name));
    writeFileSync(
      join(dir, name, "railway.toml"),
      `[build]\nbuilder = "RAILPACK"\nwatchPatterns = ["/${name}/**"]\n\n[services.${name}]\n`,
    );
    writeFileSync(join(dir, name, "server.js"), `// ${name}\n`);
  }
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "budget@railyard.test");
  git("config", "user.name", "budget");
  git("add", "-A");
  git("commit", "-q", "-m", "budget");
  emulator = await startEmulator({
    state: {
      projects: [
        {
          id: "proj-b",
          name: "budget",
          environments: [{ id: "env-b", name: "production" }],
          services: names.map((name) => ({ id: `id-${name}`, name, source: { repo: "b/b" } })),
        },
      ],
      tokens: [{ kind: "project", token: "budget-token", project: "proj-b", environment: "env-b" }],
      rateLimitPerHour: options.rateLimitPerHour ?? 1000,
    },
    repoDir: dir,
    runner: "simulated",
    simulatedDurationMs: 100,
    ...(options.rateLimitPerSecond ? { rateLimitPerSecond: options.rateLimitPerSecond } : {}),
  });
  return { dir, emulator };
}

const options = (dir: string): PipelineOptions => ({
  mode: "redeploy",
  services: "all",
  repoDir: dir,
  environment: "production",
  timeoutMs: 5 * 60_000,
  concurrency: 1,
  rollback: false,
  smoke: false,
  smokeTimeoutMs: 0,
  stabilityMs: 0,
});

describe("the request estimate", () => {
  it("counts per deploying service and for the run, from the plan and the wait strategy", () => {
    const plan = { services: [{ service: "alpha", rows: [{}] }] };
    const plain = estimateRequests({ deploying: names, plan, stabilityMs: 0, timeoutMs: 10 * 60_000 });
    expect(plain.perService).toBe(2);
    // apply (2) + URLs (1) + one safety read per minute of the 10-minute timeout.
    expect(plain.constant).toBe(13);
    expect(plain.requests).toBe(3 * 2 + 13);
    const stable = estimateRequests({
      deploying: ["bravo"],
      plan,
      stabilityMs: 20_000,
      timeoutMs: 10 * 60_000,
    });
    // The stability follow reuses the subscription; the instance runs are one batched read.
    expect(stable.perService).toBe(2);
    // alpha's changes are not applied when alpha does not deploy: URLs (1) + 10 safety reads + 1.
    expect(stable.constant).toBe(12);
    const many = estimateRequests({
      deploying: Array.from({ length: 150 }, (_, i) => `s${i}`),
      plan,
      stabilityMs: 20_000,
      timeoutMs: 10 * 60_000,
    });
    expect(many.constant).toBe(13);
    expect(many.breakdown).toContain("2 to read the instances at the end of the stability window");
  });

  it("passes when the budget is unknown or enough, and names the numbers and what fits when it is not", () => {
    const input = { deploying: names, plan: { services: [] }, stabilityMs: 0, timeoutMs: 5 * 60_000 };
    expect(checkBudget({ rateLimit: {} }, input).notes).toEqual([]);
    expect(checkBudget({ rateLimit: { remaining: 900, limit: 1000 } }, input).notes).toEqual([]);
    const resetAt = "2026-12-03T11:00:00.000Z";
    // 3 × 2 + 6 = 12 needed; 9 left: 1 service fits ((9 − 6) / 2).
    expect(() => checkBudget({ rateLimit: { remaining: 9, limit: 1000, resetAt } }, input)).toThrow(
      /needs up to 12 requests .* this token has 9 of 1000 left until 11:00 UTC \(X-RateLimit-Remaining\)\. Nothing was changed or deployed\. Deploy at most 1 service now with the services input \(for example: alpha\)/,
    );
  });
});

describe("budget first, against the emulator", () => {
  it("a deploy the hourly budget cannot finish stops before changing or deploying anything", async () => {
    const { dir, emulator: running } = await setUp({ rateLimitPerHour: 12 });
    const client = new RailwayClient({ endpoint: running.graphqlUrl, token: "budget-token" });
    try {
      const result = await runPipeline(options(dir), { api: client });
      expect(result.ok).toBe(false);
      expect(result.reason).toMatch(/Railway's request budget cannot finish this run: deploying 3 services/);
      expect(result.reason).toMatch(/Nothing was changed or deployed/);
      expect(running.state.deployments.size).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("parallel reads are paced within the per-second limit: no 429, no retry", async () => {
    const { emulator: running } = await setUp({ rateLimitPerSecond: 3 });
    // Without pacing, the same burst runs into the limit (so the check below can fail).
    const unpacedLogs: string[] = [];
    const unpaced = new RailwayClient({
      endpoint: running.graphqlUrl,
      token: "budget-token",
      retry: { maxPerSecond: 0 },
      log: (line) => unpacedLogs.push(line),
    });
    await Promise.all(Array.from({ length: 8 }, () => unpaced.serviceInstance("env-b", "id-alpha")));
    await unpaced.close();
    expect(unpacedLogs.filter((line) => line.includes("429")).length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const logs: string[] = [];
    const client = new RailwayClient({
      endpoint: running.graphqlUrl,
      token: "budget-token",
      retry: { maxPerSecond: 3 },
      log: (line) => logs.push(line),
    });
    try {
      const reads = await Promise.all(
        Array.from({ length: 8 }, () => client.serviceInstance("env-b", "id-alpha")),
      );
      expect(reads).toHaveLength(8);
      expect(logs.filter((line) => line.includes("429"))).toEqual([]);
      expect(client.pacing.delayedRequests).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it("a 429 it cannot wait out stops new deployments, and the run names the services that started", async () => {
    const { dir, emulator: running } = await setUp();
    const client = new RailwayClient({ endpoint: running.graphqlUrl, token: "budget-token" });
    let armed = false;
    try {
      const result = await runPipeline(options(dir), {
        api: client,
        emit: (event) => {
          // Once the first deployment started, Railway's budget is spent for an hour.
          if (event.kind === "deployment" && !armed) {
            armed = true;
            running.faults.add({
              http: [
                {
                  kind: "status",
                  status: 429,
                  retryAfterSeconds: 3600,
                  operation: "serviceInstanceDeployV2",
                },
              ],
            });
          }
        },
      });
      expect(result.ok).toBe(false);
      const started = result.deployments.filter((d) => d.deploymentId).map((d) => d.service);
      expect(started).toHaveLength(1);
      const [first] = started;
      const notStarted = result.deployments.filter((d) => !d.deploymentId);
      expect(notStarted).toHaveLength(2);
      for (const record of notStarted) {
        expect(record.status).toBe("NOT_STARTED");
        expect(record.failure?.message).toBe(
          `not started: Railway's rate limit was reached (retry after 3600 s); started before it: ${first}`,
        );
      }
      expect(result.reason).toContain(`started before it: ${first}`);
      expect(running.state.deployments.size).toBe(1);
    } finally {
      await client.close();
    }
  });
});
