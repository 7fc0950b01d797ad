import { ConfigError, loadMigrateConfig } from "./config.ts";
import { createPool, retryUntilReady } from "./db.ts";
import { StartupError } from "./errors.ts";
import { createLogger, describeError } from "./log.ts";
import { GENERAL_DB_MIGRATIONS, type Migration, migrate, USER_DB_MIGRATIONS } from "./migrations.ts";

// Railway's pre-deploy command for the api service: migrates both databases, then exits.
// Idempotent and safe to run concurrently (see migrations.ts).

async function main(): Promise<number> {
  let config: ReturnType<typeof loadMigrateConfig>;
  try {
    config = loadMigrateConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`railyard-backend: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const log = createLogger({ service: "migrate", level: config.logLevel, secrets: config.secrets });
  const targets: { variable: string; url: string; migrations: readonly Migration[] }[] = [
    { variable: "USER_DATABASE_URL", url: config.userDatabaseUrl, migrations: USER_DB_MIGRATIONS },
    { variable: "GENERAL_DATABASE_URL", url: config.generalDatabaseUrl, migrations: GENERAL_DB_MIGRATIONS },
  ];
  for (const target of targets) {
    const pool = createPool(target.url, target.variable, log, 1);
    try {
      await retryUntilReady(
        target.variable,
        async () => {
          await pool.query("SELECT 1");
        },
        { timeoutMs: config.startupTimeoutMs, log },
      );
      const result = await migrate(pool, target.migrations);
      log.info("migrated", { database: target.variable, ...result });
    } catch (error) {
      const reason =
        error instanceof StartupError
          ? error.message
          : `${target.variable}: migration failed: ${describeError(error).message}`;
      log.error("migration_failed", { database: target.variable, message: reason });
      process.stderr.write(`railyard-backend: ${reason}\n`);
      return 1;
    } finally {
      await pool.end();
    }
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`railyard-backend: unexpected error: ${describeError(error).message}\n`);
    process.exit(1);
  },
);
