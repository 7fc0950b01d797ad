import type { Pool } from "./db.ts";
import { StartupError } from "./errors.ts";

export interface Migration {
  id: string;
  sql: string;
}

// SQL lives in TypeScript so `tsc` carries it into dist/ with no copy step.
// Append new migrations; never edit one that has shipped.

export const GENERAL_DB_MIGRATIONS: readonly Migration[] = [
  {
    id: "0001_ticks",
    sql: `
      CREATE TABLE ticks (
        id            text PRIMARY KEY,          -- source:symbol:sequence, unique per quote
        source        text NOT NULL,
        symbol        text NOT NULL,
        sequence      bigint NOT NULL,           -- the quote's time slot (epoch ms), increasing
        price         numeric(20, 8) NOT NULL CHECK (price > 0),
        observed_at   timestamptz NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        published_at  timestamptz                -- NULL until it is on the Redis stream (outbox)
      );
      CREATE INDEX ticks_symbol_observed_at ON ticks (symbol, observed_at DESC);
      CREATE INDEX ticks_unpublished ON ticks (sequence) WHERE published_at IS NULL;
    `,
  },
  {
    id: "0002_ticks_observed_at",
    // Retention deletes by age (data-poller, TICK_RETENTION_HOURS).
    sql: "CREATE INDEX ticks_observed_at ON ticks (observed_at);",
  },
];

export const USER_DB_MIGRATIONS: readonly Migration[] = [
  {
    id: "0001_users_strategies_orders",
    sql: `
      CREATE TABLE users (
        id          bigserial PRIMARY KEY,
        email       text NOT NULL UNIQUE,
        created_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE exchange_credentials (
        id              bigserial PRIMARY KEY,
        user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        exchange        text NOT NULL,
        key_id          text NOT NULL,           -- master key that encrypted both values (rotation)
        api_key_enc     text NOT NULL,           -- envelope: v1.<keyId>.<nonce>.<ciphertext>.<tag>
        api_secret_enc  text NOT NULL,
        updated_at      timestamptz NOT NULL DEFAULT now(),
        UNIQUE (user_id, exchange)
      );
      CREATE TABLE strategies (
        id             bigserial PRIMARY KEY,
        user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        symbol         text NOT NULL,
        buy_below      numeric(20, 8) NOT NULL CHECK (buy_below > 0),
        sell_above     numeric(20, 8) NOT NULL CHECK (sell_above > 0),
        quantity       numeric(20, 8) NOT NULL CHECK (quantity > 0),
        position       text NOT NULL DEFAULT 'flat' CHECK (position IN ('flat', 'long')),
        last_sequence  bigint NOT NULL DEFAULT -1, -- newest tick evaluated: older ones are ignored
        enabled        boolean NOT NULL DEFAULT true,
        created_at     timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX strategies_symbol_enabled ON strategies (symbol) WHERE enabled;
      CREATE TABLE orders (
        id           bigserial PRIMARY KEY,
        strategy_id  bigint NOT NULL REFERENCES strategies (id) ON DELETE CASCADE,
        user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        tick_id      text NOT NULL,
        symbol       text NOT NULL,
        side         text NOT NULL CHECK (side IN ('buy', 'sell')),
        quantity     numeric(20, 8) NOT NULL,
        price        numeric(20, 8) NOT NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT orders_one_per_strategy_tick UNIQUE (strategy_id, tick_id)
      );
    `,
  },
];

// Fixed advisory-lock key ("railyard" in ASCII, truncated): concurrent migrators queue on it.
const MIGRATION_LOCK_KEY = 0x7261696c79617264n;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies pending migrations under a session advisory lock, each in its own
 * transaction. A second migrator running at the same time waits for the lock, then
 * finds everything applied: safe to run twice at once.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[]): Promise<MigrationResult> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY.toString()]);
    try {
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const { rows } = await client.query<{ id: string }>("SELECT id FROM schema_migrations");
      const done = new Set(rows.map((row) => row.id));
      const result: MigrationResult = { applied: [], alreadyApplied: [] };
      for (const migration of migrations) {
        if (done.has(migration.id)) {
          result.alreadyApplied.push(migration.id);
          continue;
        }
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query("INSERT INTO schema_migrations (id) VALUES ($1)", [migration.id]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw error;
        }
        result.applied.push(migration.id);
      }
      return result;
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    client.release();
  }
}

/** Throws a StartupError naming the variable when the database lacks a migration this code needs. */
export async function assertMigrated(
  pool: Pool,
  migrations: readonly Migration[],
  variable: string,
): Promise<void> {
  const { rows } = await pool.query<{ present: string | null }>(
    "SELECT to_regclass('schema_migrations') AS present",
  );
  const applied = new Set<string>();
  if (rows[0]?.present) {
    const result = await pool.query<{ id: string }>("SELECT id FROM schema_migrations");
    for (const row of result.rows) applied.add(row.id);
  }
  const missing = migrations
    .filter((migration) => !applied.has(migration.id))
    .map((migration) => migration.id);
  if (missing.length > 0) {
    throw new StartupError(
      variable,
      `database is missing migrations ${missing.join(", ")} (run "node dist/migrate.js" first)`,
    );
  }
}
