// The emulator's control plane, driven through the real client over HTTP with the simulated runner.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { RailwayApiError } from "../../action/src/railway/errors.ts";
import {
  type Fixture,
  failure,
  headSha,
  leakedSecrets,
  repoDir,
  startFixture,
} from "../../test/client/support.ts";
import { StateFileError, validateStateFile } from "./state-file.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ services: 4, durationMs: 400 });
});
afterAll(async () => {
  await fx?.stop();
});

const account = () => fx.client({ tokenKind: "account" });

describe("deployment lifecycle", () => {
  it("QUEUED → BUILDING → DEPLOYING → SUCCESS, then the previous one is REMOVED; rollback repeats its commit", async () => {
    const client = account();
    const seen: string[] = [];
    const first = await client.deployCommit("env-production", "svc-0", headSha);
    await client.watchDeployments([first], { onChange: (d) => seen.push(d.status) });
    expect(seen).toEqual(["QUEUED", "BUILDING", "DEPLOYING", "SUCCESS"].filter((s) => seen.includes(s)));
    expect(seen.at(-1)).toBe("SUCCESS");

    const second = await client.deployCommit("env-production", "svc-0", headSha);
    await client.watchDeployments([second], {});
    const firstFinal = await client.watchDeployments([first], { isDone: (d) => d.status === "REMOVED" });
    expect(firstFinal.get(first)?.status).toBe("REMOVED");
    expect((await client.deployment(first)).canRollback).toBe(true);

    await client.rollback(first);
    const [rollback] = await client.deployments("proj-main", "env-production", "svc-0", 1);
    expect(rollback?.id).not.toBe(second);
    expect(rollback?.meta).toMatchObject({
      reason: "rollback",
      commitHash: headSha,
      sourceDeploymentId: first,
    });
    await client.watchDeployments([rollback?.id as string], {});
    const afterRollback = await client.watchDeployments([second], { isDone: (d) => d.status === "REMOVED" });
    expect(afterRollback.get(second)?.status).toBe("REMOVED");
    const instance = await client.serviceInstance("env-production", "svc-0");
    expect(instance.latestDeployment?.id).toBe(rollback?.id);
  });

  it("records events and logs; a failing build says which step failed", async () => {
    const client = account();
    fx.emulator.faults.add({ deployment: [{ kind: "build-fails", service: "worker-1" }] });
    const id = await client.deployCommit("env-production", "svc-1", headSha);
    const final = await client.watchDeployments([id], {});
    expect(final.get(id)?.status).toBe("FAILED");
    const events = await client.deploymentEvents(id);
    expect(events.find((e) => e.status === "FAILED")?.step).toBe("BUILD_IMAGE");
    expect((await client.buildLogs(id)).some((l) => l.severity === "error")).toBe(true);
  });

  it("a health check that never passes ends FAILED at HEALTHCHECK", async () => {
    const client = account();
    fx.emulator.faults.add({ deployment: [{ kind: "healthcheck-never-passes", service: "svc-2" }] });
    const id = await client.deployCommit("env-production", "svc-2", headSha);
    expect((await client.watchDeployments([id], {})).get(id)?.status).toBe("FAILED");
    expect((await client.deploymentEvents(id)).find((e) => e.status === "FAILED")?.step).toBe("HEALTHCHECK");
  });

  it("a crash after becoming healthy ends CRASHED", async () => {
    const client = account();
    fx.emulator.faults.add({ deployment: [{ kind: "crash-after-healthy", service: "svc-3" }] });
    const id = await client.deployCommit("env-production", "svc-3", headSha);
    const seen: string[] = [];
    const final = await client.watchDeployments([id], {
      onChange: (d) => seen.push(d.status),
      isDone: (d) => d.status === "CRASHED",
    });
    expect(seen).toContain("SUCCESS");
    expect(final.get(id)?.status).toBe("CRASHED");
  });

  it("cancel removes an in-progress deployment; a finished one cannot be cancelled", async () => {
    const client = account();
    fx.emulator.faults.add({ deployment: [{ kind: "waiting", service: "svc-1" }] });
    const id = await client.deployCommit("env-production", "svc-1", headSha);
    expect((await client.deployment(id)).status).toBe("WAITING");
    await client.cancel(id);
    expect((await client.deployment(id)).status).toBe("REMOVED");
    const error = await failure<RailwayApiError>(fx, client.cancel(id));
    expect(error).toBeInstanceOf(RailwayApiError);
    expect(error.message).toContain("cannot be cancelled");
  });

  it("redeploys: serviceInstanceRedeploy and deploymentRedeploy create new deployments of the same commit", async () => {
    const client = account();
    const id = await client.deployCommit("env-production", "svc-2", headSha);
    await client.watchDeployments([id], {});
    const redeployed = await client.redeployDeployment(id);
    expect(redeployed.meta).toMatchObject({ reason: "redeploy", commitHash: headSha });
    await client.redeployService("env-production", "svc-2");
    const latest = await client.deployments("proj-main", "env-production", "svc-2", 3);
    expect(latest.map((d) => d.meta?.reason)).toEqual(
      ["redeploy", "redeploy", "deploy"].slice(0, latest.length),
    );
    await client.watchDeployments(
      latest.map((d) => d.id),
      { isDone: (d) => ["SUCCESS", "REMOVED", "FAILED"].includes(d.status) },
    );
  });

  it("refuses an unknown commit and an external (machine-provided) service", async () => {
    const client = account();
    const unknown = await failure<RailwayApiError>(
      fx,
      client.deployCommit("env-production", "svc-0", "0".repeat(40)),
    );
    expect(unknown.message).toContain("not found in the repository");
    const external = await failure<RailwayApiError>(
      fx,
      client.deployCommit("env-production", "svc-db", headSha),
    );
    expect(external.message).toContain("provided by the machine");
  });

  it("accepts a source upload (gzip tarball) and deploys it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "railyard-upload-"));
    try {
      writeFileSync(join(dir, "index.js"), "console.log('hi')\n");
      execFileSync("tar", ["-czf", join(dir, "src.tar.gz"), "-C", dir, "index.js"]);
      const tarball = execFileSync("cat", [join(dir, "src.tar.gz")]);
      const client = account();
      const id = await client.uploadSource("proj-main", "env-production", "svc-1", new Uint8Array(tarball));
      const final = await client.watchDeployments([id], {});
      expect(final.get(id)?.status).toBe("SUCCESS");
      expect(final.get(id)?.meta).toMatchObject({ reason: "upload" });
      const bad = await failure<RailwayApiError>(
        fx,
        client.uploadSource(
          "proj-main",
          "env-production",
          "svc-1",
          new TextEncoder().encode("not a tarball"),
        ),
      );
      expect(bad.httpStatus).toBe(400);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("variables and settings", () => {
  it("renders service, shared and Railway references; a reference to nothing is empty", async () => {
    const client = account();
    const raw = await client.variables("proj-main", "env-production", "svc-0", true);
    expect(raw.SHARED).toBe("${{ shared.SHARED_KEY }}");
    const vars = await client.variablesForDeployment("proj-main", "env-production", "svc-0");
    expect(vars.DATABASE_URL).toMatch(/^postgresql:\/\/postgres:dbpass-[0-9a-f]+@127\.0\.0\.1:5432\/app$/);
    expect(vars.SHARED).toMatch(/^sharedkey-/);
    expect(vars.MISSING).toBe("");
    expect(vars.RAILWAY_SERVICE_NAME).toBe("api");
    expect(vars.RAILWAY_ENVIRONMENT_NAME).toBe("production");
    expect(vars.RAILWAY_PROJECT_ID).toBe("proj-main");
    expect(vars.SELF_DOMAIN).toBe(vars.RAILWAY_PUBLIC_DOMAIN);
    expect(vars.RAILWAY_PUBLIC_DOMAIN).toBeTruthy();
  });

  it("upserts variables and applies settings, as Railway allows", async () => {
    const client = account();
    await client.upsertVariables("proj-main", "env-production", "svc-1", { NEW_ONE: "value-from-test-xyz" });
    expect((await client.variables("proj-main", "env-production", "svc-1")).NEW_ONE).toBe(
      "value-from-test-xyz",
    );
    await client.updateServiceInstance("svc-1", "env-production", {
      builder: "DOCKERFILE",
      startCommand: "node dist/main.js",
      healthcheckPath: "/ready",
      preDeployCommand: ["node dist/migrate.js"],
      restartPolicyType: "ALWAYS",
    });
    const instance = await client.serviceInstance("env-production", "svc-1");
    expect(instance).toMatchObject({
      builder: "DOCKERFILE",
      dockerfilePath: "Dockerfile",
      startCommand: "node dist/main.js",
      healthcheckPath: "/ready",
      preDeployCommand: ["node dist/migrate.js"],
      restartPolicyType: "ALWAYS",
    });
    // Only the environment named changed.
    expect((await client.serviceInstance("env-pr", "svc-1")).startCommand ?? null).toBeNull();
  });

  it("reads deploy triggers and domains", async () => {
    const client = account();
    const triggers = await client.deploymentTriggers("proj-main", "env-production", "svc-0");
    expect(triggers).toEqual([
      expect.objectContaining({ branch: "main", checkSuites: true, repository: "railyard/railyard" }),
    ]);
    const domains = await client.domains("proj-main", "env-production", "svc-0");
    expect(domains.serviceDomains).toHaveLength(1);
  });
});

describe("the GraphQL surface", () => {
  it("answers an unknown field with a validation error and a wrong token with Not Authorized (HTTP 200)", async () => {
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(fx.emulator.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });
    const unknown = await post(
      { query: '{ deployment(id: "x") { nope } }' },
      { Authorization: `Bearer ${fx.tokens.account}` },
    );
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).errors[0].message).toContain('Cannot query field "nope"');
    const wrong = await post(
      { query: '{ project(id: "proj-main") { id } }' },
      { Authorization: "Bearer wrong" },
    );
    expect(wrong.status).toBe(200);
    expect((await wrong.json()).errors[0].message).toBe("Not Authorized");
    expect(wrong.headers.get("x-ratelimit-limit")).toBe("10000");
  });

  it("streams build logs over a subscription", async () => {
    const client = account();
    const id = await client.deployCommit("env-production", "svc-3", headSha);
    const headers = { Authorization: `Bearer ${fx.tokens.account}` };
    const ws = createClient({
      url: fx.emulator.graphqlUrl.replace("http", "ws"),
      webSocketImpl: WebSocket,
      connectionParams: headers,
      retryAttempts: 0,
    });
    try {
      const lines: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const stop = ws.subscribe<{ buildLogs: { message: string }[] }>(
          {
            query: "subscription($id: String!) { buildLogs(deploymentId: $id) { message } }",
            variables: { id },
          },
          {
            next: (r) => {
              for (const l of r.data?.buildLogs ?? []) lines.push(l.message);
              if (lines.some((l) => l.includes(" build of "))) {
                stop();
                resolve();
              }
            },
            error: reject,
            complete: () => {},
          },
        );
      });
      expect(lines.some((l) => /simulated [A-Z]+ build of worker-3/.test(l))).toBe(true);
    } finally {
      await ws.dispose();
    }
  });

  it("takes faults over HTTP at /_emulator/faults", async () => {
    const set = await fetch(`${fx.emulator.url}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ http: [{ kind: "status", status: 502, operation: "Nothing", count: 2 }] }),
    });
    expect(set.status).toBe(200);
    expect((await set.json()).http).toEqual([
      expect.objectContaining({ kind: "status", status: 502, remaining: 2 }),
    ]);
    const bad = await fetch(`${fx.emulator.url}/_emulator/faults`, {
      method: "POST",
      body: JSON.stringify({ http: [{ kind: "status", status: 418 }] }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toContain("500");
    await fetch(`${fx.emulator.url}/_emulator/faults`, { method: "DELETE" });
    expect(fx.emulator.faults.list().http).toEqual([]);
  });
});

describe("state files", () => {
  it("names the bad field of a state file", () => {
    expect(() =>
      validateStateFile(
        { projects: [{ id: "p", name: "p", environments: [], services: [] }], tokens: [{ kind: "robot" }] },
        "s.json",
      ),
    ).toThrow(StateFileError);
    expect(() =>
      validateStateFile(
        {
          projects: [
            {
              id: "p",
              name: "p",
              environments: [{ id: "e", name: "prod" }],
              services: [{ id: "s", name: "a", variables: { staging: {} } }],
            },
          ],
          tokens: [],
        },
        "s.json",
      ),
    ).toThrow(
      's.json: projects[0].services[0].variables.staging: no environment named or with id "staging" in project "p"',
    );
  });

  it("loads the example stack of this repository", async () => {
    const { readStateFile } = await import("./state-file.ts");
    const file = readStateFile(join(repoDir, "emulator/examples/stack.json"));
    expect(file.projects[0]?.services.map((s) => s.name)).toEqual([
      "User Data DB",
      "General Data DB",
      "Redis",
      "api",
      "data-poller",
      "trading-engine",
      "frontend",
    ]);
  });
});

describe("the CLI", () => {
  it("prints its URL, serves, and exits 0 on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "emulator/src/cli.ts",
        "--state",
        "emulator/examples/stack.json",
        "--repo",
        ".",
        "--runner",
        "simulated",
        "--quiet",
      ],
      { cwd: repoDir, stdio: ["ignore", "pipe", "pipe"] },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
        if (match) resolve(match[0]);
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const health = await fetch(`${url}/_emulator/health`);
    expect(health.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    await expect(fetch(`${url}/_emulator/health`)).rejects.toThrow();
  });

  it("rejects a missing state file with one line and exit code 1", () => {
    let stderr = "";
    let status: number | null = null;
    try {
      execFileSync(
        process.execPath,
        ["--import", "tsx", "emulator/src/cli.ts", "--state", "nope.json", "--runner", "simulated"],
        {
          cwd: repoDir,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
    } catch (error) {
      const e = error as { status: number; stderr: Buffer };
      status = e.status;
      stderr = e.stderr.toString();
    }
    expect(status).toBe(1);
    expect(stderr.trim()).toBe("emulator: nope.json: cannot read the state file (ENOENT)");
  });
});

it("no secret in any captured text", () => {
  expect(leakedSecrets(fx)).toEqual([]);
});
