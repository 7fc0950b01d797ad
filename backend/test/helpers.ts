import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pg from "pg";
import { GENERAL_DB_MIGRATIONS, migrate, USER_DB_MIGRATIONS } from "../src/migrations.ts";

export const BACKEND_DIR = fileURLToPath(new URL("..", import.meta.url));
export const ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres";
export const SHARED_REDIS_URL = "redis://127.0.0.1:6379";

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
}

export function databaseUrl(name: string): string {
  return `postgresql://postgres@127.0.0.1:5432/${name}`;
}

export interface TestDatabases {
  userUrl: string;
  generalUrl: string;
  userDb: pg.Pool;
  generalDb: pg.Pool;
  drop(): Promise<void>;
}

/** Two fresh databases (User Data, General Data) for one test; drop() removes them. */
export async function createDatabases(options: { migrate?: boolean } = {}): Promise<TestDatabases> {
  const userName = uniqueName("railyard_user");
  const generalName = uniqueName("railyard_general");
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${userName}`);
    await admin.query(`CREATE DATABASE ${generalName}`);
  } finally {
    await admin.end();
  }
  const userDb = new pg.Pool({ connectionString: databaseUrl(userName), max: 3 });
  const generalDb = new pg.Pool({ connectionString: databaseUrl(generalName), max: 3 });
  // DROP DATABASE ... WITH (FORCE) may reach a closing client before its goodbye does.
  for (const pool of [userDb, generalDb]) pool.on("error", () => undefined);
  if (options.migrate !== false) {
    await migrate(userDb, USER_DB_MIGRATIONS);
    await migrate(generalDb, GENERAL_DB_MIGRATIONS);
  }
  return {
    userUrl: databaseUrl(userName),
    generalUrl: databaseUrl(generalName),
    userDb,
    generalDb,
    async drop() {
      await Promise.allSettled([userDb.end(), generalDb.end()]);
      const dropper = new pg.Client({ connectionString: ADMIN_URL });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${userName} WITH (FORCE)`);
        await dropper.query(`DROP DATABASE IF EXISTS ${generalName} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** Deletes every key under a test's prefix (never FLUSHDB: the Redis is shared). */
export async function deleteRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } catch {
    // A private redis-server that is already gone holds nothing to clean.
  } finally {
    redis.disconnect();
  }
}

export const TEST_KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/** Environment for a role process: nothing inherited but PATH, so tests see exactly what they set. */
export function roleEnv(
  dbs: Pick<TestDatabases, "userUrl" | "generalUrl">,
  redisUrl: string,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    USER_DATABASE_URL: dbs.userUrl,
    GENERAL_DATABASE_URL: dbs.generalUrl,
    REDIS_URL: redisUrl,
    MASTER_ENCRYPTION_KEY: TEST_KEY_HEX,
    REDIS_KEY_PREFIX: prefix,
    CORS_ORIGIN: "http://localhost:3000",
    PORT: "0",
    HOST: "127.0.0.1",
    HEARTBEAT_INTERVAL_MS: "300",
    STARTUP_TIMEOUT_MS: "10000",
    ...extra,
  };
}

export interface LogLine {
  level: string;
  event: string;
  [field: string]: unknown;
}

export interface RoleProcess {
  child: ChildProcess;
  logs: LogLine[];
  stdout(): string;
  stderr(): string;
  waitForEvent(event: string, timeoutMs?: number): Promise<LogLine>;
  /** Sends SIGTERM and resolves with the exit code and how long the exit took. */
  terminate(): Promise<{ code: number | null; tookMs: number }>;
  exited: Promise<number | null>;
}

/** Starts `node dist/<script>` as a real child process. */
export function startProcess(env: Record<string, string>, script = "dist/main.js"): RoleProcess {
  const child = spawn(process.execPath, [script], {
    cwd: BACKEND_DIR,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: LogLine[] = [];
  let out = "";
  let err = "";
  let partial = "";
  const waiters: { event: string; resolve: (line: LogLine) => void }[] = [];
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
    partial += chunk;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const text of lines) {
      if (text.trim() === "") continue;
      const line = JSON.parse(text) as LogLine;
      logs.push(line);
      for (const waiter of waiters.filter((w) => w.event === line.event)) waiter.resolve(line);
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    logs,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForEvent(event, timeoutMs = 20_000) {
      const seen = logs.find((line) => line.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise<LogLine>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no "${event}" log within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`)),
          timeoutMs,
        );
        waiters.push({
          event,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`process exited before "${event}"; stdout:\n${out}\nstderr:\n${err}`));
        });
      });
    },
    async terminate() {
      const began = Date.now();
      if (child.exitCode !== null) return { code: child.exitCode, tookMs: 0 };
      child.kill("SIGTERM");
      const code = await exited;
      return { code, tookMs: Date.now() - began };
    },
  };
}

/** Kills a process left running by a failed test. */
export function killIfRunning(proc: RoleProcess | undefined): void {
  if (proc && proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill("SIGKILL");
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A private redis-server the test may kill and restart (the shared one must never be restarted). */
export interface PrivateRedis {
  url: string;
  port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

export async function privateRedis(extraArgs: string[] = []): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const handle: PrivateRedis = {
    url,
    port,
    async start() {
      child = spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArgs],
        {
          stdio: "ignore",
        },
      );
      await waitFor(
        "private redis-server",
        async () => {
          const probe = new Redis(url, {
            lazyConnect: true,
            maxRetriesPerRequest: 0,
            retryStrategy: () => null,
          });
          probe.on("error", () => undefined);
          try {
            await probe.connect();
            return (await probe.ping()) === "PONG";
          } finally {
            probe.disconnect();
          }
        },
        10_000,
      );
    },
    async kill() {
      const running = child;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const gone = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGKILL");
      await gone;
    },
  };
  await handle.start();
  return handle;
}

/** GET a path from a running api and parse the JSON body. */
export async function getJson(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const response = await fetch(`${baseUrl}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null, text };
}
