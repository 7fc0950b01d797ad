import type { DataPollerConfig } from "../config.ts";
import { inTransaction, type Pool } from "../db.ts";
import { closeDependencies, openDependencies } from "../dependencies.ts";
import { startHeartbeat } from "../heartbeat.ts";
import { describeError, type Logger } from "../log.ts";
import { createSimulatedFeed, type MarketQuote, type MarketSource, tickId } from "../market.ts";
import { type Redis, type RedisKeys, redisKeys } from "../redis.ts";
import type { RunningRole } from "./role.ts";

/** Stream length cap (approximate trim): hours of ticks, bounded memory. */
const STREAM_MAX_LENGTH = 100_000;
const PUBLISH_BATCH = 500;
const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_BATCH = 10_000;

export function marketSourceFor(config: DataPollerConfig): MarketSource {
  switch (config.marketSource) {
    case "simulated":
      return createSimulatedFeed({ seed: config.marketFeedSeed, intervalMs: config.pollIntervalMs });
  }
}

/**
 * Each interval: read the market source, store the quotes as ticks (ON CONFLICT DO
 * NOTHING: tick ids are deterministic), then publish every not-yet-published tick to
 * the Redis stream and mark it published. The ticks table is the outbox, so ticks
 * stored while Redis is down are published once it is back.
 */
export async function start(
  config: DataPollerConfig,
  log: Logger,
  signal: AbortSignal,
  source: MarketSource = marketSourceFor(config),
): Promise<RunningRole> {
  const deps = await openDependencies(config, { userDb: false, generalDb: true }, log, signal);
  const generalDb = deps.generalDb as Pool;
  const keys = redisKeys(config.redisKeyPrefix);
  const stats = { lastSequence: null as number | null, ticksStored: 0, ticksPublished: 0 };
  const failing = new Set<string>();
  let nextPruneAt = 0;

  const heartbeat = startHeartbeat({
    redis: deps.redis,
    key: keys.heartbeat("data-poller"),
    intervalMs: config.heartbeatIntervalMs,
    commit: config.commit,
    log,
    details: () => ({ ...stats, source: source.name }),
  });
  await heartbeat.beat();

  /** Logs a failing step once, and its recovery once, instead of once per poll. */
  function outcome(step: string, error?: unknown): void {
    if (error === undefined) {
      if (failing.delete(step)) log.info("poll_step_recovered", { step });
    } else if (!failing.has(step)) {
      failing.add(step);
      log.warn("poll_step_failed", { step, ...describeError(error) });
    }
  }

  async function pollOnce(): Promise<void> {
    try {
      const quotes = await source.read(new Date());
      const stored = await storeTicks(generalDb, source.name, quotes);
      stats.ticksStored += stored;
      if (quotes[0] !== undefined) stats.lastSequence = quotes[0].sequence;
      outcome("store");
    } catch (error) {
      outcome("store", error);
    }
    try {
      for (;;) {
        const published = await publishPending(generalDb, deps.redis, keys);
        stats.ticksPublished += published;
        if (published < PUBLISH_BATCH) break;
      }
      outcome("publish");
    } catch (error) {
      outcome("publish", error);
    }
    if (config.tickRetentionHours > 0 && Date.now() >= nextPruneAt) {
      nextPruneAt = Date.now() + PRUNE_EVERY_MS;
      try {
        const pruned = await pruneTicks(generalDb, config.tickRetentionHours);
        if (pruned > 0)
          log.info("ticks_pruned", { count: pruned, retentionHours: config.tickRetentionHours });
        outcome("prune");
      } catch (error) {
        outcome("prune", error);
      }
    }
    log.debug("poll_done", stats);
  }

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const schedule = (): void => {
    if (stopping) return;
    // Wake at the next interval boundary: one poll per slot, whatever the poll took.
    const wait = config.pollIntervalMs - (Date.now() % config.pollIntervalMs);
    timer = setTimeout(() => {
      inFlight = pollOnce().finally(schedule);
    }, wait);
  };
  inFlight = pollOnce().finally(schedule);
  log.info("data_poller_started", {
    source: source.name,
    symbols: source.symbols,
    pollIntervalMs: config.pollIntervalMs,
    stream: keys.ticksStream,
  });

  return {
    async stop() {
      stopping = true;
      clearTimeout(timer);
      heartbeat.stop();
      await inFlight;
      await closeDependencies(deps);
      log.info("data_poller_stopped", stats);
    },
  };
}

/** Stores quotes as ticks; returns how many were new. */
export async function storeTicks(
  pool: Pool,
  source: string,
  quotes: readonly MarketQuote[],
): Promise<number> {
  if (quotes.length === 0) return 0;
  const result = await pool.query(
    `INSERT INTO ticks (id, source, symbol, sequence, price, observed_at)
     SELECT id, $2, symbol, sequence, price, observed_at
       FROM unnest($1::text[], $3::text[], $4::bigint[], $5::numeric[], $6::timestamptz[])
            AS q(id, symbol, sequence, price, observed_at)
     ON CONFLICT (id) DO NOTHING`,
    [
      quotes.map((quote) => tickId(source, quote)),
      source,
      quotes.map((quote) => quote.symbol),
      quotes.map((quote) => quote.sequence),
      quotes.map((quote) => quote.price),
      quotes.map((quote) => quote.observedAt.toISOString()),
    ],
  );
  return result.rowCount ?? 0;
}

/**
 * Publishes up to PUBLISH_BATCH unpublished ticks, oldest first, and marks them. The
 * rows stay locked (SKIP LOCKED for a second poller) until Redis has accepted them;
 * if Redis fails the transaction rolls back and they are tried again next poll.
 */
export async function publishPending(pool: Pool, redis: Redis, keys: RedisKeys): Promise<number> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<{
      id: string;
      source: string;
      symbol: string;
      sequence: number;
      price: number;
      observed_at: Date;
    }>(
      `SELECT id, source, symbol, sequence, price, observed_at FROM ticks
        WHERE published_at IS NULL ORDER BY sequence, id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [PUBLISH_BATCH],
    );
    if (rows.length === 0) return 0;
    const pipeline = redis.pipeline();
    for (const row of rows) {
      pipeline.xadd(
        keys.ticksStream,
        "MAXLEN",
        "~",
        STREAM_MAX_LENGTH,
        "*",
        "id",
        row.id,
        "source",
        row.source,
        "symbol",
        row.symbol,
        "sequence",
        String(row.sequence),
        "price",
        String(row.price),
        "observedAt",
        row.observed_at.toISOString(),
      );
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error !== null);
    if (failed !== undefined || results.length !== rows.length)
      throw failed?.[0] ?? new Error("pipeline incomplete");
    await client.query("UPDATE ticks SET published_at = now() WHERE id = ANY($1::text[])", [
      rows.map((r) => r.id),
    ]);
    return rows.length;
  });
}

/** Deletes published ticks older than the retention, in batches; returns how many went. */
export async function pruneTicks(pool: Pool, retentionHours: number): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await pool.query(
      `DELETE FROM ticks WHERE id IN (
         SELECT id FROM ticks
          WHERE observed_at < now() - make_interval(hours => $1) AND published_at IS NOT NULL
          LIMIT $2)`,
      [retentionHours, PRUNE_BATCH],
    );
    total += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < PRUNE_BATCH) return total;
  }
}
