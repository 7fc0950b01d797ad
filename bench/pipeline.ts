// Pipeline overhead on the emulator with simulated deployments: for 4, 16 and 64 services,
// the whole pipeline (redeploy of every service: target, variables, settings, deploys with
// dependsOn-free parallelism, waiting) against a baseline that deploys and waits service by
// service with the same client. Overhead = wall time beyond the slowest deployment.
// Prints one JSON object.  Run: npx tsx bench/pipeline.ts [--sizes 4,16,64] [--duration-ms 500]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runPipeline } from "../action/src/pipeline/run.ts";
import { RailwayClient } from "../action/src/railway/client.ts";
import { type EmulatorStateFile, startEmulator } from "../emulator/src/index.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "4,16,64" },
    "duration-ms": { type: "string", default: "500" },
  },
});
const sizes = (values.sizes ?? "4,16,64").split(",").map(Number);
const durationMs = Number(values["duration-ms"]);

const names = (n: number) => Array.from({ length: n }, (_, i) => `svc-${String(i + 1).padStart(2, "0")}`);

function repoWith(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), "railyard-bench-repo-"));
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir });
  git("init", "-q", "-b", "main");
  git("config", "user.email", "bench@railyard.test");
  git("config", "user.name", "bench");
  const services = names(n)
    .map((name) => `[services.${name}]\n`)
    .join("\n");
  writeFileSync(
    join(dir, "railway.toml"),
    `[build]\nbuilder = "RAILPACK"\nwatchPatterns = ["/src/**"]\n\n[deploy]\nstartCommand = "node server.js"\n\n${services}`,
  );
  writeFileSync(join(dir, "server.js"), "// bench\n");
  git("add", "-A");
  git("commit", "-q", "-m", "bench");
  return dir;
}

function stateWith(n: number): EmulatorStateFile {
  return {
    projects: [
      {
        id: "proj-bench",
        name: "bench",
        environments: [{ id: "env-prod", name: "production" }],
        services: names(n).map((name) => ({ id: `id-${name}`, name, source: { repo: "bench/bench" } })),
      },
    ],
    tokens: [{ kind: "project", token: "bench-token", project: "proj-bench", environment: "env-prod" }],
    rateLimitPerHour: 1_000_000,
  };
}

/**
 * One measurement on a fresh emulator with n services: `deployAll` deploys every service and
 * returns the slowest deployment's duration; the wall time beyond it is the overhead.
 */
async function measure(
  n: number,
  deployAll: (ctx: { repoDir: string; sha: string; client: RailwayClient }) => Promise<number>,
) {
  const repoDir = repoWith(n);
  const sha = execFileSync("git", ["rev-parse", "HEAD"], { cwd: repoDir, encoding: "utf8" }).trim();
  const emulator = await startEmulator({
    state: stateWith(n),
    repoDir,
    runner: "simulated",
    simulatedDurationMs: durationMs,
  });
  const client = new RailwayClient({ endpoint: emulator.graphqlUrl, token: "bench-token" });
  try {
    const started = performance.now();
    const slowest = await deployAll({ repoDir, sha, client });
    const wallMs = performance.now() - started;
    return {
      wallMs,
      slowestDeploymentMs: slowest,
      overheadMs: wallMs - slowest,
      requests: client.requestCount,
    };
  } finally {
    await client.close();
    await emulator.stop();
    rmSync(repoDir, { recursive: true, force: true });
  }
}

const measurePipeline = (n: number) =>
  measure(n, async ({ repoDir, client }) => {
    const result = await runPipeline(
      {
        mode: "redeploy",
        services: "all",
        repoDir,
        environment: "production",
        timeoutMs: 10 * 60_000,
        concurrency: n,
        rollback: false,
        smoke: false,
        smokeTimeoutMs: 0,
        stabilityMs: 0,
      },
      { api: client },
    );
    if (!result.ok) throw new Error(`pipeline failed: ${result.reason}`);
    return Math.max(...result.deployments.map((d) => d.durationMs ?? 0));
  });

/** The baseline: deploy one service, wait for it, then the next. */
const measureBaseline = (n: number) =>
  measure(n, async ({ sha, client }) => {
    let slowest = 0;
    for (const name of names(n)) {
      const t = performance.now();
      const id = await client.deployCommit("env-prod", `id-${name}`, sha);
      const final = await client.watchDeployments([id], {});
      if (final.get(id)?.status !== "SUCCESS")
        throw new Error(`baseline: ${name} ended ${final.get(id)?.status}`);
      slowest = Math.max(slowest, performance.now() - t);
    }
    return slowest;
  });

const round = (x: number) => Math.round(x);
const results = [];
for (const n of sizes) {
  const pipeline = await measurePipeline(n);
  const baseline = await measureBaseline(n);
  results.push({
    services: n,
    pipeline: {
      wallMs: round(pipeline.wallMs),
      overheadMs: round(pipeline.overheadMs),
      requests: pipeline.requests,
    },
    baseline: {
      wallMs: round(baseline.wallMs),
      overheadMs: round(baseline.overheadMs),
      requests: baseline.requests,
    },
    wallRatioBaselineToPipeline: Math.round((baseline.wallMs / pipeline.wallMs) * 100) / 100,
    requestRatioPipelineToBaseline: Math.round((pipeline.requests / baseline.requests) * 100) / 100,
  });
}
console.log(
  JSON.stringify(
    {
      benchmark: "pipeline",
      unit: "ms",
      simulatedDeploymentMs: durationMs,
      concurrency: "equal to the number of services (pipeline); 1 (baseline)",
      note: "pipeline = redeploy of every service through runPipeline (target, variables, settings, deploys, waits); overhead = wall time beyond the slowest deployment",
      results,
    },
    null,
    2,
  ),
);
