// `npx tsx bench/api-wait.ts [--sizes 4,16,64] [--base-ms 8000] [--spread-ms 8000]`
//
// Waiting on N simulated deployments (each ends SUCCESS after base + random(spread) ms), measures
// the API requests per minute and the delay between a deployment's terminal status (taken inside
// the emulator) and the client seeing it, for three ways of waiting:
//   subscribe: RailwayClient.watchDeployments over WebSocket subscriptions
//   poll:      RailwayClient.watchDeployments with the socket refused (batched adaptive polling)
//   cli-fallback: one status request per deployment every 5 s: `railway up --ci` when its
//                 subscription fails (poll_deployment_verdict in railwayapp/cli src/commands/up.rs)
// Prints JSON. Emulator and client share one process, so delays include event-loop contention.

import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import { RailwayClient } from "../action/src/railway/client.ts";
import { startEmulator } from "../emulator/src/index.ts";
import { SimulatedRunner } from "../emulator/src/runner/simulated.ts";
import type { DeploymentRunner } from "../emulator/src/runner/types.ts";
import type { ChangeEvent } from "../emulator/src/state.ts";
import type { EmulatorStateFile } from "../emulator/src/state-file.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "4,16,64" },
    "base-ms": { type: "string", default: "8000" },
    "spread-ms": { type: "string", default: "8000" },
  },
});
const sizes = String(values.sizes)
  .split(",")
  .map((s) => Number(s.trim()));
const baseMs = Number(values["base-ms"]);
const spreadMs = Number(values["spread-ms"]);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0) || !(baseMs >= 0) || !(spreadMs >= 0)) {
  console.error(
    "api-wait: --sizes must be positive integers, --base-ms and --spread-ms non-negative numbers",
  );
  process.exit(2);
}

const repoDir = process.cwd();
const sha = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
const TOKEN = "bench-account-token-0001";

type Mode = "subscribe" | "poll" | "cli-fallback";

/** SimulatedRunner with a different fixed duration per deployment, so terminals spread out. */
function spreadRunner(): DeploymentRunner {
  const inner = new SimulatedRunner();
  return {
    serviceDomain: (s, e) => inner.serviceDomain(s, e),
    start: (spec, sink, signal) =>
      inner.start(
        { ...spec, simulate: { durationMs: baseMs + Math.random() * spreadMs, outcome: "SUCCESS" } },
        sink,
        signal,
      ),
    close: () => inner.close(),
  };
}

function stateFor(n: number): EmulatorStateFile {
  return {
    rateLimitPerHour: 1_000_000,
    projects: [
      {
        id: "proj-bench",
        name: "bench",
        environments: [{ id: "env-bench", name: "production" }],
        services: Array.from({ length: n }, (_, i) => ({
          id: `svc-${i}`,
          name: `service-${i}`,
          source: { repo: "railyard/railyard" },
        })),
      },
    ],
    tokens: [{ kind: "account", token: TOKEN }],
  };
}

function stats(delays: number[]) {
  const sorted = [...delays].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return {
    delayMeanMs: Math.round(mean),
    delayP50Ms: Math.round(at(0.5)),
    delayP95Ms: Math.round(at(0.95)),
    delayMaxMs: Math.round(at(1)),
  };
}

async function measure(n: number, mode: Mode) {
  const emulator = await startEmulator({ state: stateFor(n), repoDir, runner: spreadRunner() });
  const terminalAt = new Map<string, number>();
  emulator.state.changes.on("change", (e: ChangeEvent) => {
    if (e.kind === "deployment" && e.deployment.status === "SUCCESS" && !terminalAt.has(e.deployment.id)) {
      terminalAt.set(e.deployment.id, performance.now());
    }
  });
  const client = new RailwayClient({
    endpoint: emulator.graphqlUrl,
    token: TOKEN,
    tokenKind: "account",
    // "poll" is the fallback path the client takes when the socket fails, measured on its own.
    watch: { mode: mode === "poll" ? "poll" : "auto" },
  });
  try {
    const ids = await Promise.all(
      Array.from({ length: n }, (_, i) => client.deployCommit("env-bench", `svc-${i}`, sha)),
    );
    const seenAt = new Map<string, number>();
    const before = client.requestCount;
    // Counted by the emulator, not assumed: HTTP requests and subscription starts it received.
    const httpBefore = emulator.stats.httpRequests;
    const subscriptionsBefore = emulator.stats.subscriptions;
    const started = performance.now();
    if (mode === "cli-fallback") {
      await Promise.all(
        ids.map(async (id) => {
          for (;;) {
            await new Promise((r) => setTimeout(r, 5_000));
            const d = await client.deployment(id);
            if (d.status === "SUCCESS") {
              seenAt.set(id, performance.now());
              return;
            }
          }
        }),
      );
    } else {
      await client.watchDeployments(ids, {
        onChange: (d) => {
          if (d.status === "SUCCESS") seenAt.set(d.id, performance.now());
        },
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const requests = client.requestCount - before;
    const subscriptionStarts = emulator.stats.subscriptions - subscriptionsBefore;
    const httpRequests = emulator.stats.httpRequests - httpBefore;
    if (requests !== subscriptionStarts + httpRequests)
      throw new Error(
        `the client counted ${requests} requests, the emulator ${httpRequests} HTTP requests and ${subscriptionStarts} subscriptions`,
      );
    const delays = ids.map((id) => (seenAt.get(id) ?? Number.NaN) - (terminalAt.get(id) ?? Number.NaN));
    return {
      deployments: n,
      mode,
      requests,
      subscriptionStarts,
      httpRequests,
      waitSeconds: Math.round(seconds * 10) / 10,
      requestsPerMinute: Math.round((requests / seconds) * 60 * 10) / 10,
      // Subscription starts are a one-off cost per deployment; HTTP requests are what polling repeats.
      httpRequestsPerMinute: Math.round((httpRequests / seconds) * 60 * 10) / 10,
      ...stats(delays.filter((d) => Number.isFinite(d))),
      allSeen: delays.every((d) => Number.isFinite(d) && d >= 0),
    };
  } finally {
    await client.close();
    await emulator.stop();
  }
}

const results: Awaited<ReturnType<typeof measure>>[] = [];
for (const n of sizes) {
  for (const mode of ["subscribe", "poll", "cli-fallback"] as const) {
    results.push(await measure(n, mode));
    console.error(`api-wait: ${n} deployments, ${mode}: done`);
  }
}
const row = (n: number, mode: Mode) => results.find((r) => r.deployments === n && r.mode === mode);
const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 100) / 100);
const comparison = sizes.map((n) => {
  const sub = row(n, "subscribe");
  const poll = row(n, "poll");
  const fallback = row(n, "cli-fallback");
  return {
    deployments: n,
    pollHttpRequestsPerMinuteRatioToCliFallback: ratio(
      poll?.httpRequestsPerMinute ?? 0,
      fallback?.httpRequestsPerMinute ?? 0,
    ),
    subscribeHttpRequestsPerMinuteRatioToCliFallback: ratio(
      sub?.httpRequestsPerMinute ?? 0,
      fallback?.httpRequestsPerMinute ?? 0,
    ),
    pollDelayMeanRatioToCliFallback: ratio(poll?.delayMeanMs ?? 0, fallback?.delayMeanMs ?? 0),
    subscribeDelayMeanRatioToCliFallback: ratio(sub?.delayMeanMs ?? 0, fallback?.delayMeanMs ?? 0),
  };
});
const invalid = results.filter((r) => !r.allSeen);
console.log(
  JSON.stringify(
    {
      benchmark: "api-wait",
      deploymentDurationMs: { base: baseMs, spread: spreadMs },
      pollingIntervalMs: { min: 1_000, max: 5_000, growth: 1.5 },
      cliFallbackIntervalMs: 5_000,
      results,
      comparison,
      notes: [
        "requests: what the client counted; subscriptionStarts and httpRequests: what the emulator received (the run fails when they do not add up); httpRequestsPerMinute counts only what repeats.",
        "delay: from the emulator recording SUCCESS to the client seeing it; emulator and client share one process.",
        "cli-fallback: one deployment(id) request per deployment every 5 s, what `railway up --ci` does when its subscription fails (railwayapp/cli, src/commands/up.rs).",
      ],
    },
    null,
    2,
  ),
);
if (invalid.length > 0) {
  console.error(
    `api-wait: ${invalid.length} run(s) did not see every deployment's terminal status: the figures are not valid`,
  );
  process.exit(1);
}
