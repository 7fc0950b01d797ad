import { hostname } from "node:os";
import type { TradingEngineConfig } from "../config.ts";
import { rotateCredentials } from "../credentials.ts";
import { inTransaction, type Pool } from "../db.ts";
import { closeDependencies, openDependencies } from "../dependencies.ts";
import { sleep } from "../errors.ts";
import { startHeartbeat } from "../heartbeat.ts";
import { describeError, type Logger } from "../log.ts";
import {
  closeRedis,
  createRedis,
  ensureEngineGroup,
  type Redis,
  type RedisKeys,
  redisKeys,
} from "../redis.ts";
import { decide } from "../strategy.ts";
import type { RunningRole } from "./role.ts";

const READ_COUNT = 50;
const READ_BLOCK_MS = 1_000;

export interface Tick {
  id: string;
  symbol: string;
  sequence: number;
  price: number;
  observedAt: string;
}

export interface TickOutcome {
  ordersRecorded: number;
  /** Strategies that had already seen this tick or a newer one (a redelivery or a late tick). */
  strategiesSkipped: number;
}

type StreamEntry = [id: string, fields: string[] | null];

export function parseTick(fields: readonly string[]): Tick | undefined {
  const map = new Map<string, string>();
  for (let index = 0; index + 1 < fields.length; index += 2) {
    map.set(fields[index] as string, fields[index + 1] as string);
  }
  const id = map.get("id");
  const symbol = map.get("symbol");
  const sequence = Number(map.get("sequence"));
  const price = Number(map.get("price"));
  const observedAt = map.get("observedAt");
  if (!id || !symbol || !observedAt || !Number.isSafeInteger(sequence) || !(price > 0)) return undefined;
  return { id, symbol, sequence, price, observedAt };
}

/**
 * Evaluates every enabled strategy on the tick's symbol in one transaction. Two guards
 * make a redelivered tick harmless: a strategy ignores ticks not newer than the last one
 * it evaluated, and the orders table allows one order per (strategy, tick), so even a
 * strategy whose state moved on cannot order twice for the same tick.
 */
export async function processTick(pool: Pool, tick: Tick, log: Logger): Promise<TickOutcome> {
  return inTransaction(pool, async (client) => {
    const outcome: TickOutcome = { ordersRecorded: 0, strategiesSkipped: 0 };
    const { rows } = await client.query<{
      id: number;
      user_id: number;
      buy_below: number;
      sell_above: number;
      quantity: number;
      position: "flat" | "long";
      last_sequence: number;
    }>(
      `SELECT id, user_id, buy_below, sell_above, quantity, position, last_sequence
         FROM strategies WHERE symbol = $1 AND enabled ORDER BY id FOR UPDATE`,
      [tick.symbol],
    );
    for (const strategy of rows) {
      if (tick.sequence <= strategy.last_sequence) {
        outcome.strategiesSkipped += 1;
        continue;
      }
      let position = strategy.position;
      const side = decide(
        { buyBelow: strategy.buy_below, sellAbove: strategy.sell_above, position: strategy.position },
        tick.price,
      );
      if (side !== undefined) {
        const inserted = await client.query<{ id: number }>(
          `INSERT INTO orders (strategy_id, user_id, tick_id, symbol, side, quantity, price)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT ON CONSTRAINT orders_one_per_strategy_tick DO NOTHING
           RETURNING id`,
          [strategy.id, strategy.user_id, tick.id, tick.symbol, side, strategy.quantity, tick.price],
        );
        const order = inserted.rows[0];
        if (order !== undefined) {
          position = side === "buy" ? "long" : "flat";
          outcome.ordersRecorded += 1;
          log.info("order_recorded", {
            orderId: order.id,
            strategyId: strategy.id,
            userId: strategy.user_id,
            tickId: tick.id,
            side,
            price: tick.price,
          });
        }
      }
      await client.query("UPDATE strategies SET last_sequence = $2, position = $3 WHERE id = $1", [
        strategy.id,
        tick.sequence,
        position,
      ]);
    }
    return outcome;
  });
}

/**
 * Consumes the tick stream in the engine's consumer group: first this consumer's own
 * pending entries, then new ones; entries idle too long under another consumer (one
 * that died) are claimed. An entry is acknowledged only after its outcome is committed.
 */
export async function start(
  config: TradingEngineConfig,
  log: Logger,
  signal: AbortSignal,
): Promise<RunningRole> {
  const deps = await openDependencies(config, { userDb: true, generalDb: false }, log, signal);
  const userDb = deps.userDb as Pool;
  const keys = redisKeys(config.redisKeyPrefix);
  // Blocking reads get their own connection so heartbeats and acks never queue behind them.
  const reader = createRedis(config.redisUrl, log, "trading-engine-reader");
  const consumer = `${hostname()}-${process.pid}`;
  const stats = { ticksProcessed: 0, ordersRecorded: 0, lastTickId: null as string | null };

  try {
    const rotated = await rotateCredentials(userDb, config.encryption);
    if (rotated > 0)
      log.info("credentials_rotated", { rows: rotated, keyId: config.encryption.currentKeyId });
  } catch (error) {
    log.error("credentials_rotation_failed", describeError(error));
  }

  const heartbeat = startHeartbeat({
    redis: deps.redis,
    key: keys.heartbeat("trading-engine"),
    intervalMs: config.heartbeatIntervalMs,
    commit: config.commit,
    log,
    details: () => ({ ...stats, consumer }),
  });
  await heartbeat.beat();

  const stopping = new AbortController();
  const handle = async (entries: readonly StreamEntry[]): Promise<void> => {
    for (const [entryId, fields] of entries) {
      if (fields === null) continue; // trimmed away while pending
      const tick = parseTick(fields);
      if (tick === undefined) {
        log.warn("tick_malformed", { entryId });
      } else {
        const outcome = await processTick(userDb, tick, log);
        stats.ticksProcessed += 1;
        stats.ordersRecorded += outcome.ordersRecorded;
        stats.lastTickId = tick.id;
        if (outcome.strategiesSkipped > 0) {
          log.info("tick_already_evaluated", {
            tickId: tick.id,
            entryId,
            strategies: outcome.strategiesSkipped,
          });
        }
      }
      await deps.redis.xack(keys.ticksStream, keys.engineGroup, entryId);
    }
  };

  const loop = consume({
    reader,
    redis: deps.redis,
    keys,
    consumer,
    claimIdleMs: config.claimIdleMs,
    log,
    handle,
    stopSignal: stopping.signal,
  });
  log.info("trading_engine_started", { consumer, stream: keys.ticksStream, group: keys.engineGroup });

  return {
    async stop() {
      stopping.abort();
      heartbeat.stop();
      // Ends the blocking read at once; a batch being recorded finishes first.
      reader.disconnect();
      await loop;
      await closeRedis(reader);
      await closeDependencies(deps);
      log.info("trading_engine_stopped", stats);
    },
  };
}

async function consume(options: {
  reader: Redis;
  redis: Redis;
  keys: RedisKeys;
  consumer: string;
  claimIdleMs: number;
  log: Logger;
  handle: (entries: readonly StreamEntry[]) => Promise<void>;
  stopSignal: AbortSignal;
}): Promise<void> {
  const { reader, redis, keys, consumer, log } = options;
  let readPending = true;
  let nextClaimAt = 0;
  let backoffMs = 0;
  let groupReady = false;
  let failingSince: number | undefined;
  const stopSignal = options.stopSignal;
  while (!stopSignal.aborted) {
    try {
      if (!groupReady) {
        await ensureEngineGroup(redis, keys);
        groupReady = true;
      }
      if (Date.now() >= nextClaimAt) {
        nextClaimAt = Date.now() + Math.max(1_000, options.claimIdleMs / 2);
        let cursor = "0-0";
        do {
          const [next, claimed] = (await redis.xautoclaim(
            keys.ticksStream,
            keys.engineGroup,
            consumer,
            options.claimIdleMs,
            cursor,
            "COUNT",
            100,
          )) as [string, StreamEntry[]];
          if (claimed.length > 0) log.info("ticks_claimed", { count: claimed.length });
          await options.handle(claimed);
          cursor = next;
        } while (cursor !== "0-0" && !stopSignal.aborted);
      }
      const reply = (await reader.xreadgroup(
        "GROUP",
        keys.engineGroup,
        consumer,
        "COUNT",
        READ_COUNT,
        "BLOCK",
        READ_BLOCK_MS,
        "STREAMS",
        keys.ticksStream,
        readPending ? "0" : ">",
      )) as [stream: string, entries: StreamEntry[]][] | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (readPending && entries.length === 0) readPending = false;
      await options.handle(entries);
      if (failingSince !== undefined) {
        log.info("consume_recovered", { downForMs: Date.now() - failingSince });
        failingSince = undefined;
      }
      backoffMs = 0;
    } catch (error) {
      if (stopSignal.aborted) break;
      // After any failure re-read our own pending entries: some may be unacknowledged.
      readPending = true;
      if (failingSince === undefined) {
        failingSince = Date.now();
        log.warn("consume_failed", describeError(error));
      }
      // NOGROUP: Redis lost the stream (restarted without persistence); recreate the group and go on.
      groupReady = false;
      backoffMs = Math.min(Math.max(backoffMs * 2, 250), 5_000);
      await sleep(backoffMs, stopSignal);
    }
  }
}
