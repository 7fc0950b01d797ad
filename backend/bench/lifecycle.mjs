// Start-up and shutdown timings of each role as a real process (node dist/main.js),
// against throwaway databases on the local PostgreSQL and a key prefix on the local
// Redis. Run `npm run build` first. Prints one JSON document.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";

const BACKEND_DIR = fileURLToPath(new URL("..", import.meta.url));
const ADMIN_URL = process.env.BENCH_ADMIN_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RUN_MS = 2_000;

const suffix = `${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
const names = { user: `railyard_bench_user_${suffix}`, general: `railyard_bench_general_${suffix}` };
const url = (name) => ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
const prefix = `railyard-bench-${suffix}:`;

function run(script, env) {
  const began = performance.now();
  const child = spawn(process.execPath, [script], {
    cwd: BACKEND_DIR,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let readyAt;
  let buffer = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    buffer += chunk;
    if (readyAt === undefined && buffer.includes('"event":"ready"')) readyAt = performance.now();
  });
  const exited = new Promise((resolve) =>
    child.once("exit", (code) => resolve({ code, at: performance.now() })),
  );
  return { child, began, exited, readyAt: () => readyAt };
}

async function main() {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${names.user}`);
  await admin.query(`CREATE DATABASE ${names.general}`);
  const env = {
    PATH: process.env.PATH ?? "",
    USER_DATABASE_URL: url(names.user),
    GENERAL_DATABASE_URL: url(names.general),
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    MASTER_ENCRYPTION_KEY: randomBytes(32).toString("hex"),
    CORS_ORIGIN: "http://localhost:3000",
    PORT: "0",
    HOST: "127.0.0.1",
    POLL_INTERVAL_MS: "100",
    LOG_LEVEL: "info",
  };
  const results = { rounds: ROUNDS, migrate: {}, roles: {} };
  try {
    for (const label of ["first", "again"]) {
      const migrate = run("dist/migrate.js", env);
      const { code, at } = await migrate.exited;
      if (code !== 0) throw new Error(`migrate exited ${code}`);
      results.migrate[`${label}Ms`] = Math.round(at - migrate.began);
    }
    for (const role of ["api", "data-poller", "trading-engine"]) {
      const startup = [];
      const shutdown = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const proc = run("dist/main.js", { ...env, CONTAINER_ROLE: role });
        const deadline = Date.now() + 20_000;
        while (proc.readyAt() === undefined && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 10));
        if (proc.readyAt() === undefined) throw new Error(`${role} never became ready`);
        startup.push(proc.readyAt() - proc.began);
        await new Promise((r) => setTimeout(r, RUN_MS)); // let it do work, so SIGTERM meets work in flight
        const signalled = performance.now();
        proc.child.kill("SIGTERM");
        const { code, at } = await proc.exited;
        if (code !== 0) throw new Error(`${role} exited ${code} on SIGTERM`);
        shutdown.push(at - signalled);
      }
      const summary = (values) => ({
        minMs: Math.round(Math.min(...values)),
        maxMs: Math.round(Math.max(...values)),
        meanMs: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
      });
      results.roles[role] = { startToReady: summary(startup), sigtermToExit: summary(shutdown) };
    }
  } finally {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await admin.query(`DROP DATABASE IF EXISTS ${names.user} WITH (FORCE)`);
    await admin.query(`DROP DATABASE IF EXISTS ${names.general} WITH (FORCE)`);
    await admin.end();
  }
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench/lifecycle: ${error.message}\n`);
  process.exit(1);
});
