// Following deployments: batched status reads, subscriptions, and the polling fallback.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeploymentInfo } from "../../action/src/railway/types.ts";
import type { WatchOptions } from "../../action/src/railway/watch.ts";
import { type Fixture, headSha, leakedSecrets, startFixture } from "./support.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ services: 8, durationMs: 1_500 });
});
afterAll(async () => {
  await fx?.stop();
});

/** What the emulator counted for this token: the budget spent, seen from the server side. */
async function serverCount(token: string): Promise<number> {
  const probe = fx.client({ token, tokenKind: "account" });
  await probe.deployments("proj-main", "env-production", "svc-0", 1);
  return (probe.rateLimit.limit as number) - (probe.rateLimit.remaining as number) - 1;
}

async function deployAll(): Promise<string[]> {
  // Set-up, not under test: all at once (no pacing), so every deployment is watched from its start.
  const deployer = fx.client({ tokenKind: "account", retry: { maxPerSecond: 0 } });
  return Promise.all(fx.services.map((s) => deployer.deployCommit("env-production", s, headSha)));
}

describe("batched status reads", () => {
  it("reads the status of N deployments in one request", async () => {
    const ids = await deployAll();
    const client = fx.client({ token: fx.tokens.account, tokenKind: "account" });
    const before = await serverCount(fx.tokens.account);
    const statuses = await client.deploymentStatuses(ids);
    expect(client.requestCount).toBe(1);
    expect([...statuses.keys()].sort()).toEqual([...ids].sort());
    for (const d of statuses.values()) expect(d.status).toMatch(/QUEUED|BUILDING|DEPLOYING|SUCCESS/);
    // The server saw exactly one more request (plus the probe itself, accounted for in serverCount).
    expect((await serverCount(fx.tokens.account)) - before).toBe(2);
    await client.watchDeployments(ids, {});
  });
});

describe("watchDeployments", () => {
  it("with subscriptions: sees every status change pushed, with no polling", async () => {
    const ids = await deployAll();
    const client = fx.client({ tokenKind: "account" });
    const seen: DeploymentInfo[] = [];
    const final = await client.watchDeployments(ids, { onChange: (d) => seen.push(d) });
    expect([...final.values()].map((d) => d.status)).toEqual(ids.map(() => "SUCCESS"));
    // One subscription start per deployment and nothing else: each subscription reports the
    // current state at once, so no read is needed, and no polls.
    expect(client.requestCount).toBe(ids.length);
    for (const id of ids) {
      const statuses = seen.filter((d) => d.id === id).map((d) => d.status);
      expect(statuses).toContain("DEPLOYING");
      expect(statuses.at(-1)).toBe("SUCCESS");
    }
    expect(fx.captured.some((l) => l.includes("polling instead"))).toBe(false);
  });

  it("falls back to batched polling when the WebSocket is refused", async () => {
    const ids = await deployAll();
    fx.emulator.faults.add({ http: [{ kind: "refuse-websocket" }] });
    const logs: string[] = [];
    const client = fx.client({
      tokenKind: "account",
      log: (l) => {
        logs.push(l);
        fx.captured.push(l);
      },
    });
    const final = await client.watchDeployments(ids, {});
    expect([...final.values()].every((d) => d.status === "SUCCESS")).toBe(true);
    expect(logs.some((l) => l.includes("polling instead"))).toBe(true);
    const httpRequests = client.requestCount - ids.length; // minus the subscription attempts
    // Batched: a handful of polls for 8 deployments, where per-deployment polling needs 8 per round.
    expect(httpRequests).toBeGreaterThanOrEqual(2);
    expect(httpRequests).toBeLessThan(ids.length);
  });

  it("concurrent watch calls share one WebSocket and one batched read", async () => {
    const ids = await deployAll();
    const client = fx.client({ tokenKind: "account" });
    const sockets = fx.emulator.stats.webSocketConnections;
    const results = await Promise.all(ids.map((id) => client.watchDeployments([id], {})));
    expect(results.map((r) => [...r.values()][0]?.status)).toEqual(ids.map(() => "SUCCESS"));
    expect(fx.emulator.stats.webSocketConnections - sockets).toBe(1);
    expect(client.requestCount).toBe(ids.length);
  });

  it("reads the deployments a subscription has not reported within the grace, in one batched read", async () => {
    const ids = await deployAll();
    // Subscription messages arrive late (the emulator's latency mode): the grace runs out first.
    fx.emulator.latency.subscriptionMessageMs = 1_500;
    try {
      const client = fx.client({ tokenKind: "account", watch: { addedReadGraceMs: 200 } });
      const before = fx.emulator.stats.httpRequests;
      const final = await client.watchDeployments(ids, {});
      expect([...final.values()].map((d) => d.status)).toEqual(ids.map(() => "SUCCESS"));
      expect(fx.emulator.stats.httpRequests - before).toBeGreaterThanOrEqual(1);
      expect(client.requestCount).toBeGreaterThanOrEqual(ids.length + 1);
    } finally {
      fx.emulator.latency.subscriptionMessageMs = 0;
    }
  });

  it("one wave after another reuses the same WebSocket", async () => {
    const client = fx.client({ tokenKind: "account" });
    const sockets = fx.emulator.stats.webSocketConnections;
    const first = await deployAll();
    await client.watchDeployments(first.slice(0, 2), {});
    await client.watchDeployments(first.slice(2), {});
    expect(fx.emulator.stats.webSocketConnections - sockets).toBe(1);
  });

  it("concurrent watch calls share one polling loop: one request per poll for all", async () => {
    const ids = await deployAll();
    const client = fx.client({ tokenKind: "account", watch: { mode: "poll" } });
    const before = fx.emulator.stats.httpRequests;
    await Promise.all(ids.map((id) => client.watchDeployments([id], {})));
    const requests = fx.emulator.stats.httpRequests - before;
    expect(requests).toBe(client.requestCount);
    expect(requests).toBeLessThan(ids.length);
  });

  it("poll mode: the interval grows while nothing changes", async () => {
    const ids = [(await deployAll())[0] as string];
    const client = fx.client({
      tokenKind: "account",
      watch: { mode: "poll", minIntervalMs: 100, maxIntervalMs: 400 },
    });
    await client.watchDeployments(ids, {});
    // 1.5 s with 100 ms polls would be ~15 requests; growth to 400 ms keeps it well below.
    expect(client.requestCount).toBeGreaterThan(2);
    expect(client.requestCount).toBeLessThan(12);
  });

  it("treats SKIPPED and NEEDS_APPROVAL as final, so a run does not hang", async () => {
    fx.emulator.faults.add({
      deployment: [
        { kind: "skipped", service: "svc-3" },
        { kind: "needs-approval", service: "svc-4" },
      ],
    });
    const deployer = fx.client({ tokenKind: "account" });
    const a = await deployer.deployCommit("env-production", "svc-3", headSha);
    const b = await deployer.deployCommit("env-production", "svc-4", headSha);
    const final = await deployer.watchDeployments([a, b], {});
    expect(final.get(a)?.status).toBe("SKIPPED");
    expect(final.get(b)?.status).toBe("NEEDS_APPROVAL");
  });

  it("stops when the signal aborts, returning what it saw", async () => {
    fx.emulator.faults.add({ deployment: [{ kind: "waiting", service: "svc-5" }] });
    const client = fx.client({ tokenKind: "account" });
    const id = await client.deployCommit("env-production", "svc-5", headSha);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const final = await client.watchDeployments([id], { signal: controller.signal });
    expect(final.get(id)?.status).toBe("WAITING");
  });
});

describe("a deployment Railway does not show yet right after creation", () => {
  // Railway may answer "Deployment not found" in a deployment's first moments (its own CLI waits
  // 500 ms before subscribing); the emulator reproduces it with the not-found-while-fresh fault.
  const watchFresh = async (service: string, watch: WatchOptions) => {
    fx.emulator.faults.add({ deployment: [{ kind: "not-found-while-fresh", service, ms: 800 }] });
    const logs: string[] = [];
    const client = fx.client({
      tokenKind: "account",
      watch,
      log: (l) => {
        logs.push(l);
        fx.captured.push(l);
      },
    });
    const id = await client.deployCommit("env-production", service, headSha);
    // The fault is real: a read at once does not find it.
    await expect(client.deploymentStatuses([id])).rejects.toThrow(/not found/i);
    return { id, logs, result: client.watchDeployments([id], {}) };
  };

  it("with subscriptions: is waited for and followed to SUCCESS, keeping the WebSocket", async () => {
    const { id, logs, result } = await watchFresh("svc-6", {});
    expect((await result).get(id)?.status).toBe("SUCCESS");
    expect(logs.some((l) => l.includes("polling instead"))).toBe(false);
  });

  it("when polling: is read again until visible, then followed to SUCCESS", async () => {
    const { id, result } = await watchFresh("svc-7", { mode: "poll", minIntervalMs: 100 });
    expect((await result).get(id)?.status).toBe("SUCCESS");
  });

  it("past the grace, not found is an error again", async () => {
    const { result } = await watchFresh("svc-6", { mode: "poll", freshGraceMs: 0 });
    await expect(result).rejects.toThrow(/not found/i);
  });
});

it("no secret in any captured text", () => {
  expect(leakedSecrets(fx)).toEqual([]);
});
