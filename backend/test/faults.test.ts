import { Redis } from "ioredis";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, USER_DB_MIGRATIONS } from "../src/migrations.ts";
import {
  ADMIN_URL,
  createDatabases,
  databaseUrl,
  deleteRedisPrefix,
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

describe("faults", () => {
  let dbs: TestDatabases | undefined;
  const procs: RoleProcess[] = [];
  let redis: PrivateRedis | undefined;
  let prefix = "";
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const proc of procs.splice(0)) killIfRunning(proc);
    await redis?.kill();
    redis = undefined;
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await dbs?.drop();
    dbs = undefined;
  });

  it("Redis restarted (and emptied) under running workers: they reconnect and work resumes", async () => {
    redis = await privateRedis();
    dbs = await createDatabases();
    prefix = `${uniqueName("fault")}:`;
    await dbs.userDb.query("INSERT INTO users (email) VALUES ('trader@example.com')");
    await dbs.userDb.query(
      "INSERT INTO strategies (user_id, symbol, buy_below, sell_above, quantity) VALUES (1, 'BTC-USD', 1e9, 1, 1)",
    );
    const env = roleEnv(dbs, redis.url, prefix, { POLL_INTERVAL_MS: "100", SHUTDOWN_TIMEOUT_MS: "5000" });
    const poller = startProcess({ ...env, CONTAINER_ROLE: "data-poller" });
    const engine = startProcess({ ...env, CONTAINER_ROLE: "trading-engine" });
    procs.push(poller, engine);
    const userDb = dbs.userDb;
    const generalDb = dbs.generalDb;
    const orderCount = async () =>
      (await userDb.query("SELECT count(*)::int AS n FROM orders")).rows[0].n as number;
    await waitFor("first orders", async () => (await orderCount()) >= 3);

    await redis.kill();
    // While Redis is down the poller keeps storing ticks; they wait in the outbox.
    await waitFor("unpublished ticks piling up", async () => {
      const { rows } = await generalDb.query(
        "SELECT count(*)::int AS n FROM ticks WHERE published_at IS NULL",
      );
      return rows[0].n >= 6;
    });
    const ordersDuringOutage = await orderCount();

    await redis.start();
    await waitFor("the outbox to drain", async () => {
      const { rows } = await generalDb.query(
        "SELECT count(*)::int AS n FROM ticks WHERE published_at IS NULL",
      );
      return rows[0].n === 0;
    });
    await waitFor("orders to resume", async () => (await orderCount()) >= ordersDuringOutage + 3);
    const probe = new Redis(redis.url);
    try {
      await waitFor("heartbeats rewritten into the new Redis", async () => {
        const beats = await probe.mget(`${prefix}heartbeat:data-poller`, `${prefix}heartbeat:trading-engine`);
        return beats.every((beat) => beat !== null);
      });
    } finally {
      probe.disconnect();
    }
    const duplicates = await userDb.query(
      "SELECT tick_id FROM orders GROUP BY strategy_id, tick_id HAVING count(*) > 1",
    );
    expect(duplicates.rows).toEqual([]);
    expect(poller.logs.map((line) => line.event)).toContain("poll_step_recovered");
    expect(engine.logs.map((line) => line.event)).toContain("consume_recovered");

    const exits = await Promise.all([poller.terminate(), engine.terminate()]);
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);
  });

  it("PostgreSQL connections cut under running workers (as a restart does): work resumes", async () => {
    dbs = await createDatabases();
    prefix = `${uniqueName("fault")}:`;
    await dbs.userDb.query("INSERT INTO users (email) VALUES ('trader@example.com')");
    await dbs.userDb.query(
      "INSERT INTO strategies (user_id, symbol, buy_below, sell_above, quantity) VALUES (1, 'BTC-USD', 1e9, 1, 1)",
    );
    const env = roleEnv(dbs, SHARED_REDIS_URL, prefix, {
      POLL_INTERVAL_MS: "100",
      SHUTDOWN_TIMEOUT_MS: "5000",
    });
    const poller = startProcess({ ...env, CONTAINER_ROLE: "data-poller" });
    const engine = startProcess({ ...env, CONTAINER_ROLE: "trading-engine" });
    procs.push(poller, engine);
    const userDb = dbs.userDb;
    const generalDb = dbs.generalDb;
    const counts = async () => ({
      orders: (await userDb.query("SELECT count(*)::int AS n FROM orders")).rows[0].n as number,
      ticks: (await generalDb.query("SELECT count(*)::int AS n FROM ticks")).rows[0].n as number,
    });
    await waitFor("first orders", async () => (await counts()).orders >= 3);

    // Terminate every server connection the role processes hold (the test's own pools are spared).
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const cut = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = ANY($1::text[]) AND application_name = 'railyard-backend'`,
      [[new URL(dbs.userUrl).pathname.slice(1), new URL(dbs.generalUrl).pathname.slice(1)]],
    );
    await admin.end();
    expect(cut.rowCount).toBeGreaterThanOrEqual(2);
    const before = await counts();
    // A generous deadline: on a loaded two-core machine the roles' reconnect backoff and
    // the redelivery of the interrupted tick can take well over the default 20 s.
    await waitFor(
      "ticks and orders to keep coming",
      async () => {
        const now = await counts();
        return now.ticks >= before.ticks + 9 && now.orders >= before.orders + 3;
      },
      60_000,
    );
    const exits = await Promise.all([poller.terminate(), engine.terminate()]);
    expect(exits.map((exit) => exit.code)).toEqual([0, 0]);
  }, 120_000);

  it("a database unreachable at start-up: retries, then exits 1 naming the variable", async () => {
    dbs = await createDatabases();
    prefix = `${uniqueName("fault")}:`;
    const proc = startProcess({
      ...roleEnv(dbs, SHARED_REDIS_URL, prefix, { STARTUP_TIMEOUT_MS: "1500" }),
      USER_DATABASE_URL: "postgresql://postgres:hunter22@127.0.0.1:1/users",
      CONTAINER_ROLE: "trading-engine",
    });
    procs.push(proc);
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toMatch(
      /trading-engine cannot start: USER_DATABASE_URL: unreachable after 2 s and [2-9] attempts \(ECONNREFUSED\)/,
    );
    expect(proc.logs.filter((line) => line.event === "dependency_unavailable").length).toBeGreaterThanOrEqual(
      2,
    );
    expect(proc.stdout() + proc.stderr()).not.toContain("hunter22");
    expect(proc.stderr()).not.toMatch(/\n\s+at /);
  });

  it("Redis unreachable at start-up: exits 1 naming REDIS_URL", async () => {
    dbs = await createDatabases();
    prefix = `${uniqueName("fault")}:`;
    const proc = startProcess({
      ...roleEnv(dbs, "redis://default:hunter22@127.0.0.1:1", prefix, { STARTUP_TIMEOUT_MS: "1000" }),
      CONTAINER_ROLE: "data-poller",
    });
    procs.push(proc);
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toMatch(/data-poller cannot start: REDIS_URL: unreachable after 1 s/);
    expect(proc.stdout() + proc.stderr()).not.toContain("hunter22");
  });

  it("a database that appears during the start-up window is waited for", async () => {
    dbs = await createDatabases();
    prefix = `${uniqueName("fault")}:`;
    const lateName = uniqueName("railyard_late");
    const proc = startProcess({
      ...roleEnv(dbs, SHARED_REDIS_URL, prefix, { STARTUP_TIMEOUT_MS: "20000" }),
      USER_DATABASE_URL: databaseUrl(lateName),
      CONTAINER_ROLE: "trading-engine",
    });
    procs.push(proc);
    const unavailable = await proc.waitForEvent("dependency_unavailable");
    expect(unavailable).toMatchObject({
      variable: "USER_DATABASE_URL",
      reason: "database does not exist (3D000)",
    });

    // Prepare it under another name, then rename: it appears already migrated, in one step.
    const preparing = `${lateName}_prep`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    cleanups.push(async () => {
      const dropper = new pg.Client({ connectionString: ADMIN_URL });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${lateName} WITH (FORCE)`);
      await dropper.query(`DROP DATABASE IF EXISTS ${preparing} WITH (FORCE)`);
      await dropper.end();
    });
    await admin.query(`CREATE DATABASE ${preparing}`);
    const late = new pg.Pool({ connectionString: databaseUrl(preparing), max: 1 });
    await migrate(late, USER_DB_MIGRATIONS);
    await late.end();
    await admin.query(`ALTER DATABASE ${preparing} RENAME TO ${lateName}`);
    await admin.end();

    await proc.waitForEvent("ready");
    expect((await proc.terminate()).code).toBe(0);
  });

  it("an unmigrated database stops start-up with a clear message", async () => {
    dbs = await createDatabases({ migrate: false });
    prefix = `${uniqueName("fault")}:`;
    const proc = startProcess({ ...roleEnv(dbs, SHARED_REDIS_URL, prefix), CONTAINER_ROLE: "api" });
    procs.push(proc);
    expect(await proc.exited).toBe(1);
    expect(proc.stderr()).toMatch(
      /api cannot start: (USER|GENERAL)_DATABASE_URL: database is missing migrations/,
    );
    expect(proc.stderr()).toContain('run "node dist/migrate.js" first');
  });

  it("SIGTERM while still waiting for a dependency exits 0", async () => {
    dbs = await createDatabases();
    prefix = `${uniqueName("fault")}:`;
    const proc = startProcess({
      ...roleEnv(dbs, SHARED_REDIS_URL, prefix, { STARTUP_TIMEOUT_MS: "60000" }),
      GENERAL_DATABASE_URL: "postgresql://postgres@127.0.0.1:1/general",
      CONTAINER_ROLE: "data-poller",
    });
    procs.push(proc);
    await proc.waitForEvent("dependency_unavailable");
    expect((await proc.terminate()).code).toBe(0);
    expect(proc.logs.map((line) => line.event)).toContain("stopped_during_startup");
  });
});
