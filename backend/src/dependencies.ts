import type { CommonConfig } from "./config.ts";
import { createPool, type Pool, retryUntilReady } from "./db.ts";
import { withTimeout } from "./errors.ts";
import type { Logger } from "./log.ts";
import { assertMigrated, GENERAL_DB_MIGRATIONS, USER_DB_MIGRATIONS } from "./migrations.ts";
import { closeRedis, createRedis, type Redis } from "./redis.ts";

export interface Dependencies {
  userDb?: Pool;
  generalDb?: Pool;
  redis: Redis;
}

/**
 * Opens what a role needs and waits, with backoff up to STARTUP_TIMEOUT_MS, until each
 * answers and each database carries the migrations this code needs. A dependency that
 * never answers becomes a StartupError naming its variable.
 */
export async function openDependencies(
  config: CommonConfig,
  needs: { userDb: boolean; generalDb: boolean },
  log: Logger,
  signal: AbortSignal,
): Promise<Dependencies> {
  const deps: Dependencies = { redis: createRedis(config.redisUrl, log, config.role) };
  if (needs.userDb) deps.userDb = createPool(config.userDatabaseUrl, "USER_DATABASE_URL", log);
  if (needs.generalDb) deps.generalDb = createPool(config.generalDatabaseUrl, "GENERAL_DATABASE_URL", log);
  const retry = { timeoutMs: config.startupTimeoutMs, log, signal };
  const waits: Promise<void>[] = [
    retryUntilReady(
      "REDIS_URL",
      async () => {
        if (deps.redis.status === "wait") await deps.redis.connect();
        await withTimeout(deps.redis.ping(), 2_000, "redis ping");
      },
      retry,
    ),
  ];
  const { userDb, generalDb } = deps;
  if (userDb !== undefined) {
    waits.push(
      retryUntilReady(
        "USER_DATABASE_URL",
        () => assertMigrated(userDb, USER_DB_MIGRATIONS, "USER_DATABASE_URL"),
        retry,
      ),
    );
  }
  if (generalDb !== undefined) {
    waits.push(
      retryUntilReady(
        "GENERAL_DATABASE_URL",
        () => assertMigrated(generalDb, GENERAL_DB_MIGRATIONS, "GENERAL_DATABASE_URL"),
        retry,
      ),
    );
  }
  const results = await Promise.allSettled(waits);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
  if (failure !== undefined) {
    await closeDependencies(deps);
    throw failure.reason;
  }
  return deps;
}

export async function closeDependencies(deps: Dependencies): Promise<void> {
  await Promise.allSettled([closeRedis(deps.redis), deps.userDb?.end(), deps.generalDb?.end()]);
}
