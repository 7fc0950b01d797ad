// Users' stories of deploys that go wrong half-way (issue 13): a deploy request whose answer is
// lost, one service failing to start while others are in flight, a rollback whose answer is
// lost, a rollback with no live deployment to go back to. Simulated deployments.
import { afterEach, describe, expect, it } from "vitest";
import { deploymentsOf, type Stack, type StackOptions, startStack } from "./helpers.ts";

const stacks: Stack[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.stop();
});

async function stack(options: StackOptions = {}): Promise<Stack> {
  const started = await startStack("simulated", options);
  stacks.push(started);
  return started;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const BACKEND = ["api", "data-poller", "trading-engine"];
const ALL = [...BACKEND, "frontend"].sort();

describe("a deploy request whose answer is lost", () => {
  it("a slow answer is not sent again: one deployment per service, and the run reports the one that serves", async () => {
    const s = await stack({ client: { requestTimeoutMs: 1_000, deployReconcileMs: 10_000 } });
    s.emulator.faults.add({ http: [{ kind: "delay", ms: 2_500, operation: "ServiceInstanceDeployV2" }] });
    const result = await s.run({ services: ["frontend"] });
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    await pause(1_000);
    const frontend = await deploymentsOf(s, "frontend");
    expect(frontend).toHaveLength(1);
    expect(frontend[0]?.status).toBe("SUCCESS");
    expect(result.deployments.find((d) => d.service === "frontend")?.deploymentId).toBe(frontend[0]?.id);
  });
});

describe("one service failing to start while others are in flight", () => {
  it("every started deployment is followed to its end, reported and rolled back; nothing happens after the result", async () => {
    const s = await stack({ uploadServices: ["frontend"], client: { deployReconcileMs: 500 } });
    expect((await s.run({})).ok).toBe(true);
    const apiBefore = (await deploymentsOf(s, "api"))[0];
    s.repo.commit(
      { "backend/src/e2e-both.ts": "export {};\n", "frontend/app/e2e-both.txt": "x\n" },
      "backend and frontend",
    );
    // The frontend's upload gets a 502 before Railway acted: its outcome is unknown to the client.
    s.emulator.faults.add({ http: [{ kind: "status", status: 502, operation: "up" }] });
    const result = await s.run({});
    expect(result.ok).toBe(false);
    expect(result.deployments.map((d) => d.service).sort()).toEqual(ALL);
    const frontend = result.deployments.find((d) => d.service === "frontend");
    expect(frontend?.status).toBe("UNKNOWN");
    expect(frontend?.failure?.message).toContain("may still have been deployed");
    for (const name of BACKEND) {
      expect(result.deployments.find((d) => d.service === name)?.status).toBe("SUCCESS");
    }
    expect(result.reason).toContain("frontend");
    expect(result.rollbacks.map((r) => [r.service, r.ok]).sort()).toEqual(
      BACKEND.map((name) => [name, true]),
    );
    const eventsAtEnd = result.events.length;
    await pause(1_500);
    expect(result.events.length).toBe(eventsAtEnd);
    const apiNow = (await deploymentsOf(s, "api"))[0];
    expect(apiNow?.status).toBe("SUCCESS");
    expect(apiNow?.meta?.commitHash).toBe(apiBefore?.meta?.commitHash);
  });
});

describe("rolling back", () => {
  it("a rollback whose answer is lost but which Railway performed is reported as done", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    const before = (await deploymentsOf(s, "frontend"))[0];
    s.repo.commit({ "frontend/app/e2e-lost.txt": "x\n" }, "frontend: broken");
    s.emulator.faults.add({
      deployment: [{ kind: "build-fails", service: "frontend" }],
      http: [{ kind: "status", status: 502, afterExecute: true, operation: "DeploymentRollback" }],
    });
    const result = await s.run({});
    expect(result.ok).toBe(false);
    expect(result.rollbacks).toEqual([
      expect.objectContaining({ service: "frontend", toDeploymentId: before?.id, ok: true }),
    ]);
    expect(result.reason).toContain("rolled back 1 of 1 service");
    const now = await deploymentsOf(s, "frontend");
    // One rollback deployment, not two: the lost answer was not followed by a second request.
    expect(now.filter((d) => (d.meta as { reason?: string } | null)?.reason === "rollback")).toHaveLength(1);
    expect(now[0]?.status).toBe("SUCCESS");
  });

  it("with nothing live, the rollback goes to the last deployment that succeeded instead of claiming a first deploy", async () => {
    const s = await stack();
    expect((await s.run({ services: ["frontend"] })).ok).toBe(true);
    const good = (await deploymentsOf(s, "frontend"))[0];
    // A crash after SUCCESS with rollback off: nothing of the frontend is live any more.
    s.repo.commit({ "frontend/app/e2e-crash.txt": "x\n" }, "frontend: crashes");
    s.emulator.faults.add({ deployment: [{ kind: "crash-after-healthy", service: "frontend" }] });
    const crashed = await s.run({ services: ["frontend"], stabilityMs: 3_000, rollback: false });
    expect(crashed.ok).toBe(false);
    s.repo.commit({ "frontend/app/e2e-broken.txt": "x\n" }, "frontend: broken build");
    s.emulator.faults.add({ deployment: [{ kind: "build-fails", service: "frontend" }] });
    const result = await s.run({ services: ["frontend"] });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result.rollbacks)).not.toContain("first deploy");
    expect(result.rollbacks).toEqual([
      expect.objectContaining({ service: "frontend", toDeploymentId: good?.id, ok: true }),
    ]);
  });
});

describe("crash loops (issue 10)", () => {
  it("a deployment that stays SUCCESS while its instance restarts fails the run, and is rolled back", async () => {
    const s = await stack();
    expect((await s.run({ services: ["frontend"] })).ok).toBe(true);
    s.repo.commit({ "frontend/app/e2e-loop.txt": "x\n" }, "frontend: crash-loops");
    s.emulator.faults.add({ deployment: [{ kind: "crash-loop", service: "frontend" }] });
    const result = await s.run({ services: ["frontend"], stabilityMs: 3_000 });
    expect(result.ok).toBe(false);
    const frontend = result.deployments.find((d) => d.service === "frontend");
    expect(frontend?.failure?.message).toMatch(
      /its instance \S+ \d+ times? within the 3-second stability window: a crash loop/,
    );
    expect(result.reason).toContain("crash loop");
    // Railway's own view: the deployment stayed SUCCESS while its instance restarted.
    const api = s.client();
    const project = await api.project(s.projectId);
    const env = project.environments.find((e) => e.name === "production")?.id ?? "";
    const svc = project.services.find((x) => x.name === "frontend")?.id ?? "";
    const runs = (await api.instanceExecutions(env, svc)).filter(
      (e) => e.deploymentId === frontend?.deploymentId,
    );
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.map((e) => e.status)).toContain("CRASHED");
    expect(result.rollbacks.map((r) => [r.service, r.ok])).toEqual([["frontend", true]]);
  });

  it("a rollback that lands on a deployment that then crash-loops is reported as failed", async () => {
    const s = await stack();
    expect((await s.run({ services: ["frontend"] })).ok).toBe(true);
    s.repo.commit({ "frontend/app/e2e-loop2.txt": "x\n" }, "frontend: crash-loops");
    // The new deployment and the rollback deployment both crash-loop.
    s.emulator.faults.add({ deployment: [{ kind: "crash-loop", service: "frontend", count: 2 }] });
    const result = await s.run({ services: ["frontend"], stabilityMs: 3_000 });
    expect(result.ok).toBe(false);
    expect(result.rollbacks).toEqual([expect.objectContaining({ service: "frontend", ok: false })]);
    expect(result.rollbacks[0]?.detail).toContain("crash loop");
    expect(result.reason).toContain("rolled back 0 of 1 service");
  });

  it("a live deployment that crash-loops is no rollback target: the one before it is", async () => {
    const s = await stack();
    expect((await s.run({ services: ["frontend"] })).ok).toBe(true);
    const good = (await deploymentsOf(s, "frontend"))[0];
    s.repo.commit({ "frontend/app/e2e-loop3.txt": "x\n" }, "frontend: crash-loops");
    s.emulator.faults.add({ deployment: [{ kind: "crash-loop", service: "frontend" }] });
    // Rollback off: the crash-looping deployment stays live (SUCCESS in Railway).
    expect((await s.run({ services: ["frontend"], stabilityMs: 3_000, rollback: false })).ok).toBe(false);
    const looping = (await deploymentsOf(s, "frontend"))[0];
    expect(looping?.status).toBe("SUCCESS");
    s.repo.commit({ "frontend/app/e2e-broken3.txt": "x\n" }, "frontend: broken build");
    s.emulator.faults.add({ deployment: [{ kind: "build-fails", service: "frontend" }] });
    const result = await s.run({ services: ["frontend"] });
    expect(result.ok).toBe(false);
    expect(result.rollbacks).toEqual([
      expect.objectContaining({ service: "frontend", toDeploymentId: good?.id, ok: true }),
    ]);
  });
});
