// The real backend from ../backend, run as the deployed roles would run: migrations
// first, then `node dist/main.js` with CONTAINER_ROLE, on fresh databases of its own.

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { BACKEND_DIR, childEnv, type RunningProcess, runToEnd, startProcess } from "./processes.ts";

const ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = "redis://127.0.0.1:6379";

export type BackendReadiness = { ok: true } | { ok: false; reason: string };

/** Builds ../backend once when its dist is missing; reports why it cannot otherwise. */
export async function ensureBackendBuilt(): Promise<BackendReadiness> {
  const entry = path.join(BACKEND_DIR, "dist", "main.js");
  if (existsSync(entry) && existsSync(path.join(BACKEND_DIR, "dist", "migrate.js"))) return { ok: true };
  if (!existsSync(path.join(BACKEND_DIR, "package.json"))) {
    return { ok: false, reason: `${BACKEND_DIR}/package.json does not exist` };
  }
  const env = childEnv({});
  const install = await runToEnd("backend-npm-ci", "npm", ["--prefix", BACKEND_DIR, "ci"], {
    cwd: BACKEND_DIR,
    env,
  });
  if (install.code !== 0) return { ok: false, reason: `npm ci in backend failed:\n${install.output}` };
  const build = await runToEnd("backend-build", "npm", ["--prefix", BACKEND_DIR, "run", "build"], {
    cwd: BACKEND_DIR,
    env,
  });
  if (build.code !== 0) return { ok: false, reason: `npm run build in backend failed:\n${build.output}` };
  if (!existsSync(entry)) return { ok: false, reason: `the backend build did not produce ${entry}` };
  return { ok: true };
}

export interface BackendStack {
  /** Environment shared by every role; PORT and CONTAINER_ROLE are added per role. */
  env: Record<string, string>;
  start(role: "api" | "data-poller" | "trading-engine", extra?: Record<string, string>): RunningProcess;
  /** Gives a user a strategy that trades on every tick of `symbol`, so orders keep appearing. */
  seedAlwaysTradingStrategy(symbol: string): Promise<void>;
  dispose(): Promise<void>;
}

/** Creates two fresh databases, runs the backend's migrations, and hands back a role starter. */
export async function prepareBackend(options: { corsOrigin: string }): Promise<BackendStack> {
  const id = `fe_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const databases = [`${id}_user`, `${id}_general`];
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    for (const name of databases) await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const env: Record<string, string> = {
    USER_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${databases[0]}`,
    GENERAL_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${databases[1]}`,
    REDIS_URL,
    REDIS_KEY_PREFIX: `${id}:`,
    MASTER_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CORS_ORIGIN: options.corsOrigin,
    HEARTBEAT_INTERVAL_MS: "1000",
  };
  const started: RunningProcess[] = [];
  const stack: BackendStack = {
    env,
    start(role, extra = {}) {
      const running = startProcess(`backend-${role}`, "node", ["dist/main.js"], {
        cwd: BACKEND_DIR,
        env: childEnv({ ...env, CONTAINER_ROLE: role, ...extra }),
      });
      started.push(running);
      return running;
    },
    async seedAlwaysTradingStrategy(symbol) {
      const client = new pg.Client({ connectionString: env.USER_DATABASE_URL });
      await client.connect();
      try {
        // Buys below a price no tick reaches and sells above one every tick exceeds: it
        // flips position on each tick, so each tick is one order.
        await client.query(
          `WITH new_user AS (INSERT INTO users (email) VALUES ($1) RETURNING id)
           INSERT INTO strategies (user_id, symbol, buy_below, sell_above, quantity)
           SELECT id, $2, 999999999, 0.01, 0.5 FROM new_user`,
          [`${id}@frontend-test.invalid`, symbol],
        );
      } finally {
        await client.end();
      }
    },
    async dispose() {
      await Promise.all(started.map((running) => running.stop()));
      const cleanup = new pg.Client({ connectionString: ADMIN_URL });
      await cleanup.connect();
      try {
        for (const name of databases) await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await cleanup.end();
      }
      deleteRedisKeys(env.REDIS_KEY_PREFIX ?? id);
    },
  };
  const migrate = await runToEnd("backend-migrate", "node", ["dist/migrate.js"], {
    cwd: BACKEND_DIR,
    env: childEnv(env),
  });
  if (migrate.code !== 0) {
    await stack.dispose();
    throw new Error(`backend migrations failed (exit ${migrate.code}):\n${migrate.output}`);
  }
  return stack;
}

/** Deletes only this test's keys (never FLUSHDB): SCAN by prefix, then UNLINK. */
function deleteRedisKeys(prefix: string): void {
  const scan = spawnSync("redis-cli", ["-u", REDIS_URL, "--scan", "--pattern", `${prefix}*`], {
    encoding: "utf8",
  });
  if (scan.status !== 0) return;
  const keys = scan.stdout.split("\n").filter((key) => key.startsWith(prefix));
  for (let i = 0; i < keys.length; i += 200) {
    spawnSync("redis-cli", ["-u", REDIS_URL, "UNLINK", ...keys.slice(i, i + 200)]);
  }
}
