// How the pipeline's local stages grow with the number of services and of changed files.
// Prints JSON to stdout: `npx tsx bench/growth.ts`.
//
// - services (4, 16, 64, 128): validate every railway.toml (loadConfig) and resolve every
//   service's settings in production and pr, as the pipeline's validate and settings stages do.
// - changed files (10 … 10,000) against 16 services: the change-detection stage (planChanges:
//   `git diff` between the live commit and the new one, then each service's watch patterns)
//   on a real git repository.
//
// Each case runs in a fresh process so its peak RSS is its own; the "imports only" row is that
// process's floor. These stages make no Railway API request (counted: 0); requests while
// waiting on deployments grow as bench/api-wait.ts reports.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const SERVICE_COUNTS = [4, 16, 64, 128];
const CHANGED_FILE_COUNTS = [10, 100, 1000, 10000];
const SERVICES_FOR_CHANGES = 16;
const REPEATS = 3;
const PIPELINE_DEPLOY_MS = 500;

interface CaseResult {
  ms: number;
  peakRssMiB: number;
  heapUsedMiB: number;
  /** Counted by the emulator; only the pipeline case talks to an API. */
  apiRequests?: number;
  detail: Record<string, number>;
}

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const round = (value: number) => Math.round(value * 100) / 100;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** One railway.toml per four services, like backend/railway.toml (shared build, per-service overrides). */
function writeServiceRepo(dir: string, services: number): string[] {
  const files: string[] = [];
  for (let group = 0; group * 4 < services; group += 1) {
    const folder = `group-${group}`;
    mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, folder, "Dockerfile"), "FROM node:20-slim\n");
    const names = Array.from({ length: Math.min(4, services - group * 4) }, (_, i) => `svc-${group * 4 + i}`);
    const blocks = names.map(
      (name, i) => `
[services.${name}]
${i > 0 ? `dependsOn = ["${names[0]}"]` : ""}

[services.${name}.variables]
required = ["${name.toUpperCase().replace(/-/g, "_")}_TOKEN"]
set = { CONTAINER_ROLE = "${name}" }

[services.${name}.deploy]
startCommand = "node dist/main.js"
restartPolicyMaxRetries = ${i + 1}

[services.${name}.environments.pr.deploy]
numReplicas = 1
`,
    );
    writeFileSync(
      join(dir, folder, "railway.toml"),
      `[build]
builder = "DOCKERFILE"
dockerfilePath = "Dockerfile"
watchPatterns = ["/${folder}/**", "!/${folder}/test/**", "!/${folder}/**/*.md"]

[deploy]
restartPolicyType = "ON_FAILURE"
healthcheckPath = "/ready"
healthcheckTimeout = 120

[environments.pr.deploy]
restartPolicyMaxRetries = 1

[variables]
required = ["DATABASE_URL", "REDIS_URL"]
${blocks.join("")}`,
    );
    files.push(`${folder}/railway.toml`);
  }
  return files;
}

async function configCase(services: number): Promise<CaseResult> {
  const { loadConfig, resolveServiceSettings } = await import("../action/src/config/index.ts");
  const dir = mkdtempSync(join(tmpdir(), "railyard-growth-"));
  try {
    writeServiceRepo(dir, services);
    const times: number[] = [];
    let resolved = 0;
    let findings = 0;
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      const started = performance.now();
      const config = await loadConfig({ repoDir: dir, environments: ["production", "pr"] });
      resolved = 0;
      for (const service of config.services) {
        for (const env of ["production", "pr"]) {
          resolveServiceSettings(config, service.name, env);
          resolved += 1;
        }
      }
      times.push(performance.now() - started);
      findings = config.findings.filter((finding) => finding.severity === "error").length;
      if (config.services.length !== services)
        throw new Error(`expected ${services} services, loaded ${config.services.length}`);
    }
    if (findings > 0) throw new Error(`the generated ${services}-service repo has ${findings} errors`);
    return {
      ms: round(median(times)),
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      heapUsedMiB: mib(process.memoryUsage().heapUsed),
      detail: { firstRunMs: round(times[0] as number), settingsResolved: resolved },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", maxBuffer: 256 * 2 ** 20 }).trim();
}

async function changesCase(changedFiles: number): Promise<CaseResult> {
  const { loadConfig, resolveServiceSettings } = await import("../action/src/config/index.ts");
  const { planChanges } = await import("../action/src/pipeline/changes.ts");
  const dir = mkdtempSync(join(tmpdir(), "railyard-growth-"));
  try {
    writeServiceRepo(dir, SERVICES_FOR_CHANGES);
    const groups = Math.ceil(SERVICES_FOR_CHANGES / 4);
    git(dir, "init", "-q", "-b", "main");
    git(dir, "config", "user.email", "bench@railyard.invalid");
    git(dir, "config", "user.name", "bench");
    // Files to change later exist in the live commit too, so the diff is modifications.
    const paths = Array.from({ length: changedFiles }, (_, i) => {
      const kind = i % 4;
      const group = `group-${Math.floor(i / 4) % groups}`;
      return kind === 0
        ? `${group}/src/f${i}.ts`
        : kind === 1
          ? `${group}/test/f${i}.ts`
          : kind === 2
            ? `${group}/docs/f${i}.md`
            : `elsewhere/f${i}.txt`;
    });
    for (const path of paths) {
      mkdirSync(join(dir, path, ".."), { recursive: true });
      writeFileSync(join(dir, path), "before\n");
    }
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "live");
    const liveSha = git(dir, "rev-parse", "HEAD");
    for (const path of paths) writeFileSync(join(dir, path), "after\n");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "change");
    const newSha = git(dir, "rev-parse", "HEAD");

    const config = await loadConfig({ repoDir: dir });
    const live = config.services.map((service, index) => ({
      config: service,
      serviceId: `service-${index}`,
      live: { id: `deployment-${index}`, status: "SUCCESS" as const, meta: { commitHash: liveSha } },
      settingsDiffer: false,
      source: "commit" as const,
      wanted: resolveServiceSettings(config, service.name, "production"),
    }));
    const times: number[] = [];
    let deploying = 0;
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      const started = performance.now();
      const plans = await planChanges(dir, newSha, live, undefined, []);
      times.push(performance.now() - started);
      deploying = plans.filter((plan) => plan.deploy).length;
    }
    // Only src/ files trigger (test/ and *.md are excluded, elsewhere/ is outside every pattern).
    const triggeredGroups = new Set(
      paths.filter((path) => path.includes("/src/")).map((path) => path.split("/")[0]),
    );
    const expected = Math.min(triggeredGroups.size * 4, SERVICES_FOR_CHANGES);
    if (deploying !== expected)
      throw new Error(`expected ${expected} services to deploy, planned ${deploying}`);
    return {
      ms: round(median(times)),
      peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
      heapUsedMiB: mib(process.memoryUsage().heapUsed),
      detail: { servicesToDeploy: deploying, firstRunMs: round(times[0] as number) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The whole pipeline (redeploy of every service: validate, target, variables, settings,
 * deploys, waiting) against the emulator in this process, deployments simulated for 500 ms;
 * the same set-up as bench/pipeline.ts, one size per process. RSS includes the emulator.
 */
async function pipelineCase(services: number): Promise<CaseResult> {
  const { runPipeline } = await import("../action/src/pipeline/run.ts");
  const { RailwayClient } = await import("../action/src/railway/client.ts");
  const { startEmulator } = await import("../emulator/src/index.ts");
  const dir = mkdtempSync(join(tmpdir(), "railyard-growth-"));
  const names = Array.from({ length: services }, (_, i) => `svc-${i}`);
  try {
    writeFileSync(
      join(dir, "railway.toml"),
      `[build]\nbuilder = "RAILPACK"\nwatchPatterns = ["/src/**"]\n\n[deploy]\nstartCommand = "node server.js"\n\n${names
        .map((name) => `[services.${name}]\n`)
        .join("\n")}`,
    );
    writeFileSync(join(dir, "server.js"), "// growth\n");
    git(dir, "init", "-q", "-b", "main");
    git(dir, "config", "user.email", "bench@railyard.invalid");
    git(dir, "config", "user.name", "bench");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "growth");
    const emulator = await startEmulator({
      state: {
        projects: [
          {
            id: "proj-growth",
            name: "growth",
            environments: [{ id: "env-prod", name: "production" }],
            services: names.map((name) => ({ id: `id-${name}`, name, source: { repo: "growth/growth" } })),
          },
        ],
        tokens: [{ kind: "project", token: "growth-token", project: "proj-growth", environment: "env-prod" }],
        rateLimitPerHour: 1_000_000,
      },
      repoDir: dir,
      runner: "simulated",
      simulatedDurationMs: PIPELINE_DEPLOY_MS,
    });
    const client = new RailwayClient({ endpoint: emulator.graphqlUrl, token: "growth-token" });
    try {
      const started = performance.now();
      const result = await runPipeline(
        {
          mode: "redeploy",
          services: "all",
          repoDir: dir,
          environment: "production",
          timeoutMs: 10 * 60_000,
          // Not the default 4: every deployment in flight at once is the worst case for memory,
          // which is what this case measures; 64 is the input's maximum.
          concurrency: Number.POSITIVE_INFINITY,
          rollback: false,
          smoke: false,
          smokeTimeoutMs: 0,
          stabilityMs: 0,
        },
        { api: client },
      );
      const ms = performance.now() - started;
      if (!result.ok) throw new Error(`pipeline failed: ${result.reason}`);
      return {
        ms: round(ms),
        peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
        heapUsedMiB: mib(process.memoryUsage().heapUsed),
        apiRequests: emulator.budgetUsed("growth-token"),
        detail: { deployments: result.deployments.length },
      };
    } finally {
      await client.close();
      await emulator.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function importsOnly(): Promise<CaseResult> {
  await import("../action/src/config/index.ts");
  await import("../action/src/pipeline/changes.ts");
  return {
    ms: 0,
    peakRssMiB: mib(process.resourceUsage().maxRSS * 1024),
    heapUsedMiB: mib(process.memoryUsage().heapUsed),
    detail: {},
  };
}

/** Runs one case in a fresh process (same loader flags as this one) and reads its JSON. */
function inChild(kind: string, size: number): CaseResult {
  const result = spawnSync(
    process.execPath,
    [...process.execArgv, import.meta.filename, "--case", kind, String(size)],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 10 * 60 * 1000,
      maxBuffer: 16 * 2 ** 20,
    },
  );
  if (result.status !== 0) {
    const reason = (result.stderr || "")
      .trim()
      .split("\n")
      .filter((line) => !/^\s+at /.test(line))
      .slice(-2)
      .join(" ");
    throw new Error(`case ${kind} ${size} failed (exit ${result.status ?? result.signal}): ${reason}`);
  }
  return JSON.parse(result.stdout) as CaseResult;
}

const caseIndex = process.argv.indexOf("--case");
if (caseIndex >= 0) {
  const kind = process.argv[caseIndex + 1];
  const size = Number(process.argv[caseIndex + 2]);
  const result =
    kind === "services"
      ? await configCase(size)
      : kind === "changes"
        ? await changesCase(size)
        : kind === "pipeline"
          ? await pipelineCase(size)
          : await importsOnly();
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  const floor = inChild("imports", 0);
  const services = SERVICE_COUNTS.map((count) => {
    const result = inChild("services", count);
    return {
      services: count,
      validateAndResolveMs: result.ms,
      firstRunMs: result.detail.firstRunMs,
      msPerService: round(result.ms / count),
      peakRssMiB: result.peakRssMiB,
      rssAboveFloorMiB: round(result.peakRssMiB - floor.peakRssMiB),
      heapUsedMiB: result.heapUsedMiB,
      settingsResolved: result.detail.settingsResolved,
    };
  });
  const changes = CHANGED_FILE_COUNTS.map((count) => {
    const result = inChild("changes", count);
    return {
      changedFiles: count,
      services: SERVICES_FOR_CHANGES,
      changeDetectionMs: result.ms,
      firstRunMs: result.detail.firstRunMs,
      msPerThousandFiles: round((result.ms / count) * 1000),
      peakRssMiB: result.peakRssMiB,
      rssAboveFloorMiB: round(result.peakRssMiB - floor.peakRssMiB),
      heapUsedMiB: result.heapUsedMiB,
      servicesToDeploy: result.detail.servicesToDeploy,
    };
  });
  const pipeline = SERVICE_COUNTS.map((count) => {
    const result = inChild("pipeline", count);
    return {
      services: count,
      pipelineWallMs: result.ms,
      beyondDeploymentMs: round(result.ms - PIPELINE_DEPLOY_MS),
      apiRequests: result.apiRequests,
      requestsPerService: round((result.apiRequests ?? Number.NaN) / count),
      peakRssMiB: result.peakRssMiB,
      heapUsedMiB: result.heapUsedMiB,
      deployments: result.detail.deployments,
    };
  });
  const first = services[0];
  const last = services[services.length - 1];
  const firstChange = changes[0];
  const lastChange = changes[changes.length - 1];
  process.stdout.write(
    `${JSON.stringify({
      repeatsPerCase: REPEATS,
      importsOnlyPeakRssMiB: floor.peakRssMiB,
      // Growth factors across the range, measured in this run: 32× the services, 1000× the files.
      timeRatio128To4Services:
        first && last ? round(last.validateAndResolveMs / first.validateAndResolveMs) : null,
      timeRatio10000To10ChangedFiles:
        firstChange && lastChange
          ? round(lastChange.changeDetectionMs / firstChange.changeDetectionMs)
          : null,
      simulatedDeploymentMs: PIPELINE_DEPLOY_MS,
      servicesGrowth: services,
      pipelineGrowth: pipeline,
      changedFilesGrowth: changes,
      notes: [
        "Times are medians of 3 runs inside one process; firstRunMs includes compiling the schema and warming up.",
        "validateAndResolve = loadConfig over every file + resolveServiceSettings for each service in production and pr.",
        "changeDetection = planChanges: git diff between the live and the new commit, then every service's watch patterns (action/src/git/watch.ts).",
        "validate/resolve and change detection read only the checkout: they have no API client, so no request column.",
        "pipelineGrowth: runPipeline redeploying every service against the in-process emulator (simulated 500 ms deployments). Concurrency all, the action's default (every deployment in flight at once: the worst case for memory); not the action's defaults, on purpose: stability window 0 (a fixed wait, no memory), no smoke (no URL to test). Requests counted by the emulator against the run's token; RSS includes the emulator. Requests and time at the default inputs: the pipeline benchmark.",
      ],
    })}\n`,
  );
}
