// The stack for real: the emulator's process runner builds and runs the backend's three
// services and the Next.js frontend on this machine's PostgreSQL (two fresh databases) and
// Redis (a unique key prefix); the pipeline deploys, smoke-tests (with Chromium when present)
// and, when the frontend is built with the wrong API URL, rolls it back. Slow: one shared
// first deploy serves both stories.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PipelineResult } from "../../action/src/pipeline/types.ts";
import { type Stack, startStack } from "./helpers.ts";

const suffix = randomBytes(4).toString("hex");
const databases = [`railyard_e2e_user_${suffix}`, `railyard_e2e_general_${suffix}`];
const psql = (sql: string) =>
  execFileSync("psql", [
    "-h",
    "127.0.0.1",
    "-U",
    "postgres",
    "-d",
    "postgres",
    "-v",
    "ON_ERROR_STOP=1",
    "-qc",
    sql,
  ]);
// The browser check is part of the story: `npm test` installs Debian's chromium first.
const BROWSER = ["/usr/bin/chromium", "/usr/bin/google-chrome"].find((path) => existsSync(path));
if (!BROWSER) throw new Error("no Chromium at /usr/bin/chromium: apt-get install -y chromium");

let stack: Stack;
let first: PipelineResult;

beforeAll(async () => {
  for (const db of databases) psql(`CREATE DATABASE ${db}`);
  stack = await startStack("process", {
    userDatabaseUrl: `postgresql://postgres@127.0.0.1:5432/${databases[0]}`,
    generalDatabaseUrl: `postgresql://postgres@127.0.0.1:5432/${databases[1]}`,
    redisKeyPrefix: `railyard-e2e-${suffix}:`,
    keepCustomDomains: false,
  });
  first = await stack.run({ smoke: true, browserPath: BROWSER, stabilityMs: 3_000, smokeTimeoutMs: 120_000 });
}, 900_000);

afterAll(async () => {
  await stack?.stop();
  for (const db of databases) psql(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
}, 120_000);

describe("the real stack on the emulator", () => {
  it("first deploy: all four services go live at HEAD and the frontend-to-API path works", () => {
    expect(first.reason).toBeUndefined();
    expect(first.ok).toBe(true);
    expect(first.deployments.map((d) => [d.service, d.status]).sort()).toEqual([
      ["api", "SUCCESS"],
      ["data-poller", "SUCCESS"],
      ["frontend", "SUCCESS"],
      ["trading-engine", "SUCCESS"],
    ]);
    const checks = Object.fromEntries(first.smoke.map((c) => [c.name, c]));
    expect(checks["api /version"]?.detail).toBe(`serves commit ${stack.repo.head().slice(0, 12)}`);
    expect(checks["frontend /healthz"]?.detail).toBe(
      `built from ${stack.repo.head().slice(0, 12)} for ${first.urls.api}`,
    );
    expect(checks["CORS preflight"]?.ok).toBe(true);
    expect(first.urls.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(checks["browser loads the frontend and its API call succeeds"]?.detail).toBe("stack-status is ok");
    expect(first.smoke.every((c) => c.ok && !c.skipped)).toBe(true);
  });

  it("the backend services run from the image podman built from backend/Dockerfile", async () => {
    // `npm test` installs podman; the emulator then builds DOCKERFILE services as images.
    const api = stack.client();
    for (const service of ["api", "data-poller", "trading-engine"]) {
      const deploymentId = first.deployments.find((d) => d.service === service)?.deploymentId ?? "";
      const logs = (await api.buildLogs(deploymentId, 500)).map((line) => line.message);
      // A fresh emulator has no build cache: each service's image is built in this run.
      expect(
        logs.some((line) => line.startsWith("Building image ")),
        service,
      ).toBe(true);
      expect(logs.join("\n"), service).not.toContain("No container engine");
    }
  });

  it("a frontend built with the wrong API URL fails the smoke test and is rolled back to the build that works", async () => {
    expect(first.ok).toBe(true);
    // The files set NEXT_PUBLIC_API_URL (a reference to the api's domain): a commit points it elsewhere.
    const toml = readFileSync(`${stack.repo.dir}/frontend/railway.toml`, "utf8");
    const before = stack.repo.head();
    stack.repo.commit(
      {
        "frontend/railway.toml": toml.replace(
          '"https://${{api.RAILWAY_PUBLIC_DOMAIN}}"',
          '"http://127.0.0.1:9"',
        ),
        "frontend/app/e2e-wrong-url.txt": "rebuild\n",
      },
      "frontend: rebuild with a wrong API URL",
    );

    const result = await stack.run({
      smoke: true,
      browserPath: undefined,
      stabilityMs: 0,
      smokeTimeoutMs: 15_000,
    });
    expect(result.ok).toBe(false);
    expect(result.plan.filter((p) => p.deploy).map((p) => p.service)).toEqual(["frontend"]);
    expect(result.reason).toContain(
      "smoke test failed: frontend /healthz: the frontend was built with API URL",
    );
    expect(result.reason).toContain(`but the API is at ${first.urls.api}`);
    expect(result.rollbacks).toHaveLength(1);
    expect(result.rollbacks[0]).toMatchObject({ service: "frontend", ok: true });
    expect(result.rollbacks[0]?.detail).toContain(`back on ${before.slice(0, 7)}, serving again`);
    const info = (await (await fetch(`${first.urls.frontend}/healthz`)).json()) as {
      commit: string;
      apiUrl: string;
    };
    expect(info).toMatchObject({ commit: before, apiUrl: first.urls.api });
  }, 900_000);
});
