// Each API fault the emulator can inject, and how the client rides it out, over real HTTP.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sourceTarball } from "../../action/src/pipeline/tarball.ts";
import {
  RailwayDeployUnknownError,
  RailwayNetworkError,
  RailwayRateLimitError,
} from "../../action/src/railway/errors.ts";
import { type Fixture, failure, headSha, leakedSecrets, repoDir, startFixture } from "./support.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ durationMs: 300 });
});
afterAll(async () => {
  await fx?.stop();
});
beforeEach(() => {
  fx.emulator.faults.clear();
});

async function deploymentsOf(serviceId: string): Promise<string[]> {
  const reader = fx.client({ tokenKind: "account" });
  return (await reader.deployments("proj-main", "env-production", serviceId, 50)).map((d) => d.id);
}

describe("API faults", () => {
  it("429: waits for Retry-After, then succeeds", async () => {
    const client = fx.client({ tokenKind: "account" });
    fx.emulator.faults.add({
      http: [{ kind: "status", status: 429, retryAfterSeconds: 1, operation: "Project" }],
    });
    const started = Date.now();
    const project = await client.project("proj-main");
    expect(project.id).toBe("proj-main");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(client.requestCount).toBe(2);
    expect(fx.captured.some((l) => l.includes("429") && l.includes("Project"))).toBe(true);
  });

  it("429 beyond the retries allowed: RailwayRateLimitError with the wait Railway asked for", async () => {
    const client = fx.client({ tokenKind: "account", retry: { maxAttempts: 2, baseDelayMs: 10 } });
    fx.emulator.faults.add({ http: [{ kind: "status", status: 429, retryAfterSeconds: 0, count: 3 }] });
    const error = await failure<RailwayRateLimitError>(fx, client.project("proj-main"));
    expect(error).toBeInstanceOf(RailwayRateLimitError);
    expect(error.retryAfterSeconds).toBe(0);
  });

  it.each([500, 502] as const)("%i: a query is retried and succeeds", async (status) => {
    const client = fx.client({ tokenKind: "account" });
    fx.emulator.faults.add({ http: [{ kind: "status", status, count: 2, operation: "ServiceInstance" }] });
    const instance = await client.serviceInstance("env-production", "svc-0");
    expect(instance.serviceId).toBe("svc-0");
    expect(client.requestCount).toBe(3);
  });

  it("slow answers: a request that times out is sent again", async () => {
    const client = fx.client({ tokenKind: "account", requestTimeoutMs: 300 });
    fx.emulator.faults.add({ http: [{ kind: "delay", ms: 1_000, operation: "Project" }] });
    expect((await client.project("proj-main")).id).toBe("proj-main");
    expect(client.requestCount).toBe(2);
  });

  it("dropped connection: a query is sent again", async () => {
    const client = fx.client({ tokenKind: "account" });
    fx.emulator.faults.add({ http: [{ kind: "drop", operation: "Deployments" }] });
    expect(await client.deployments("proj-main", "env-production", "svc-2")).toEqual([]);
    expect(client.requestCount).toBe(2);
  });

  it("reads the rate-limit headers of every answer", async () => {
    const client = fx.client({ tokenKind: "account" });
    await client.project("proj-main");
    const first = client.rateLimit.remaining as number;
    await client.project("proj-main");
    expect(client.rateLimit.limit).toBe(10_000);
    expect(client.rateLimit.remaining).toBe(first - 1);
    expect(Date.parse(client.rateLimit.resetAt as string)).toBeGreaterThan(Date.now());
  });
});

describe("a deploy is never sent twice blindly", () => {
  it("connection dropped after the deploy ran: finds the deployment instead of deploying again", async () => {
    const client = fx.client({ tokenKind: "account" });
    const before = await deploymentsOf("svc-1");
    fx.emulator.faults.add({
      http: [{ kind: "drop", afterExecute: true, operation: "ServiceInstanceDeployV2" }],
    });
    const id = await client.deployCommit("env-production", "svc-1", headSha);
    const after = await deploymentsOf("svc-1");
    expect(after.length - before.length).toBe(1);
    expect(after[0]).toBe(id);
    expect(fx.captured.some((l) => l.includes("not sending it again"))).toBe(true);
  });

  it("500 after the deploy ran: same, one deployment", async () => {
    const client = fx.client({ tokenKind: "account" });
    const before = await deploymentsOf("svc-2");
    fx.emulator.faults.add({
      http: [{ kind: "status", status: 500, afterExecute: true, operation: "ServiceInstanceDeployV2" }],
    });
    const id = await client.deployCommit("env-production", "svc-2", headSha);
    const after = await deploymentsOf("svc-2");
    expect(after.length - before.length).toBe(1);
    expect(after[0]).toBe(id);
  });

  it("a slow deploy answer (longer than the client's timeout) is never sent again: one deployment, and it is the one reported", async () => {
    const client = fx.client({ tokenKind: "account", requestTimeoutMs: 300, deployReconcileMs: 5_000 });
    const before = await deploymentsOf("svc-1");
    fx.emulator.faults.add({ http: [{ kind: "delay", ms: 1_200, operation: "ServiceInstanceDeployV2" }] });
    const id = await client.deployCommit("env-production", "svc-1", headSha);
    // Give a second send, had there been one, the time to land too.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await deploymentsOf("svc-1");
    expect(after.length - before.length).toBe(1);
    expect(after[0]).toBe(id);
  });

  it("connection dropped before the deploy ran: not sent again; the service fails saying it may have deployed", async () => {
    const client = fx.client({ tokenKind: "account", deployReconcileMs: 800 });
    const before = await deploymentsOf("svc-0");
    fx.emulator.faults.add({ http: [{ kind: "drop", operation: "ServiceInstanceDeployV2" }] });
    const error = await failure<RailwayDeployUnknownError>(
      fx,
      client.deployCommit("env-production", "svc-0", headSha),
    );
    expect(error).toBeInstanceOf(RailwayDeployUnknownError);
    expect(error.message).toContain(`The deploy request for ${headSha.slice(0, 7)} got no clear answer`);
    expect(error.message).toContain("It may still have been deployed");
    expect(error.message).toContain("not sent again");
    expect((await deploymentsOf("svc-0")).length).toBe(before.length);
  });

  it("a slow source upload is not sent again: one deployment, and it is the one reported", async () => {
    const client = fx.client({ tokenKind: "account", requestTimeoutMs: 300, deployReconcileMs: 5_000 });
    const { tarball } = await sourceTarball(repoDir, headSha);
    const before = await deploymentsOf("svc-2");
    fx.emulator.faults.add({ http: [{ kind: "delay", ms: 1_200, operation: "up" }] });
    const id = await client.uploadSource("proj-main", "env-production", "svc-2", tarball);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await deploymentsOf("svc-2");
    expect(after.length - before.length).toBe(1);
    expect(after[0]).toBe(id);
  });

  it("a rollback is not repeated after an ambiguous failure: the error says the request may have run", async () => {
    const client = fx.client({ tokenKind: "account" });
    const first = await client.deployCommit("env-production", "svc-2", headSha);
    await client.watchDeployments([first], {});
    fx.emulator.faults.add({
      http: [{ kind: "status", status: 502, afterExecute: true, operation: "DeploymentRollback" }],
    });
    const before = await deploymentsOf("svc-2");
    const error = await failure<RailwayNetworkError>(fx, client.rollback(first));
    expect(error).toBeInstanceOf(RailwayNetworkError);
    expect(error.ambiguous).toBe(true);
    expect((await deploymentsOf("svc-2")).length - before.length).toBe(1);
  });
});

describe("the hourly budget", () => {
  it("answers 429 with Retry-After once the budget is spent, and the client says what to do", async () => {
    const small = await startFixture({ rateLimitPerHour: 3 });
    try {
      const client = small.client({ tokenKind: "account" });
      await client.project("proj-main");
      await client.project("proj-main");
      await client.project("proj-main");
      expect(client.rateLimit.remaining).toBe(0);
      const error = await failure<RailwayRateLimitError>(small, client.project("proj-main"));
      expect(error).toBeInstanceOf(RailwayRateLimitError);
      expect(error.retryAfterSeconds).toBeGreaterThan(3000);
      expect(error.message).toMatch(/rate limit/i);
    } finally {
      await small.stop();
    }
  });
});

it("no secret in any captured log line or error text", () => {
  expect(leakedSecrets(fx)).toEqual([]);
});
