import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  createDatabases,
  deleteRedisPrefix,
  getJson,
  killIfRunning,
  type RoleProcess,
  roleEnv,
  SHARED_REDIS_URL,
  startProcess,
  type TestDatabases,
  uniqueName,
  waitFor,
} from "./helpers.ts";

// The story of one stack: the poller stores and publishes ticks, the engine turns them
// into orders, and the api shows both workers, the latest prices and the order count.

describe("all three roles against one PostgreSQL pair and Redis", () => {
  let dbs: TestDatabases | undefined;
  const procs: RoleProcess[] = [];
  let prefix = "";
  afterEach(async () => {
    for (const proc of procs.splice(0)) killIfRunning(proc);
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
    await dbs?.drop();
  });

  it("stores and publishes ticks, records each order exactly once, shows it all in /api/status", async () => {
    dbs = await createDatabases();
    prefix = `${uniqueName("stack")}:`;
    // A strategy that trades on every tick (buy while flat, sell while long): one order per BTC tick.
    await dbs.userDb.query("INSERT INTO users (email) VALUES ('trader@example.com')");
    await dbs.userDb.query(
      "INSERT INTO strategies (user_id, symbol, buy_below, sell_above, quantity) VALUES (1, 'BTC-USD', 1e9, 1, 0.5)",
    );
    const env = roleEnv(dbs, SHARED_REDIS_URL, prefix, {
      POLL_INTERVAL_MS: "100",
      SHUTDOWN_TIMEOUT_MS: "5000",
    });
    const poller = startProcess({ ...env, CONTAINER_ROLE: "data-poller" });
    const engine = startProcess({ ...env, CONTAINER_ROLE: "trading-engine" });
    const api = startProcess({ ...env, CONTAINER_ROLE: "api" });
    procs.push(poller, engine, api);
    const port = (await api.waitForEvent("api_listening")).port as number;
    await Promise.all([poller.waitForEvent("ready"), engine.waitForEvent("ready")]);

    const generalDb = dbs.generalDb;
    await waitFor("ten BTC ticks", async () => {
      const { rows } = await generalDb.query("SELECT count(*)::int AS n FROM ticks WHERE symbol = 'BTC-USD'");
      return rows[0].n >= 10;
    });

    const status = await waitFor("both workers ok in /api/status", async () => {
      const { body } = await getJson(`http://127.0.0.1:${port}`, "/api/status");
      const workers = (body as { workers: Record<string, { status: string }> }).workers;
      return workers["data-poller"]?.status === "ok" && workers["trading-engine"]?.status === "ok"
        ? (body as { prices: { symbol: string; price: number; at: string }[]; orders: { total: number } })
        : undefined;
    });
    expect(status.prices.map((p) => p.symbol)).toEqual(["BTC-USD", "ETH-USD", "SOL-USD"]);
    for (const price of status.prices) {
      expect(price.price).toBeGreaterThan(0);
      expect(Number.isNaN(Date.parse(price.at))).toBe(false);
    }
    expect(status.orders.total).toBeGreaterThan(0);

    // Stop the poller, let the engine drain the stream, then count.
    expect((await poller.terminate()).code).toBe(0);
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const ticks = await generalDb.query<{ id: string; published_at: Date | null }>(
        "SELECT id, published_at FROM ticks ORDER BY sequence, id",
      );
      expect(ticks.rows.every((tick) => tick.published_at !== null)).toBe(true);
      const stream = (await redis.xrange(`${prefix}ticks`, "-", "+")) as [string, string[]][];
      const published = stream.map(([, fields]) => fields[fields.indexOf("id") + 1]);
      expect(published).toEqual(ticks.rows.map((tick) => tick.id));
      const btcTicks = ticks.rows.filter((tick) => tick.id.includes(":BTC-USD:")).map((tick) => tick.id);

      const userDb = (dbs as TestDatabases).userDb;
      await waitFor("the engine to order on every BTC tick", async () => {
        const { rows } = await userDb.query("SELECT count(*)::int AS n FROM orders");
        return rows[0].n === btcTicks.length;
      });
      const orders = await userDb.query<{ tick_id: string; side: string }>(
        "SELECT tick_id, side FROM orders ORDER BY id",
      );
      expect(orders.rows.map((order) => order.tick_id)).toEqual(btcTicks);
      expect(orders.rows.map((order) => order.side)).toEqual(
        btcTicks.map((_, i) => (i % 2 === 0 ? "buy" : "sell")),
      );
      expect(await redis.xpending(`${prefix}ticks`, "trading-engine")).toEqual([0, null, null, null]);
    } finally {
      redis.disconnect();
    }

    const [engineExit, apiExit] = await Promise.all([engine.terminate(), api.terminate()]);
    expect(engineExit.code).toBe(0);
    expect(apiExit.code).toBe(0);
    for (const proc of [poller, engine, api]) {
      expect(proc.logs.every((line) => typeof line.time === "string" && typeof line.event === "string")).toBe(
        true,
      );
      expect(proc.stdout()).not.toContain("00112233445566778899aabbccddeeff");
    }
  });
});
