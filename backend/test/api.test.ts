import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  BACKEND_DIR,
  createDatabases,
  deleteRedisPrefix,
  getJson,
  killIfRunning,
  type PrivateRedis,
  privateRedis,
  type RoleProcess,
  roleEnv,
  SHARED_REDIS_URL,
  startProcess,
  type TestDatabases,
  uniqueName,
  waitFor,
} from "./helpers.ts";

const version = (JSON.parse(readFileSync(join(BACKEND_DIR, "package.json"), "utf8")) as { version: string })
  .version;

describe("api role (node dist/main.js, CONTAINER_ROLE=api)", () => {
  let dbs: TestDatabases | undefined;
  let api: RoleProcess | undefined;
  let redis: PrivateRedis | undefined;
  let prefix = "";
  afterEach(async () => {
    killIfRunning(api);
    await redis?.kill();
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
    await dbs?.drop();
    dbs = api = redis = undefined;
  });

  async function startApi(redisUrl: string, extra: Record<string, string> = {}): Promise<string> {
    dbs = await createDatabases();
    prefix = `${uniqueName("apitest")}:`;
    api = startProcess({
      ...roleEnv(dbs, redisUrl, prefix, extra),
      CONTAINER_ROLE: "api",
      SHUTDOWN_TIMEOUT_MS: "5000",
    });
    const listening = await api.waitForEvent("api_listening");
    await api.waitForEvent("ready");
    return `http://127.0.0.1:${listening.port as number}`;
  }

  it("serves health, readiness, version and status, answers CORS, and exits 0 on SIGTERM", async () => {
    const base = await startApi(SHARED_REDIS_URL, {
      RAILWAY_GIT_COMMIT_SHA: "0123456789abcdef0123456789abcdef01234567",
      CORS_ORIGIN: "https://app.example.com,http://localhost:3000",
    });

    expect(await getJson(base, "/health")).toMatchObject({ status: 200, body: { status: "ok" } });
    expect(await getJson(base, "/ready")).toMatchObject({
      status: 200,
      body: { status: "ready", checks: { userDb: "ok", generalDb: "ok", redis: "ok" } },
    });
    const versionInfo = await getJson(base, "/version");
    expect(versionInfo.status).toBe(200);
    expect(versionInfo.body).toEqual({
      service: "api",
      commit: "0123456789abcdef0123456789abcdef01234567",
      version,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    // Nothing has run yet: no worker heartbeats, no prices, no orders.
    const empty = await getJson(base, "/api/status");
    expect(empty.body).toEqual({
      api: {
        status: "ok",
        commit: "0123456789abcdef0123456789abcdef01234567",
        uptimeSeconds: expect.any(Number),
      },
      workers: {
        "data-poller": { status: "missing", lastHeartbeat: null },
        "trading-engine": { status: "missing", lastHeartbeat: null },
      },
      prices: [],
      orders: { total: 0 },
    });

    // CORS: an allowed origin is echoed, another gets no ACAO header; preflight is 204.
    const allowed = await getJson(base, "/api/status", { Origin: "https://app.example.com" });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(allowed.headers.get("vary")).toBe("Origin");
    const other = await getJson(base, "/api/status", { Origin: "https://evil.example.com" });
    expect(other.status).toBe(200);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const preflight = await fetch(`${base}/api/status`, {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:3000", "Access-Control-Request-Method": "GET" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("GET");
    expect(preflight.headers.get("access-control-allow-headers")).toContain("Content-Type");

    expect((await getJson(base, "/nope")).status).toBe(404);
    expect((await fetch(`${base}/health`, { method: "POST" })).status).toBe(405);

    // Its own heartbeat is in Redis under the test's prefix, with a TTL.
    const probe = new Redis(SHARED_REDIS_URL);
    try {
      expect(JSON.parse((await probe.get(`${prefix}heartbeat:api`)) ?? "{}")).toMatchObject({
        commit: "0123456789abcdef0123456789abcdef01234567",
        at: expect.any(String),
      });
      expect(await probe.pttl(`${prefix}heartbeat:api`)).toBeGreaterThan(0);
    } finally {
      probe.disconnect();
    }
    const api1 = api as RoleProcess;
    const { code } = await api1.terminate();
    expect(code).toBe(0);
    expect(api1.logs.map((line) => line.event)).toContain("shutdown_complete");
    expect(api1.stdout()).not.toContain(TEST_SECRET_FRAGMENT);
  });

  it("on SIGTERM finishes the request in flight, then exits 0", async () => {
    redis = await privateRedis(["--enable-debug-command", "yes"]);
    const base = await startApi(redis.url, { SHUTDOWN_TIMEOUT_MS: "10000" });
    const control = new Redis(redis.url);
    try {
      // Redis stalls for 1.5 s, so the readiness check below is still running at SIGTERM.
      void control.call("DEBUG", "SLEEP", "1.5").catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const inFlight = getJson(base, "/ready");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const exit = (api as RoleProcess).terminate();
      const response = await inFlight;
      expect(response.status).toBe(503); // answered (draining), not cut off
      expect(response.body).toMatchObject({ status: "draining" });
      expect((await exit).code).toBe(0);
      const events = (api as RoleProcess).logs.map((line) => line.event);
      expect(events.indexOf("shutdown_started")).toBeLessThan(events.indexOf("shutdown_complete"));
    } finally {
      control.disconnect();
    }
  });

  it("reports Redis as failing while it is down and recovers when it restarts", async () => {
    redis = await privateRedis();
    const base = await startApi(redis.url);
    expect((await getJson(base, "/ready")).status).toBe(200);

    await redis.kill();
    const down = await waitFor("/ready to report redis down", async () => {
      const response = await getJson(base, "/ready");
      return response.status === 503 ? response : undefined;
    });
    expect(down.body).toEqual({
      status: "unready",
      checks: { userDb: "ok", generalDb: "ok", redis: "error" },
    });
    expect(down.text).not.toMatch(/redis:\/\/|postgres/);
    expect((await getJson(base, "/health")).status).toBe(200);

    await redis.start();
    await waitFor("/ready to recover", async () => (await getJson(base, "/ready")).status === 200);
    expect((await (api as RoleProcess).terminate()).code).toBe(0);
  });
});

// Part of the master key used by roleEnv: it must never reach the logs.
const TEST_SECRET_FRAGMENT = "00112233445566778899aabbccddeeff";
