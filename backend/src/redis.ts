import { Redis } from "ioredis";
import { describeError, type Logger } from "./log.ts";

export type { Redis };

/** Key names, all under one prefix so tests (and several stacks on one Redis) stay apart. */
export interface RedisKeys {
  ticksStream: string;
  engineGroup: string;
  heartbeat(role: string): string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    ticksStream: `${prefix}ticks`,
    engineGroup: "trading-engine",
    heartbeat: (role) => `${prefix}heartbeat:${role}`,
  };
}

/**
 * A client that reconnects forever (ioredis retryStrategy) and fails a command after a
 * couple of reconnection attempts, so a worker loop notices an outage, backs off and
 * retries instead of hanging. Connection errors are logged once per outage.
 */
export function createRedis(url: string, log: Logger, name: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    // Railway's private network is IPv6-only in older environments: resolve both families.
    family: 0,
    connectionName: `railyard-${name}`,
    maxRetriesPerRequest: 2,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  client.on("error", (error) => {
    if (down) return;
    down = true;
    log.warn("redis_connection_lost", { client: name, ...describeError(error) });
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    log.info("redis_reconnected", { client: name });
  });
  return client;
}

/** Creates the stream and the engine's consumer group if missing (BUSYGROUP means it exists). */
export async function ensureEngineGroup(redis: Redis, keys: RedisKeys): Promise<void> {
  try {
    // Start at 0, not $: ticks published before the first engine ever started are still consumed.
    await redis.xgroup("CREATE", keys.ticksStream, keys.engineGroup, "0", "MKSTREAM");
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
  }
}

export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === "end") return;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
  } catch {
    // Already disconnected: nothing to flush.
  }
  client.disconnect();
}
