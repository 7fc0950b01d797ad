import pg from "pg";
import { connectionReason, ShutdownRequested, StartupError, sleep } from "./errors.ts";
import { describeError, type Logger } from "./log.ts";

export type Pool = pg.Pool;

// node-postgres returns NUMERIC and BIGINT as strings; prices and sequences fit a double.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (value) => Number(value));
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * A small pool whose idle-client errors (a restarted PostgreSQL) are logged instead of
 * crashing the process; the pool replaces broken clients on the next query.
 */
export function createPool(url: string, variable: string, log: Logger, max = 5): Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    query_timeout: 15_000,
    application_name: "railyard-backend",
  });
  pool.on("error", (error) =>
    log.warn("postgres_idle_client_error", { database: variable, ...describeError(error) }),
  );
  // A client checked out with pool.connect() has no error listener of the pool's: a restart
  // that drops its connection then emits an unhandled 'error' and kills the process. The
  // query in flight rejects anyway, so the transaction rolls back and is retried.
  pool.on("connect", (client) =>
    client.on("error", (error) =>
      log.warn("postgres_client_error", { database: variable, ...describeError(error) }),
    ),
  );
  return pool;
}

/**
 * Runs `work` in one transaction on a client of its own: COMMIT when it resolves, ROLLBACK
 * and rethrow when it throws. A failed client is discarded rather than returned to the pool:
 * it may be the connection a PostgreSQL restart broke.
 */
export async function inTransaction<T>(pool: Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    await client.query("BEGIN");
    const result = await work(client);
    await client.query("COMMIT");
    return result;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release(failure);
  }
}

/** Runs `check` until it succeeds, backing off, until the deadline; then throws a StartupError naming the variable. */
export async function retryUntilReady(
  variable: string,
  check: () => Promise<void>,
  options: { timeoutMs: number; log: Logger; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = 250;
  let attempt = 0;
  for (;;) {
    attempt += 1;
    try {
      await check();
      if (attempt > 1) options.log.info("dependency_ready", { variable, attempts: attempt });
      return;
    } catch (error) {
      if (error instanceof StartupError) throw error;
      const reason = connectionReason(error);
      if (options.signal?.aborted) throw new ShutdownRequested();
      if (Date.now() + delay > deadline) {
        throw new StartupError(
          variable,
          `unreachable after ${Math.round(options.timeoutMs / 1000)} s and ${attempt} attempts (${reason})`,
        );
      }
      options.log.warn("dependency_unavailable", { variable, attempt, reason, retryInMs: delay });
      await sleep(delay, options.signal);
      if (options.signal?.aborted) throw new ShutdownRequested();
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
