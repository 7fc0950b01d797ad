// The whole platform from the repository: an EMPTY emulated Railway project becomes the running
// stack in one run. Railyard creates the two PostgreSQL databases and Redis (provisioned for
// real by the emulator), the four services with their references and a generated master key,
// the domains; it deploys, smoke-tests with the browser; the data-poller's ticks land in the
// General Data DB and Redis, the trading engine's orders in the User Data DB. A second run
// creates nothing and deploys nothing. Slow: real builds.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../action/src/pipeline/run.ts";
import type { PipelineOptions, PipelineResult } from "../../action/src/pipeline/types.ts";
import { RailwayClient } from "../../action/src/railway/client.ts";
import { startEmulator } from "../../emulator/src/index.ts";
import { cloneRepo, type Emulator, type TempRepo } from "./helpers.ts";

const run = promisify(execFile);
const BROWSER = ["/usr/bin/chromium", "/usr/bin/google-chrome"].find((path) => existsSync(path));
if (!BROWSER) throw new Error("no Chromium at /usr/bin/chromium: apt-get install -y chromium");

const token = `empty-${Date.now().toString(36)}`;
let emulator: Emulator;
let repo: TempRepo;
let client: RailwayClient;
let first: PipelineResult;
let second: PipelineResult;

function deploy(options: Partial<PipelineOptions> = {}): Promise<PipelineResult> {
  return runPipeline(
    {
      mode: "deploy",
      repoDir: repo.dir,
      environment: "production",
      timeoutMs: 12 * 60_000,
      concurrency: 4,
      rollback: true,
      smoke: true,
      browserPath: BROWSER,
      smokeTimeoutMs: 120_000,
      stabilityMs: 3_000,
      ...options,
    },
    { api: client },
  );
}

async function variablesOf(name: string): Promise<Record<string, string>> {
  const project = await client.project("proj-empty");
  const service = project.services.find((s) => s.name === name);
  if (!service) throw new Error(`no service ${name}`);
  return client.variablesForDeployment("proj-empty", "env-production", service.id);
}

async function psql(url: string, sql: string): Promise<string> {
  const u = new URL(url);
  const { stdout } = await run(
    "psql",
    ["-h", u.hostname, "-p", u.port, "-U", u.username, "-d", u.pathname.slice(1), "-tAXc", sql],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
  );
  return stdout.trim();
}

function redis(url: string, command: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port) });
    let data = "";
    socket.on("connect", () => socket.write(`AUTH ${decodeURIComponent(u.password)}\r\n${command}\r\n`));
    socket.on("data", (chunk) => {
      data += chunk.toString();
    });
    setTimeout(() => socket.end(), 500);
    socket.on("close", () => resolve(data));
    socket.on("error", () => resolve(data));
  });
}

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 90_000): Promise<T> {
  const until = Date.now() + ms;
  let value = await read();
  while (!ok(value) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 1000));
    value = await read();
  }
  return value;
}

beforeAll(async () => {
  repo = cloneRepo();
  emulator = await startEmulator({
    state: {
      projects: [
        {
          id: "proj-empty",
          name: "empty",
          environments: [{ id: "env-production", name: "production" }],
          services: [],
        },
      ],
      tokens: [{ kind: "project", token, project: "proj-empty", environment: "env-production" }],
    },
    repoDir: repo.dir,
    runner: "process",
  });
  client = new RailwayClient({ endpoint: emulator.graphqlUrl, token });
  first = await deploy();
  second = await deploy();
}, 1_500_000);

afterAll(async () => {
  await client?.close();
  await emulator?.stop();
  repo?.remove();
}, 120_000);

describe("an empty Railway project becomes the platform from the repository's files", () => {
  it("creates every service, database, volume, variable and domain the files declare", () => {
    expect(first.reason).toBeUndefined();
    const created = (first.resources ?? []).filter((r) => r.action === "create");
    const names = (type: string) => created.filter((r) => r.type === type).map((r) => r.name);
    expect(names("database").sort()).toEqual(["General Data DB", "Redis", "User Data DB"]);
    expect(names("volume")).toHaveLength(3);
    expect(names("service").sort()).toEqual(["api", "data-poller", "frontend", "trading-engine"]);
    expect(names("variable")).toContain("api.MASTER_ENCRYPTION_KEY");
    expect(names("variable")).toContain("data-poller.USER_DATABASE_URL");
    expect(names("domain").sort()).toEqual(["api", "api.railyard.example", "frontend"]);
    expect(created.every((r) => r.severity === "safe")).toBe(true);
    expect(first.notes.join("\n")).toMatch(
      /custom domain api\.railyard\.example needs a DNS record \(as Railway lists them\): CNAME api\.railyard\.example → 127\.0\.0\.1:\d+/,
    );
  });

  it("deploys the four services and passes the smoke test with the browser, on the Railway domain", () => {
    expect(first.ok).toBe(true);
    expect(first.deployments.map((d) => [d.service, d.status]).sort()).toEqual([
      ["api", "SUCCESS"],
      ["data-poller", "SUCCESS"],
      ["frontend", "SUCCESS"],
      ["trading-engine", "SUCCESS"],
    ]);
    expect(first.urls.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const checks = Object.fromEntries(first.smoke.map((c) => [c.name, c]));
    expect(checks["browser loads the frontend and its API call succeeds"]?.detail).toBe("stack-status is ok");
    expect(first.smoke.every((c) => c.ok && !c.skipped)).toBe(true);
  });

  it("the workers reach their own databases through the references: ticks in the General Data DB and Redis, orders in the User Data DB", async () => {
    const general = await variablesOf("General Data DB");
    const user = await variablesOf("User Data DB");
    const cache = await variablesOf("Redis");
    const poller = await variablesOf("data-poller");
    expect(poller.GENERAL_DATABASE_URL).toBe(general.DATABASE_URL);
    expect(poller.REDIS_URL).toBe(cache.REDIS_URL);
    expect(poller.MASTER_ENCRYPTION_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(poller.MASTER_ENCRYPTION_KEY).toBe((await variablesOf("api")).MASTER_ENCRYPTION_KEY);
    expect(user.PGDATABASE).not.toBe(general.PGDATABASE);

    const ticks = await eventually(
      () => psql(general.DATABASE_PUBLIC_URL as string, "select count(*) from ticks"),
      (n) => Number(n) > 0,
    );
    expect(Number(ticks)).toBeGreaterThan(0);
    const keys = await redis(cache.REDIS_URL as string, "DBSIZE");
    expect(Number(/:(\d+)/.exec(keys)?.[1] ?? 0)).toBeGreaterThan(0);

    // A trader's strategy that buys on the next tick: the trading engine records the order.
    await psql(user.DATABASE_PUBLIC_URL as string, "INSERT INTO users (email) VALUES ('trader@example.com')");
    await psql(
      user.DATABASE_PUBLIC_URL as string,
      "INSERT INTO strategies (user_id, symbol, buy_below, sell_above, quantity) VALUES (1, 'BTC-USD', 1e9, 1, 0.5)",
    );
    const orders = await eventually(
      () => psql(user.DATABASE_PUBLIC_URL as string, "select count(*) from orders"),
      (n) => Number(n) > 0,
    );
    expect(Number(orders)).toBeGreaterThan(0);
  }, 240_000);

  it("a second run creates nothing and deploys nothing", () => {
    expect(second.reason).toBeUndefined();
    expect(second.ok).toBe(true);
    expect((second.resources ?? []).filter((r) => r.action !== "keep")).toEqual([]);
    expect(second.deployments).toEqual([]);
    expect(second.plan.every((p) => !p.deploy)).toBe(true);
  });
});
