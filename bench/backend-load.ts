// The real backend under load and faults. Prints JSON to stdout: `npx tsx bench/backend-load.ts`.
//
// Starts a PRIVATE PostgreSQL cluster (initdb + pg_ctl on a random port, as the postgres user)
// and a PRIVATE redis-server (random port, RDB snapshot on shutdown, as Railway's Redis keeps a
// volume), migrates two fresh databases, seeds one strategy per symbol that orders on every
// tick, and runs backend/dist/main.js as api, data-poller and trading-engine. Then:
//   (a) load: 50 concurrent connections on loopback for 8 s each against /api/status and
//       /health while the workers run → throughput and latency percentiles;
//   (b) faults: restart PostgreSQL, then Redis, under the running workers; drain; count ticks
//       stored vs published vs evaluated, stream entries still pending, and orders against
//       DISTINCT (strategy, tick).
// The machine's shared PostgreSQL and Redis are never touched. See docs/decisions/0082.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { Pool as HttpPool } from "undici";

const ROOT = resolve(import.meta.dirname, "..");
const BACKEND = join(ROOT, "backend");
const LOAD_CONNECTIONS = 50;
const LOAD_SECONDS = 8;
const POLL_INTERVAL_MS = 100;
const OUTAGE_MS = 3000;
const STEADY_MS = 5000;
/** Each cycle restarts PostgreSQL, then Redis; a crash on a restart is timing-dependent, so more than one. */
const FAULT_CYCLES = 2;

// The backend's own drivers (backend/node_modules), so the root gains no dependency.
const backendRequire = createRequire(join(BACKEND, "package.json"));
interface QueryResult<Row> {
  rows: Row[];
}
interface PgClient {
  connect(): Promise<void>;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<Row>>;
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): void;
}
interface RedisClient {
  xlen(key: string): Promise<number>;
  xpending(key: string, group: string): Promise<[number, ...unknown[]]>;
  xrange(key: string, start: string, end: string): Promise<[string, string[]][]>;
  ping(): Promise<string>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: "error", listener: (error: Error) => void): void;
}
const pg = backendRequire("pg") as { Client: new (options: { connectionString: string }) => PgClient };
const { Redis } = backendRequire("ioredis") as {
  Redis: new (url: string, options?: Record<string, unknown>) => RedisClient;
};

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ""}`);
}

// ---------------------------------------------------------------- private PostgreSQL

function postgresBinDir(): string {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql");
  const version = readdirSync(base).sort((a, b) => Number(b) - Number(a))[0];
  return join(base, version as string, "bin");
}

/** A throwaway cluster owned by the postgres user (initdb refuses to run as root). */
class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), "railyard-bench-pg-"));
  readonly dataDir = join(this.dir, "data");
  private readonly bin = postgresBinDir();
  constructor(readonly port: number) {
    chownSync(this.dir, uidOf("postgres"), gidOf("postgres"));
    chmodSync(this.dir, 0o700);
  }
  private asPostgres(command: string, args: string[]): void {
    const asRoot = process.getuid?.() === 0;
    const [file, argv] = asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
    execFileSync(file, argv, { stdio: ["ignore", "ignore", "pipe"] });
  }
  init(): void {
    this.asPostgres(join(this.bin, "initdb"), [
      "-D",
      this.dataDir,
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
      "-E",
      "UTF8",
    ]);
  }
  start(): void {
    this.asPostgres(join(this.bin, "pg_ctl"), [
      "-D",
      this.dataDir,
      "-l",
      join(this.dir, "server.log"),
      "-w",
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      "start",
    ]);
  }
  stop(mode: "fast" | "immediate" = "fast"): void {
    this.asPostgres(join(this.bin, "pg_ctl"), ["-D", this.dataDir, "-m", mode, "-w", "stop"]);
  }
  url(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }
  destroy(): void {
    try {
      this.stop("immediate");
    } catch {}
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function uidOf(user: string): number {
  return Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
}
function gidOf(user: string): number {
  return Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
}

// ---------------------------------------------------------------- private Redis

class PrivateRedis {
  readonly dir = mkdtempSync(join(tmpdir(), "railyard-bench-redis-"));
  private child: ChildProcess | undefined;
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    // An RDB snapshot written at shutdown and loaded at start: a restart keeps the stream.
    this.child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      { stdio: "ignore" },
    );
    await waitFor("private redis-server", async () => {
      const probe = new Redis(this.url, {
        lazyConnect: false,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on("error", () => undefined);
      try {
        return (await probe.ping()) === "PONG";
      } finally {
        probe.disconnect();
      }
    });
  }
  /** SHUTDOWN SAVE, as a graceful restart does; resolves when the process is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((done) => child.once("exit", done));
    execFileSync("redis-cli", ["-p", String(this.port), "shutdown", "save"], { stdio: "ignore" });
    await exited;
  }
  destroy(): void {
    this.child?.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- backend processes

/** What the benchmark is doing now, to say when a process exited. */
let phase = "start-up";

interface Role {
  name: string;
  child: ChildProcess;
  /** Exits we did not ask for, with the phase they happened in. */
  crashes: { code: number | null; signal: string | null; phase: string }[];
  stopping: boolean;
}

/**
 * Starts a role and, like Railway's ON_FAILURE restart policy, starts it again after an exit
 * we did not ask for (1 s later). Each such exit is recorded: it is a finding, not noise.
 */
function startRole(name: string, env: Record<string, string>, logDir: string): Role {
  const role: Role = { name, child: undefined as unknown as ChildProcess, crashes: [], stopping: false };
  const launch = () => {
    const log = openSync(join(logDir, `${name}.log`), "a");
    const child = spawn(process.execPath, ["dist/main.js"], {
      cwd: BACKEND,
      env: { PATH: process.env.PATH ?? "", ...env, CONTAINER_ROLE: name },
      stdio: ["ignore", log, log],
    });
    child.on("exit", (code, signal) => {
      if (role.stopping) return;
      role.crashes.push({ code, signal, phase });
      if (role.crashes.length <= 5) setTimeout(() => !role.stopping && launch(), 1000);
    });
    role.child = child;
  };
  launch();
  return role;
}

async function stopRole(role: Role): Promise<void> {
  role.stopping = true;
  if (role.child.exitCode !== null || role.child.signalCode !== null) return;
  const exited = new Promise((done) => role.child.once("exit", done));
  role.child.kill("SIGTERM");
  await Promise.race([exited, sleep(15_000)]);
  if (role.child.exitCode === null && role.child.signalCode === null) role.child.kill("SIGKILL");
}

// ---------------------------------------------------------------- load

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

async function load(origin: string, path: string) {
  const pool = new HttpPool(origin, { connections: LOAD_CONNECTIONS, pipelining: 1 });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const deadline = performance.now() + LOAD_SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: LOAD_CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        try {
          const response = await pool.request({ path, method: "GET" });
          await response.body.dump();
          latencies.push(performance.now() - sent);
          statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    path,
    connections: LOAD_CONNECTIONS,
    durationSeconds: round(seconds, 1),
    requests: latencies.length,
    throughputPerSecond: round(latencies.length / seconds, 1),
    p50Ms: round(percentile(latencies, 0.5)),
    p90Ms: round(percentile(latencies, 0.9)),
    p99Ms: round(percentile(latencies, 0.99)),
    maxMs: round(latencies[latencies.length - 1] ?? Number.NaN),
    non2xx: Object.entries(statuses)
      .filter(([status]) => !status.startsWith("2"))
      .reduce((sum, [, count]) => sum + count, 0),
    errors,
  };
}

// ---------------------------------------------------------------- main

async function query<Row>(url: string, sql: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query<Row>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function readyWithin(origin: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await waitFor(
    "/ready to answer 200",
    async () => {
      const response = await fetch(`${origin}/ready`);
      await response.arrayBuffer();
      return response.status === 200;
    },
    timeoutMs,
  );
  return round(performance.now() - started, 0);
}

async function main() {
  const distMain = join(BACKEND, "dist/main.js");
  if (!existsSync(distMain) || newestMtime(join(BACKEND, "src")) > statSync(distMain).mtimeMs) {
    console.error("bench: building backend/dist (missing or older than backend/src)");
    execFileSync("npm", ["run", "build"], { cwd: BACKEND, stdio: ["ignore", "inherit", "inherit"] });
  }
  const postgres = new PrivatePostgres(await freePort());
  const redis = new PrivateRedis(await freePort());
  const logDir = mkdtempSync(join(tmpdir(), "railyard-bench-logs-"));
  const roles: Role[] = [];
  try {
    postgres.init();
    postgres.start();
    await redis.start();
    await query(postgres.url("postgres"), "CREATE DATABASE bench_user");
    await query(postgres.url("postgres"), "CREATE DATABASE bench_general");
    const apiPort = await freePort();
    const prefix = `railyard-bench-${randomBytes(4).toString("hex")}:`;
    const env: Record<string, string> = {
      USER_DATABASE_URL: postgres.url("bench_user"),
      GENERAL_DATABASE_URL: postgres.url("bench_general"),
      REDIS_URL: redis.url,
      MASTER_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
      CORS_ORIGIN: "http://127.0.0.1:3000",
      PORT: String(apiPort),
      HOST: "127.0.0.1",
      REDIS_KEY_PREFIX: prefix,
      POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      HEARTBEAT_INTERVAL_MS: "1000",
      SHUTDOWN_TIMEOUT_MS: "10000",
      LOG_LEVEL: "warn",
      // A restarted engine claims a dead consumer's pending entries after this idle time.
      ENGINE_CLAIM_IDLE_MS: "3000",
    };
    execFileSync(process.execPath, ["dist/migrate.js"], {
      cwd: BACKEND,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "ignore", "inherit"],
    });
    // One strategy per symbol; buy below 1e9 and sell above 1 means an order on every tick
    // it evaluates, so orders count evaluated ticks exactly.
    await query(env.USER_DATABASE_URL as string, "INSERT INTO users (email) VALUES ('bench@example.com')");
    await query(
      env.USER_DATABASE_URL as string,
      `INSERT INTO strategies (user_id, symbol, buy_below, sell_above, quantity)
       SELECT 1, symbol, 1e9, 1, 1 FROM unnest(ARRAY['BTC-USD','ETH-USD','SOL-USD']) AS symbol`,
    );

    for (const name of ["api", "data-poller", "trading-engine"]) roles.push(startRole(name, env, logDir));
    const origin = `http://127.0.0.1:${apiPort}`;
    const startupMs = await readyWithin(origin, 60_000);
    await sleep(2000); // workers publish and consume for a moment before the load

    // (a) load with the workers running
    phase = "load";
    const loadResults = [await load(origin, "/api/status"), await load(origin, "/health")];

    // (b) faults under the running workers
    const faults: Record<string, unknown>[] = [];
    await sleep(STEADY_MS);
    for (let cycle = 1; cycle <= FAULT_CYCLES; cycle += 1) {
      let began = performance.now();
      phase = `PostgreSQL restart ${cycle}`;
      postgres.stop("fast");
      await sleep(OUTAGE_MS);
      postgres.start();
      faults.push({
        fault: `PostgreSQL restart ${cycle} (pg_ctl stop -m fast, start)`,
        outageMs: round(performance.now() - began, 0),
        apiReadyAgainMs: await readyWithin(origin, 60_000),
      });
      await sleep(STEADY_MS);
      began = performance.now();
      phase = `Redis restart ${cycle}`;
      await redis.stop();
      await sleep(OUTAGE_MS);
      await redis.start();
      faults.push({
        fault: `Redis restart ${cycle} (SHUTDOWN SAVE, start)`,
        outageMs: round(performance.now() - began, 0),
        apiReadyAgainMs: await readyWithin(origin, 60_000),
      });
      await sleep(STEADY_MS);
    }

    // Stop producing, then let the engine drain the stream.
    phase = "drain";
    const poller = roles.find((role) => role.name === "data-poller") as Role;
    await stopRole(poller);
    const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    redisClient.on("error", () => undefined);
    const stream = `${prefix}ticks`;
    const group = await engineGroupName(redisClient, stream);
    const drained = await waitFor(
      "the engine to drain the stream",
      async () => {
        const [unpublished] = await query<{ n: number }>(
          env.GENERAL_DATABASE_URL as string,
          "SELECT count(*)::int AS n FROM ticks WHERE published_at IS NULL",
        );
        const pending = group ? Number((await redisClient.xpending(stream, group))[0]) : 0;
        const lag = group ? await groupLag(redisClient, stream, group) : 0;
        return unpublished?.n === 0 && pending === 0 && lag === 0 ? true : undefined;
      },
      60_000,
    ).catch(() => false);

    // Counts
    const ticks = await query<{ id: string; symbol: string; published: boolean }>(
      env.GENERAL_DATABASE_URL as string,
      "SELECT id, symbol, published_at IS NOT NULL AS published FROM ticks",
    );
    const orderedTicks = new Set(
      (
        await query<{ tick_id: string }>(
          env.USER_DATABASE_URL as string,
          "SELECT DISTINCT tick_id FROM orders",
        )
      ).map((row) => row.tick_id),
    );
    const [orders] = await query<{ total: number; distinct: number }>(
      env.USER_DATABASE_URL as string,
      "SELECT count(*)::int AS total, count(DISTINCT (strategy_id, tick_id))::int AS distinct FROM orders",
    );
    const streamIds = new Set(
      (await redisClient.xrange(stream, "-", "+")).map(([, fields]) => fields[fields.indexOf("id") + 1]),
    );
    const pendingEntries = group ? Number((await redisClient.xpending(stream, group))[0]) : 0;
    redisClient.disconnect();
    const published = ticks.filter((tick) => tick.published);
    // Lost: published but never evaluated. Split by where it went missing: gone from the
    // stream (Redis lost it) or still in the stream but acknowledged without an order.
    const notEvaluated = published.filter((tick) => !orderedTicks.has(tick.id));
    const lostFromStream = notEvaluated.filter((tick) => !streamIds.has(tick.id));
    const acknowledgedWithoutOrder = notEvaluated.filter((tick) => streamIds.has(tick.id));
    const lost = notEvaluated;

    phase = "shutdown";
    for (const role of roles) await stopRole(role);
    const unexpectedExits = roles.flatMap((role) =>
      role.crashes.map((exit) => `${role.name} exited with ${exit.code ?? exit.signal} during ${exit.phase}`),
    );

    process.stdout.write(
      `${JSON.stringify({
        pollIntervalMs: POLL_INTERVAL_MS,
        faultCycles: FAULT_CYCLES,
        startupToReadyMs: startupMs,
        load: loadResults,
        faults,
        ticks: {
          stored: ticks.length,
          published: published.length,
          unpublished: ticks.length - published.length,
          evaluated: orderedTicks.size,
          inStream: streamIds.size,
          pendingInGroup: pendingEntries,
          lost: lost.length,
          lostFromStream: lostFromStream.length,
          acknowledgedWithoutOrder: acknowledgedWithoutOrder.length,
          lostExamples: lost.slice(0, 5).map((tick) => tick.id),
          drainedWithin60s: drained === true,
        },
        orders: {
          total: orders?.total ?? 0,
          distinctStrategyTick: orders?.distinct ?? 0,
          duplicates: (orders?.total ?? 0) - (orders?.distinct ?? 0),
        },
        unexpectedProcessExits: unexpectedExits,
        restartsLikeRailwayOnFailure: unexpectedExits.length,
        notes: [
          "Private PostgreSQL (initdb, fsync=off) and redis-server (RDB snapshot at SHUTDOWN) on random loopback ports; the load generator (undici, 50 connections) shares the 2 cores with the backend.",
          "Every strategy orders on every tick it evaluates, so evaluated = distinct tick ids in orders; lost = published ticks never evaluated after the drain (lostFromStream: no longer in the stream; acknowledgedWithoutOrder: in the stream, read and acknowledged, no order).",
          "Ticks whose slot fell inside the PostgreSQL outage were never stored (the poller could not write them): they are not produced, so not counted as lost.",
        ],
      })}\n`,
    );
    // A crash is a finding too (Railway would restart the role, but its work in flight is cut).
    if (
      lost.length > 0 ||
      (orders?.total ?? 0) !== (orders?.distinct ?? 0) ||
      !drained ||
      unexpectedExits.length > 0
    )
      process.exitCode = 1;
  } finally {
    for (const role of roles) {
      role.stopping = true;
      role.child.kill("SIGKILL");
    }
    redis.destroy();
    postgres.destroy();
    if (process.env.BENCH_KEEP_LOGS) console.error(`bench: backend logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The trading engine's consumer group on the stream (the only group there). */
async function engineGroupName(redis: RedisClient, stream: string): Promise<string | undefined> {
  const groups =
    (await (redis as unknown as { xinfo(...args: string[]): Promise<unknown[][]> }).xinfo(
      "GROUPS",
      stream,
    )) ?? [];
  const first = groups[0];
  if (!first) return undefined;
  const index = first.indexOf("name");
  return String(first[index + 1]);
}

/** Entries the group has not read yet (Redis 7 reports lag; older versions: compare last ids). */
async function groupLag(redis: RedisClient, stream: string, group: string): Promise<number> {
  const groups = await (redis as unknown as { xinfo(...args: string[]): Promise<unknown[][]> }).xinfo(
    "GROUPS",
    stream,
  );
  const entry = groups.find((fields) => fields[fields.indexOf("name") + 1] === group);
  if (!entry) return 0;
  const lagIndex = entry.indexOf("lag");
  if (lagIndex >= 0) return Number(entry[lagIndex + 1] ?? 0);
  const lastDelivered = String(entry[entry.indexOf("last-delivered-id") + 1]);
  const newest = await (
    redis as unknown as { xrevrange(...args: (string | number)[]): Promise<[string, string[]][]> }
  )
    .xrevrange(stream, "+", "-", "COUNT", 1)
    .catch(() => []);
  return newest.length > 0 && newest[0]?.[0] !== lastDelivered ? 1 : 0;
}

await main();
