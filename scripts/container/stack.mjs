// The machine's PostgreSQL and Redis as the container checks use them (fresh databases, a
// unique Redis key prefix, nothing flushed), and containers started the way Railway would:
// variables through a 0600 env file that is deleted once the container exists.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { podman, run, runArgs } from "./podman.mjs";

export const PG = { host: "127.0.0.1", port: 5432, user: "postgres" };
export const REDIS = { host: "127.0.0.1", port: 6379 };

export async function psql(database, sql) {
  const result = await run("psql", [
    "-h",
    PG.host,
    "-p",
    String(PG.port),
    "-U",
    PG.user,
    "-d",
    database,
    "-v",
    "ON_ERROR_STOP=1",
    "-Atqc",
    sql,
  ]);
  if (result.code !== 0) throw new Error(`psql (${database}): ${result.stderr.trim()}`);
  return result.stdout.trim();
}

export async function redisCommand(...args) {
  const result = await run("redis-cli", ["-h", REDIS.host, "-p", String(REDIS.port), "--no-raw", ...args]);
  if (result.code !== 0 || result.stdout.startsWith("(error)")) {
    throw new Error(`redis-cli ${args[0]}: ${(result.stderr || result.stdout).trim()}`);
  }
  return result.stdout.trim();
}

export async function redisInteger(...args) {
  const reply = await redisCommand(...args);
  const match = reply.match(/^\(integer\) (-?\d+)$/);
  if (!match) throw new Error(`redis-cli ${args[0]}: unexpected reply ${reply}`);
  return Number(match[1]);
}

export async function createDatabase(name) {
  await psql("postgres", `CREATE DATABASE "${name}"`);
}

export async function dropDatabase(name) {
  await psql("postgres", `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** Deletes the keys under a prefix one by one (SCAN + DEL): never FLUSHALL/FLUSHDB on a shared Redis. */
export async function deleteRedisPrefix(prefix) {
  const scan = await run("redis-cli", [
    "-h",
    REDIS.host,
    "-p",
    String(REDIS.port),
    "--scan",
    "--pattern",
    `${prefix}*`,
  ]);
  const keys = scan.stdout.split("\n").filter(Boolean);
  for (const key of keys) await redisCommand("DEL", key);
  return keys.length;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(description, probe, { timeoutMs = 60_000, intervalMs = 250 } = {}) {
  const started = performance.now();
  let lastError;
  while (performance.now() - started < timeoutMs) {
    try {
      const value = await probe();
      if (value) return { value, ms: performance.now() - started };
    } catch (error) {
      if (error?.fatal) throw error;
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${description}${reason}`);
}

/** Creates a container with its variables in a 0600 env file, deleted as soon as podman has read it. */
export async function createContainer({ name, image, env, command = [], user }) {
  const dir = mkdtempSync(join(tmpdir(), "railyard-env-"));
  const envFile = join(dir, "env");
  try {
    writeFileSync(
      envFile,
      Object.entries(env)
        .map(([key, value]) => `${key}=${value}\n`)
        .join(""),
      { mode: 0o600 },
    );
    const created = await podman([
      "create",
      "--replace",
      "--name",
      name,
      ...runArgs(),
      ...(user === undefined ? [] : ["--user", user]),
      "--env-file",
      envFile,
      image,
      ...command,
    ]);
    if (created.code !== 0) throw new Error(`podman create ${name}: ${created.stderr.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a container to completion; returns its exit code and everything it printed. */
export async function runToCompletion(options, { timeoutMs = 120_000 } = {}) {
  await createContainer(options);
  const started = await podman(["start", "--attach", options.name], { timeoutMs });
  const code = await exitCode(options.name);
  await removeContainer(options.name);
  return { code: code ?? started.code, output: `${started.stdout}${started.stderr}`, ms: started.ms };
}

export async function startDetached(options) {
  await createContainer(options);
  const started = await podman(["start", options.name]);
  if (started.code !== 0) throw new Error(`podman start ${options.name}: ${started.stderr.trim()}`);
}

export async function containerLogs(name) {
  const logs = await podman(["logs", name]);
  return `${logs.stdout}${logs.stderr}`;
}

export async function exitCode(name) {
  const inspected = await podman(["inspect", "--format", "{{.State.ExitCode}}", name]);
  const code = Number(inspected.stdout.trim());
  return inspected.code === 0 && Number.isInteger(code) ? code : undefined;
}

export async function isRunning(name) {
  const inspected = await podman(["inspect", "--format", "{{.State.Running}}", name]);
  return inspected.stdout.trim() === "true";
}

/** `podman stop -t` (SIGTERM, then SIGKILL after the grace period); returns seconds taken and the exit code. */
export async function stopContainer(name, graceSeconds) {
  const stopped = await podman(["stop", "--time", String(graceSeconds), name]);
  return { ms: stopped.ms, code: await exitCode(name), ok: stopped.code === 0 };
}

export async function removeContainer(name) {
  await podman(["rm", "--force", "--ignore", "--time", "0", name]);
}
