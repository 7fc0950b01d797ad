// The latency-true mode (benchmarks): every request answers no sooner than its round trip,
// subscription messages arrive no sooner than their delay and in order, and the per-second
// limit answers 429 with Retry-After and Railway's X-RateLimit-* headers. Only lower bounds on
// time are asserted (a delay that is there cannot make them fail; none are upper bounds).
import { execFileSync } from "node:child_process";
import { createClient } from "graphql-ws";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type RunningEmulator, startEmulator } from "./index.ts";

const repoDir = execFileSync("git", ["rev-parse", "--show-toplevel"], { encoding: "utf8" }).trim();
const TOKEN = "latency-token";
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

async function start(options: Parameters<typeof startEmulator>[0]["latency"], perSecond?: number) {
  emulator = await startEmulator({
    state: {
      projects: [
        {
          id: "proj-l",
          name: "latency",
          environments: [{ id: "env-l", name: "production" }],
          services: [{ id: "svc-l", name: "web", source: { repo: "l/l" } }],
        },
      ],
      tokens: [{ kind: "project", token: TOKEN, project: "proj-l", environment: "env-l" }],
      rateLimitPerHour: 1000,
    },
    repoDir,
    runner: "simulated",
    simulatedDurationMs: 50,
    ...(options ? { latency: options } : {}),
    ...(perSecond ? { rateLimitPerSecond: perSecond } : {}),
  });
  return emulator;
}

function post(url: string, query: string, variables: Record<string, unknown> = {}) {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "Project-Access-Token": TOKEN },
    body: JSON.stringify({ query, variables }),
  });
}

describe("latency-true mode", () => {
  it("answers a request only after its round trip, and a change to emulator.latency applies to the next one", async () => {
    const running = await start({ requestMs: 300, subscriptionMessageMs: 0 });
    let started = performance.now();
    const slow = await post(running.graphqlUrl, "{ projectToken { projectId } }");
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(((await slow.json()) as { data: unknown }).data).toEqual({
      projectToken: { projectId: "proj-l" },
    });
    running.latency.requestMs = 600;
    started = performance.now();
    await post(running.graphqlUrl, "{ projectToken { projectId } }");
    expect(performance.now() - started).toBeGreaterThanOrEqual(595);
    expect(running.budgetUsed(TOKEN)).toBe(2);
  });

  it("delivers subscription messages no sooner than their delay after the event, in order", async () => {
    const running = await start({ requestMs: 0, subscriptionMessageMs: 400 });
    const deploy = await post(
      running.graphqlUrl,
      'mutation { serviceInstanceDeployV2(serviceId: "svc-l", environmentId: "env-l") }',
    );
    const id = ((await deploy.json()) as { data: { serviceInstanceDeployV2: string } }).data
      .serviceInstanceDeployV2;
    const changedAt = new Map<string, number>();
    running.state.changes.on(
      "change",
      (event: { kind: string; deployment?: { id: string; status: string } }) => {
        if (event.kind === "deployment" && event.deployment?.id === id)
          changedAt.set(event.deployment.status, performance.now());
      },
    );
    const client = createClient({
      url: running.graphqlUrl.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { "Project-Access-Token": TOKEN },
      retryAttempts: 0,
    });
    const received: { status: string; at: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query: "subscription ($id: String!) { deployment(id: $id) { status } }", variables: { id } },
        {
          next: (message) => {
            const status = (message.data?.deployment as { status?: string } | undefined)?.status ?? "";
            received.push({ status, at: performance.now() });
            if (status === "SUCCESS") resolve();
          },
          error: reject,
          complete: () => resolve(),
        },
      );
    });
    await client.dispose();
    expect(received.at(-1)?.status).toBe("SUCCESS");
    const order = ["QUEUED", "BUILDING", "DEPLOYING", "SUCCESS"];
    const statuses = received.map((r) => r.status);
    expect(statuses).toEqual(order.filter((s) => statuses.includes(s)));
    for (const message of received) {
      const at = changedAt.get(message.status);
      // The first message is the state at subscribe time; every later one follows a recorded change.
      if (at !== undefined && message !== received[0]) expect(message.at - at).toBeGreaterThanOrEqual(395);
    }
    expect(running.stats.subscriptions).toBe(1);
    expect(running.budgetUsed(TOKEN)).toBe(2);
  });

  it("holds a token to its per-second limit: 429, Retry-After 1 and the hourly X-RateLimit-* headers", async () => {
    const running = await start(undefined, 3);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => post(running.graphqlUrl, "{ projectToken { projectId } }")),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = answers.find((a) => a.status === 429) as Response;
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-ratelimit-limit")).toBe("1000");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("997");
    expect(Number(refused.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
    // Refused requests are not counted against the hourly budget.
    expect(running.budgetUsed(TOKEN)).toBe(3);
    running.setRateLimitPerSecond(undefined);
    const after = await post(running.graphqlUrl, "{ projectToken { projectId } }");
    expect(after.status).toBe(200);
    expect(after.headers.get("x-ratelimit-remaining")).toBe("996");
  });
});
