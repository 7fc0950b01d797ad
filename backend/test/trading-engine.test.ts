import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/log.ts";
import { processTick, type Tick } from "../src/roles/trading-engine.ts";
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

function tick(sequence: number, price: number): Tick {
  return {
    id: `test:BTC-USD:${sequence}`,
    symbol: "BTC-USD",
    sequence,
    price,
    observedAt: new Date(sequence).toISOString(),
  };
}

function fields(t: Tick): string[] {
  return [
    "id",
    t.id,
    "source",
    "test",
    "symbol",
    t.symbol,
    "sequence",
    String(t.sequence),
    "price",
    String(t.price),
    "observedAt",
    t.observedAt,
  ];
}

// Buys below 100, sells above 200.
const BUY_T1 = tick(1_000, 50);
const SELL_T2 = tick(2_000, 250);
const BUY_T3 = tick(3_000, 40);
const SELL_T4 = tick(4_000, 300);

describe("trading-engine role (node dist/main.js, CONTAINER_ROLE=trading-engine)", () => {
  let dbs: TestDatabases | undefined;
  const procs: RoleProcess[] = [];
  let prefix = "";
  let redis: Redis | undefined;
  afterEach(async () => {
    for (const proc of procs.splice(0)) killIfRunning(proc);
    redis?.disconnect();
    await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
    await dbs?.drop();
  });

  async function setup(): Promise<{
    env: Record<string, string>;
    stream: string;
    orders: () => Promise<string[]>;
  }> {
    dbs = await createDatabases();
    prefix = `${uniqueName("engine")}:`;
    redis = new Redis(SHARED_REDIS_URL);
    await dbs.userDb.query("INSERT INTO users (email) VALUES ('trader@example.com')");
    await dbs.userDb.query(
      "INSERT INTO strategies (user_id, symbol, buy_below, sell_above, quantity) VALUES (1, 'BTC-USD', 100, 200, 1)",
    );
    const userDb = dbs.userDb;
    return {
      env: {
        ...roleEnv(dbs, SHARED_REDIS_URL, prefix, { ENGINE_CLAIM_IDLE_MS: "300" }),
        CONTAINER_ROLE: "trading-engine",
      },
      stream: `${prefix}ticks`,
      orders: async () =>
        (
          await userDb.query<{ o: string }>("SELECT side || '@' || tick_id AS o FROM orders ORDER BY id")
        ).rows.map((row) => row.o),
    };
  }

  it("a redelivered tick never makes a second order, even after the strategy has moved on", async () => {
    const { env, stream, orders } = await setup();
    const engine = startProcess(env);
    procs.push(engine);
    await engine.waitForEvent("ready");
    const r = redis as Redis;

    await r.xadd(stream, "*", ...fields(BUY_T1));
    await r.xadd(stream, "*", ...fields(SELL_T2));
    await waitFor("two orders", async () => (await orders()).length === 2);

    // The strategy is flat again, so re-evaluating T1 would buy: the redelivery must be ignored.
    await r.xadd(stream, "*", ...fields(BUY_T1));
    const skipped = await engine.waitForEvent("tick_already_evaluated");
    expect(skipped.tickId).toBe(BUY_T1.id);
    await waitFor(
      "the stream to be acknowledged",
      async () => (await r.xpending(stream, "trading-engine"))[0] === 0,
    );
    expect(await orders()).toEqual([`buy@${BUY_T1.id}`, `sell@${SELL_T2.id}`]);
    expect((await engine.terminate()).code).toBe(0);
  });

  it("claims a tick left pending by a dead consumer and consumes ticks published while it was stopped", async () => {
    const { env, stream, orders } = await setup();
    const r = redis as Redis;
    await r.xgroup("CREATE", stream, "trading-engine", "0", "MKSTREAM");
    await r.xadd(stream, "*", ...fields(BUY_T3));
    // A consumer that read T3 and died before acknowledging it.
    const read = await r.xreadgroup(
      "GROUP",
      "trading-engine",
      "dead-worker",
      "COUNT",
      1,
      "STREAMS",
      stream,
      ">",
    );
    expect(read).not.toBeNull();

    const engine = startProcess(env);
    procs.push(engine);
    await engine.waitForEvent("ticks_claimed");
    // Published after the claim: a tick older than one already evaluated would be skipped.
    await r.xadd(stream, "*", ...fields(SELL_T4));
    await waitFor("both orders", async () => (await orders()).length === 2);
    expect(await orders()).toEqual([`buy@${BUY_T3.id}`, `sell@${SELL_T4.id}`]);
    await waitFor("nothing pending", async () => (await r.xpending(stream, "trading-engine"))[0] === 0);
    expect((await engine.terminate()).code).toBe(0);

    // A tick published while no engine runs waits in the group for the next one.
    const next = tick(5_000, 20);
    await r.xadd(stream, "*", ...fields(next));
    const restarted = startProcess(env);
    procs.push(restarted);
    await waitFor("the order from the restarted engine", async () => (await orders()).length === 3);
    expect((await orders())[2]).toBe(`buy@${next.id}`);
    expect((await restarted.terminate()).code).toBe(0);
  });

  it("the (strategy, tick) unique constraint holds when the strategy's own guard is bypassed", async () => {
    const { orders } = await setup();
    const userDb = (dbs as TestDatabases).userDb;
    const log = createLogger({ service: "test", level: "error", write: () => undefined });
    expect(await processTick(userDb, BUY_T1, log)).toEqual({ ordersRecorded: 1, strategiesSkipped: 0 });
    expect(await processTick(userDb, BUY_T1, log)).toEqual({ ordersRecorded: 0, strategiesSkipped: 1 });
    // Rewind the strategy as if its state had been lost: T1 would buy again, but may not.
    await userDb.query("UPDATE strategies SET last_sequence = -1, position = 'flat'");
    expect(await processTick(userDb, BUY_T1, log)).toEqual({ ordersRecorded: 0, strategiesSkipped: 0 });
    expect(await orders()).toEqual([`buy@${BUY_T1.id}`]);
    const { rows } = await userDb.query("SELECT position, last_sequence FROM strategies");
    expect(rows[0]).toEqual({ position: "flat", last_sequence: BUY_T1.sequence });
  });
});
