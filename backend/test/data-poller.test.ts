import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { simulatedPrice } from "../src/market.ts";
import {
  createDatabases,
  deleteRedisPrefix,
  killIfRunning,
  type RoleProcess,
  roleEnv,
  SHARED_REDIS_URL,
  startProcess,
  type TestDatabases,
  uniqueName,
  waitFor,
} from "./helpers.ts";

describe("data-poller role (node dist/main.js, CONTAINER_ROLE=data-poller)", () => {
  let dbs: TestDatabases | undefined;
  let poller: RoleProcess | undefined;
  let prefix = "";
  afterEach(async () => {
    killIfRunning(poller);
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
    await dbs?.drop();
  });

  it("writes the seeded feed's ticks once per slot, publishes them, and prunes old published ticks", async () => {
    dbs = await createDatabases();
    prefix = `${uniqueName("poller")}:`;
    const insertOld = `INSERT INTO ticks (id, source, symbol, sequence, price, observed_at, published_at)
      VALUES ($1, 'old', 'BTC-USD', 1, 1, now() - interval '30 hours', $2)`;
    await dbs.generalDb.query(insertOld, ["old:published", new Date()]);
    await dbs.generalDb.query(insertOld.replace("1, 1,", "2, 1,"), ["old:unpublished", null]);

    poller = startProcess({
      ...roleEnv(dbs, SHARED_REDIS_URL, prefix, {
        POLL_INTERVAL_MS: "200",
        MARKET_FEED_SEED: "test-seed",
        TICK_RETENTION_HOURS: "24",
      }),
      CONTAINER_ROLE: "data-poller",
    });
    // The first poll publishes the old unpublished tick, then prunes both old ones.
    const pruned = await poller.waitForEvent("ticks_pruned");
    expect(pruned.count).toBe(2);

    const generalDb = dbs.generalDb;
    const { rows } = await waitFor("six simulated ticks", async () => {
      const result = await generalDb.query<{ id: string; symbol: string; sequence: number; price: number }>(
        "SELECT id, symbol, sequence::float8 AS sequence, price::float8 AS price FROM ticks WHERE source = 'simulated' AND published_at IS NOT NULL ORDER BY sequence, symbol",
      );
      return result.rows.length >= 6 ? result : undefined;
    });
    for (const tick of rows) {
      expect(tick.id).toBe(`simulated:${tick.symbol}:${tick.sequence}`);
      expect(tick.sequence % 200).toBe(0);
      expect(tick.price).toBe(simulatedPrice("test-seed", tick.symbol, tick.sequence));
    }
    const sequences = [...new Set(rows.map((tick) => tick.sequence))];
    for (const sequence of sequences) {
      expect(rows.filter((tick) => tick.sequence === sequence).map((tick) => tick.symbol)).toEqual([
        "BTC-USD",
        "ETH-USD",
        "SOL-USD",
      ]);
    }
    expect((await generalDb.query("SELECT id FROM ticks WHERE source = 'old'")).rows).toEqual([]);

    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const entries = (await redis.xrange(`${prefix}ticks`, "-", "+")) as [string, string[]][];
      // Only published ticks are pruned: the old unpublished one went out on the stream first.
      const first = entries[0]?.[1] ?? [];
      expect(first.slice(0, 4)).toEqual(["id", "old:unpublished", "source", "old"]);
      const ids = entries.map(([, fields]) => fields[1]);
      for (const tick of rows) expect(ids).toContain(tick.id);
    } finally {
      redis.disconnect();
    }
    expect((await poller.terminate()).code).toBe(0);
  });
});
