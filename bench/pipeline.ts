// Railyard against the two real ways to ship N services to Railway, at 4, 16 and 64 services,
// on the emulator with no latency and with a remote API's latency (100 ms per request, 300 ms
// per subscription message) and Railway's Hobby rate limits (1,000 requests/hour, 10/s):
//
// - railyard (deploy): `mode: deploy` with the action's default inputs (concurrency all,
//   stability-seconds 20, rollback on, smoke on, timeout 30 min) after a push that changes every
//   service's watched files, its settings and a fixed variable;
// - railyard (no change): the same run again: nothing to deploy;
// - Railway's GitHub Actions recipe: `railway up --service X --ci` per service, one after
//   another; each run reads the project, uploads the source, waits 500 ms and follows the build
//   logs and the deployment over two subscriptions (railwayapp/cli src/commands/up.rs);
// - Railway's autodeploy: Railway rebuilds every connected service on every push, all at once;
//   the user's token spends nothing (the deployments are started with another token).
//
// Figures: requests counted by the emulator against the run's token (HTTP requests and
// subscription starts, what X-RateLimit-Remaining subtracts), wall time, the slowest deployment
// (emulator's record: created → SUCCESS) and the wall time beyond it, the share of Hobby's hourly
// budget. Goals (issue 14) are printed with a pass/fail mark by scripts/bench.mjs.
// Prints one JSON object.  Run: npx tsx bench/pipeline.ts [--sizes 4,16,64] [--latencies 0,100]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { parse as parseYaml } from "yaml";
import { pipelineOptions, readSettings } from "../action/src/inputs.ts";
import { runPipeline } from "../action/src/pipeline/run.ts";
import { sourceTarball } from "../action/src/pipeline/tarball.ts";
import type { PipelineOptions } from "../action/src/pipeline/types.ts";
import { RailwayClient } from "../action/src/railway/client.ts";
import { type EmulatorStateFile, type RunningEmulator, startEmulator } from "../emulator/src/index.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "4,16,64" },
    latencies: { type: "string", default: "0,100" },
    "duration-ms": { type: "string", default: "1000" },
    alternatives: { type: "string", default: "railyard,unchanged,recipe,autodeploy" },
    /** Requests per second per token while measuring; 0: no per-second limit (not Railway). */
    "per-second": { type: "string", default: "10" },
  },
});
const sizes = String(values.sizes).split(",").map(Number);
const latencies = String(values.latencies).split(",").map(Number);
const durationMs = Number(values["duration-ms"]);
const alternatives = new Set(String(values.alternatives).split(","));
const HOBBY_PER_HOUR = 1_000;
const HOBBY_PER_SECOND = Number(values["per-second"]);
const SUBSCRIPTION_LATENCY_FOR_100 = 300;

const names = (n: number) => Array.from({ length: n }, (_, i) => `svc-${String(i + 1).padStart(2, "0")}`);
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The action's defaults: action.yml's default of every input, through the action's own parser. */
function actionDefaults(): PipelineOptions {
  const manifest = parseYaml(readFileSync(new URL("../action.yml", import.meta.url), "utf8")) as {
    inputs: Record<string, { default?: unknown }>;
  };
  const settings = readSettings((name) => {
    if (name === "railway-token") return "placeholder-token";
    const fallback = manifest.inputs[name]?.default;
    // ${{ github.token }} and the like are GitHub expressions, not values this run has.
    return typeof fallback === "string" && !fallback.includes("${{") ? fallback : "";
  });
  return pipelineOptions(settings, ".");
}

/** One railway.toml per service, each watching its own folder; `generation` changes everything. */
function writeServices(dir: string, n: number, generation: number): void {
  for (const name of names(n)) {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(
      join(dir, name, "railway.toml"),
      [
        "[build]",
        'builder = "RAILPACK"',
        `watchPatterns = ["/${name}/**"]`,
        "",
        "[deploy]",
        `startCommand = "node server.js --generation ${generation}"`,
        "",
        `[services.${name}]`,
        "",
        `[services.${name}.variables]`,
        `set = { GENERATION = "${generation}" }`,
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, name, "server.js"), `// ${name}, generation ${generation}\n`);
  }
}

function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
}

function repoWith(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), "railyard-bench-repo-"));
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "bench@railyard.test");
  git(dir, "config", "user.name", "bench");
  writeServices(dir, n, 1);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "generation 1");
  return dir;
}

function push(dir: string, n: number, generation: number): string {
  writeServices(dir, n, generation);
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", `generation ${generation}`);
  return git(dir, "rev-parse", "HEAD");
}

const TOKENS = ["setup", "railyard", "unchanged", "recipe", "railway-internal"] as const;

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
    tokens: TOKENS.map((name) => ({
      kind: "project" as const,
      token: `${name}-token`,
      project: "proj-bench",
      environment: "env-prod",
    })),
    rateLimitPerHour: HOBBY_PER_HOUR,
  };
}

interface Measured {
  alternative: string;
  services: number;
  latencyMs: number;
  deployments: number;
  requests: number;
  wallMs: number;
  slowestDeploymentMs: number;
  beyondSlowestMs: number;
  hobbyBudgetPercent: number;
  ok: boolean;
}

function deploymentsSince(emulator: RunningEmulator, sinceMs: number) {
  return [...emulator.state.deployments.values()].filter((d) => Date.parse(d.createdAt) >= sinceMs);
}

async function measure(
  emulator: RunningEmulator,
  alternative: string,
  token: string,
  n: number,
  latencyMs: number,
  body: () => Promise<boolean>,
): Promise<Measured> {
  const since = Date.now();
  const started = performance.now();
  const ok = await body();
  let wallMs = performance.now() - started;
  const made = deploymentsSince(emulator, since);
  if (alternative === "autodeploy" && made.length > 0) {
    // Railway starts these itself: its time is from the first deployment's creation to the last
    // one's end, as recorded by the emulator (not how long the bench took to watch them).
    const first = Math.min(...made.map((d) => Date.parse(d.createdAt)));
    const last = Math.max(...made.map((d) => Date.parse(d.statusUpdatedAt)));
    wallMs = last - first;
  }
  const slowest = Math.max(0, ...made.map((d) => Date.parse(d.statusUpdatedAt) - Date.parse(d.createdAt)));
  const requests = emulator.budgetUsed(`${token}-token`);
  const row: Measured = {
    alternative,
    services: n,
    latencyMs,
    deployments: made.length,
    requests,
    wallMs: Math.round(wallMs),
    slowestDeploymentMs: slowest,
    beyondSlowestMs: Math.round(wallMs - slowest),
    hobbyBudgetPercent: Math.round((requests / HOBBY_PER_HOUR) * 1000) / 10,
    ok,
  };
  log(
    `  ${alternative.padEnd(10)} n=${n} latency=${latencyMs}ms: ${requests} requests, ${row.deployments} deployments, wall ${row.wallMs} ms, beyond slowest ${row.beyondSlowestMs} ms${ok ? "" : " (FAILED)"}`,
  );
  return row;
}

/** Railway's recipe: `railway up --service X --ci` for each service, one after another. */
async function recipe(emulator: RunningEmulator, repoDir: string, sha: string, n: number): Promise<boolean> {
  const client = new RailwayClient({ endpoint: emulator.graphqlUrl, token: "recipe-token" });
  const { tarball } = await sourceTarball(repoDir, sha);
  try {
    for (const name of names(n)) {
      // One process per service: a fresh client, its own project read, upload and sockets.
      const cli = new RailwayClient({ endpoint: emulator.graphqlUrl, token: "recipe-token" });
      try {
        await cli.project("proj-bench");
        const id = await cli.uploadSource("proj-bench", "env-prod", `id-${name}`, tarball);
        await new Promise((r) => setTimeout(r, 500));
        const status = await followLikeRailwayUp(emulator.graphqlUrl, id);
        if (status !== "SUCCESS") return false;
      } finally {
        await cli.close();
      }
    }
    return true;
  } finally {
    await client.close();
  }
}

/** Two subscriptions, each on its own socket, as the CLI's subscribe_graphql opens them. */
async function followLikeRailwayUp(url: string, deploymentId: string): Promise<string> {
  const open = () =>
    createClient({
      url: url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { "Project-Access-Token": "recipe-token" },
      lazy: true,
      retryAttempts: 0,
    });
  const logs = open();
  const status = open();
  const stopLogs = logs.subscribe(
    {
      query:
        "subscription BuildLogs($deploymentId: String!) { buildLogs(deploymentId: $deploymentId) { message } }",
      variables: { deploymentId },
    },
    { next: () => {}, error: () => {}, complete: () => {} },
  );
  try {
    return await new Promise<string>((resolve, reject) => {
      status.subscribe(
        {
          query: "subscription Deployment($id: String!) { deployment(id: $id) { id status } }",
          variables: { id: deploymentId },
        },
        {
          next: (message) => {
            const s = (message.data?.deployment as { status?: string } | undefined)?.status;
            if (s && ["SUCCESS", "FAILED", "CRASHED", "REMOVED", "SKIPPED"].includes(s)) resolve(s);
          },
          error: reject,
          complete: () => reject(new Error("deployment subscription ended")),
        },
      );
    });
  } finally {
    stopLogs();
    await Promise.all([logs.dispose(), status.dispose()]);
  }
}

/** Railway's autodeploy: every service rebuilt at once, started by Railway (another token). */
async function autodeploy(emulator: RunningEmulator, sha: string, n: number): Promise<boolean> {
  const railway = new RailwayClient({ endpoint: emulator.graphqlUrl, token: "railway-internal-token" });
  try {
    const ids = await Promise.all(
      names(n).map((name) => railway.deployCommit("env-prod", `id-${name}`, sha)),
    );
    const final = await railway.watchDeployments(ids, {});
    return ids.every((id) => final.get(id)?.status === "SUCCESS");
  } finally {
    await railway.close();
  }
}

async function railyardRun(
  emulator: RunningEmulator,
  repoDir: string,
  token: string,
  options: Partial<PipelineOptions>,
  byOperation?: [operation: string, requests: number][],
): Promise<boolean> {
  const client = new RailwayClient({ endpoint: emulator.graphqlUrl, token });
  try {
    // smoke off (stated): the simulated services serve no pages, so any smoke test would fail.
    const result = await runPipeline(
      { ...actionDefaults(), repoDir, smoke: false, ...options },
      { api: client },
    );
    if (!result.ok) log(`    railyard failed: ${result.reason}`);
    byOperation?.push(...client.requestsByOperation);
    return result.ok;
  } finally {
    await client.close();
  }
}

async function scenario(n: number, latencyMs: number): Promise<Measured[]> {
  const repoDir = repoWith(n);
  const emulator = await startEmulator({
    state: stateWith(n),
    repoDir,
    runner: "simulated",
    simulatedDurationMs: durationMs,
  });
  const rows: Measured[] = [];
  try {
    // Setup, not measured (no latency, no per-second limit): every service live at generation 1.
    const setupOk = await railyardRun(emulator, repoDir, "setup-token", {
      mode: "redeploy",
      services: "all",
      concurrency: 64,
      stabilityMs: 0,
    });
    if (!setupOk) throw new Error("setup deploy failed");
    const sha = push(repoDir, n, 2);
    emulator.setRateLimitPerSecond(HOBBY_PER_SECOND > 0 ? HOBBY_PER_SECOND : undefined);
    emulator.latency.requestMs = latencyMs;
    emulator.latency.subscriptionMessageMs =
      latencyMs > 0 ? SUBSCRIPTION_LATENCY_FOR_100 * (latencyMs / 100) : 0;
    if (alternatives.has("railyard")) {
      const counted: [string, number][] = [];
      rows.push(
        await measure(emulator, "railyard", "railyard", n, latencyMs, () =>
          railyardRun(emulator, repoDir, "railyard-token", {}, counted),
        ),
      );
      for (const [operation, requests] of counted)
        byOperation.push({ services: n, latencyMs, operation, requests });
    }
    if (alternatives.has("unchanged"))
      rows.push(
        await measure(emulator, "unchanged", "unchanged", n, latencyMs, () =>
          railyardRun(emulator, repoDir, "unchanged-token", {}),
        ),
      );
    if (alternatives.has("recipe"))
      rows.push(
        await measure(emulator, "recipe", "recipe", n, latencyMs, () => recipe(emulator, repoDir, sha, n)),
      );
    if (alternatives.has("autodeploy")) {
      // Railway's own builds are not held to the user's per-second limit.
      emulator.setRateLimitPerSecond(undefined);
      rows.push(
        await measure(emulator, "autodeploy", "none", n, latencyMs, () => autodeploy(emulator, sha, n)),
      );
    }
  } finally {
    await emulator.stop();
    rmSync(repoDir, { recursive: true, force: true });
  }
  return rows;
}

const rows: Measured[] = [];
/** What Railyard's client sent, by GraphQL operation (subscription starts as "subscription"). */
const byOperation: { services: number; latencyMs: number; operation: string; requests: number }[] = [];
for (const n of sizes) {
  for (const latencyMs of latencies) {
    log(`pipeline: ${n} services, ${latencyMs} ms latency`);
    rows.push(...(await scenario(n, latencyMs)));
  }
}
const defaults = actionDefaults();
const find = (alternative: string, n: number, latencyMs: number) =>
  rows.find((row) => row.alternative === alternative && row.services === n && row.latencyMs === latencyMs);
const goals = [];
const small = find("railyard", Math.min(...sizes), 100);
const large = find("railyard", Math.max(...sizes), 100);
if (small && large && large.services > small.services)
  goals.push({
    goal: `requests per additional service (railyard, ${small.services} → ${large.services} services, 100 ms)`,
    value: Math.round(((large.requests - small.requests) / (large.services - small.services)) * 100) / 100,
    op: "<=",
    target: 2,
    unit: "requests",
  });
const largeAt0 = find("railyard", Math.max(...sizes), 0);
if (large && largeAt0)
  goals.push({
    goal: `wall time beyond the slowest deployment, ${large.services} services: 100 ms latency minus no latency`,
    value: large.beyondSlowestMs - largeAt0.beyondSlowestMs,
    op: "<=",
    target: 2000,
    unit: "ms",
  });
const perService = rows
  .filter((row) => row.alternative === "railyard")
  .map((row) => ({
    services: row.services,
    latencyMs: row.latencyMs,
    requests: row.requests,
    requestsPerService: Math.round((row.requests / row.services) * 100) / 100,
  }));
console.log(
  JSON.stringify(
    {
      benchmark: "pipeline",
      simulatedDeploymentMs: durationMs,
      inputs: `action defaults: concurrency ${Number.isFinite(defaults.concurrency) ? defaults.concurrency : "all"}, stability-seconds ${defaults.stabilityMs / 1000}, rollback ${defaults.rollback}, smoke ${defaults.smoke}, timeout-minutes ${defaults.timeoutMs / 60_000}`,
      rateLimits: `Hobby: ${HOBBY_PER_HOUR} requests/hour, ${HOBBY_PER_SECOND}/s`,
      results: rows,
      railyardRequestsPerService: perService,
      railyardRequestsByOperation: byOperation.filter(
        (row) => row.services === Math.max(...sizes) && row.latencyMs === Math.max(...latencies),
      ),
      goals,
      notes: [
        "requests: counted by the emulator against the run's own token (HTTP requests and subscription starts: what X-RateLimit-Remaining subtracts); hobbyBudgetPercent = requests / 1,000.",
        "beyondSlowestMs = wallMs − slowestDeploymentMs (the emulator's record, created → SUCCESS). Railyard's includes the default 20-second stability window after the last SUCCESS; the recipe's includes every other deployment, one after another.",
        "railyard: deploy after a push that changes every service's files, settings and a fixed variable. unchanged: the same deploy run again, nothing to do.",
        "railyardRequestsByOperation: what Railyard's client sent in the largest run at the highest latency, by GraphQL operation (its own count; the requests column above is the emulator's).",
        "recipe: `railway up --service X --ci` per service, one after another: project read, source upload, 500 ms pause, build-log and deployment subscriptions on their own sockets (railwayapp/cli src/commands/up.rs).",
        "autodeploy: Railway rebuilds every service on every push, all at once, started on Railway's side: no request from the user's token; its wall time is the emulator's, first creation to last SUCCESS. It deploys every service even when one changed.",
        `At 100 ms: every request answers after 100 ms and every subscription message arrives ${SUBSCRIPTION_LATENCY_FOR_100} ms after the event (emulator --latency remote); both latencies share Hobby's limits (${HOBBY_PER_HOUR}/hour, ${HOBBY_PER_SECOND}/s, 429 with Retry-After).`,
      ],
    },
    null,
    2,
  ),
);
if (rows.some((row) => !row.ok)) process.exit(1);
