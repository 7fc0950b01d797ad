// The story of a real deployment: this repository's backend api, at the current HEAD commit,
// built natively from its Dockerfile (no podman), migrated by its pre-deploy command against
// fresh PostgreSQL databases, health-checked on /ready with Redis, and served on its domain.
// Then a redeploy of the same commit reuses the build. Timings are printed, never asserted.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpGet, RecordingSink } from "./process.fixtures.ts";
import { ProcessRunner } from "./process.ts";
import type { DeploymentSpec } from "./types.ts";

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const suffix = `${process.pid}_${randomBytes(4).toString("hex")}`;
const userDb = `railyard_runner_user_${suffix}`;
const generalDb = `railyard_runner_general_${suffix}`;
const redisPrefix = `railyard-runner-test-${suffix}:`;
// One key for both deployments: a changed variable would (rightly) change the build.
const masterKey = randomBytes(32).toString("hex");

function psql(sql: string, database = "postgres"): string {
  return execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-d", database, "-tAc", sql], {
    encoding: "utf8",
  }).trim();
}

let workDir: string;
let runner: ProcessRunner;

beforeAll(() => {
  psql(`CREATE DATABASE ${userDb}`);
  psql(`CREATE DATABASE ${generalDb}`);
  workDir = mkdtempSync(path.join(tmpdir(), "railyard-runner-backend-"));
  runner = new ProcessRunner({ workDir, healthcheckIntervalMs: 250 });
});

afterAll(async () => {
  await runner?.close();
  rmSync(workDir, { recursive: true, force: true });
  psql(`DROP DATABASE IF EXISTS ${userDb} WITH (FORCE)`);
  psql(`DROP DATABASE IF EXISTS ${generalDb} WITH (FORCE)`);
  const keys = execFileSync("redis-cli", ["-h", "127.0.0.1", "--scan", "--pattern", `${redisPrefix}*`], {
    encoding: "utf8",
  })
    .split("\n")
    .filter(Boolean);
  if (keys.length > 0) execFileSync("redis-cli", ["-h", "127.0.0.1", "DEL", ...keys]);
});

function apiSpec(commitSha: string, deploymentId: string): DeploymentSpec {
  return {
    deploymentId,
    projectId: "proj-runner-test",
    environmentId: "env-production",
    environmentName: "production",
    serviceId: "svc-api",
    serviceName: "api",
    commitSha,
    repoDir,
    // backend/railway.toml's api service, as the resolver gives it
    settings: {
      builder: "DOCKERFILE",
      dockerfilePath: "Dockerfile",
      rootDirectory: "/backend",
      preDeployCommand: ["node dist/migrate.js"],
      healthcheckPath: "/ready",
      healthcheckTimeout: 120,
      restartPolicyType: "ON_FAILURE",
      restartPolicyMaxRetries: 5,
      overlapSeconds: 10,
      drainingSeconds: 30,
    },
    variables: {
      USER_DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/${userDb}`,
      GENERAL_DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/${generalDb}`,
      REDIS_URL: "redis://127.0.0.1:6379",
      REDIS_KEY_PREFIX: redisPrefix,
      MASTER_ENCRYPTION_KEY: masterKey,
      CORS_ORIGIN: "http://127.0.0.1:3000",
      CONTAINER_ROLE: "api",
    },
  };
}

describe("ProcessRunner with the real backend", () => {
  it("deploys the api from HEAD natively: build, pre-deploy migrations, /ready through the domain", async () => {
    const head = execFileSync("git", ["-C", repoDir, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const domain = await runner.serviceDomain("svc-api", "env-production");

    const sink = new RecordingSink();
    const firstStarted = Date.now();
    const first = runner.start(apiSpec(head, `dep-api-1-${suffix}`), sink, new AbortController().signal);
    await sink.until((s) => ["SUCCESS", "FAILED", "CRASHED"].includes(s.last ?? ""), 280_000);
    const firstMs = Date.now() - firstStarted;
    expect(sink.statuses, sink.buildLines.concat(sink.deployLines).join("\n")).toEqual([
      "BUILDING",
      "DEPLOYING",
      "SUCCESS",
    ]);
    expect(
      sink.buildLines.some((line) => line.startsWith("No container engine: building backend/Dockerfile")),
    ).toBe(true);
    expect(sink.events.map((event) => `${event.step} ${event.status}`)).toContain("PRE_DEPLOY SUCCEEDED");
    const tables = Number(
      psql("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", userDb),
    );
    expect(tables).toBeGreaterThan(0);

    const ready = await httpGet(domain, "/ready");
    expect(ready.status).toBe(200);
    const version = JSON.parse((await httpGet(domain, "/version")).body) as { commit: string };
    expect(version.commit).toBe(head);

    // A redeploy of the same commit reuses the build and takes over the domain.
    const again = new RecordingSink();
    const secondStarted = Date.now();
    const second = runner.start(apiSpec(head, `dep-api-2-${suffix}`), again, new AbortController().signal);
    await again.until((s) => ["SUCCESS", "FAILED", "CRASHED"].includes(s.last ?? ""), 120_000);
    const secondMs = Date.now() - secondStarted;
    expect(again.statuses).toEqual(["BUILDING", "DEPLOYING", "SUCCESS"]);
    expect(again.buildLines.some((line) => line.startsWith("Reusing the build"))).toBe(true);
    await first.stop({ drainingSeconds: 5 });
    expect((await httpGet(domain, "/ready")).status).toBe(200);
    await second.stop({ drainingSeconds: 5 });
    expect((await httpGet(domain, "/ready")).status).toBe(502);

    const buildLine = sink.buildLines.find((line) => line.startsWith("Build finished in"));
    console.log(
      JSON.stringify({
        backendNativeDeployToSuccessMs: firstMs,
        backendNativeBuild: buildLine,
        backendCachedRedeployToSuccessMs: secondMs,
      }),
    );
  }, 300_000);
});
