// Real databases behind emulated database services. A PostgreSQL service is its own database
// and role (with a generated password) on the machine's PostgreSQL; a Redis service is its own
// redis-server process on a free loopback port with a generated password. close() stops every
// Redis it started and drops every database and role it created, so nothing outlives the emulator.
//
// Passwords go to psql on stdin and to redis-server in a mode-600 config file: never in argv,
// where `ps` would show them, and never in the emulator's log.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { join } from "node:path";

export interface PostgresServer {
  host: string;
  port: number;
  /** A superuser that may create databases and roles (trust auth on this machine). */
  user: string;
}

export interface ProvisionerOptions {
  /** The machine's PostgreSQL (default 127.0.0.1:5432 as postgres, or PGHOST/PGPORT/PGUSER). */
  postgres?: PostgresServer;
  /** The redis-server binary (default `redis-server` on PATH). */
  redisServer?: string;
  /** Where Redis config files and data go (a folder the emulator owns). */
  workDir: string;
  /** Leave the PostgreSQL databases and roles in place on close (e.g. to inspect them). */
  keepDatabases?: boolean;
  log?: (line: string) => void;
}

export interface PostgresCredentials {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface RedisCredentials {
  host: string;
  port: number;
  user: string;
  password: string;
}

export class ProvisionError extends Error {
  override name = "ProvisionError";
}

const ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A random string over `alphabet` (uniform: rejection sampling, no modulo bias). */
export function randomSecret(length: number, alphabet = ALPHANUMERIC): string {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A PostgreSQL identifier from a service name: lower case, [a-z0-9_], unique suffix. */
function identifier(label: string): string {
  const base = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 30);
  return `railway_${base || "db"}_${randomSecret(8, "abcdefghijklmnopqrstuvwxyz0123456789")}`;
}

export class Provisioner {
  private readonly pg: PostgresServer;
  private readonly redisBinary: string;
  private readonly redisProcesses = new Map<number, ChildProcess>();
  private readonly databases: { database: string; role: string }[] = [];
  private closed = false;

  constructor(private readonly options: ProvisionerOptions) {
    this.pg = options.postgres ?? {
      host: process.env.PGHOST ?? "127.0.0.1",
      port: Number(process.env.PGPORT ?? 5432),
      user: process.env.PGUSER ?? "postgres",
    };
    this.redisBinary = options.redisServer ?? "redis-server";
  }

  /** A new database owned by a new role with its own password. */
  async postgres(label: string): Promise<PostgresCredentials> {
    this.assertOpen();
    const name = identifier(label);
    const password = randomSecret(32);
    // Identifiers are [a-z0-9_] by construction; the password is alphanumeric.
    await this.psql(`CREATE ROLE ${name} LOGIN PASSWORD '${password}';\n`);
    this.databases.push({ database: name, role: name });
    await this.psql(`CREATE DATABASE ${name} OWNER ${name};\n`);
    await this.psql(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC;\n`);
    this.options.log?.(`provisioned PostgreSQL database ${name} for "${label}"`);
    return { host: this.pg.host, port: this.pg.port, user: name, password, database: name };
  }

  /** A redis-server of its own, on a free loopback port, requiring a password. */
  async redis(label: string): Promise<RedisCredentials> {
    this.assertOpen();
    const password = randomSecret(32);
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const dir = join(this.options.workDir, "redis", String(port));
      await mkdir(dir, { recursive: true });
      const configPath = join(dir, "redis.conf");
      await writeFile(
        configPath,
        [
          "bind 127.0.0.1",
          `port ${port}`,
          `dir ${dir}`,
          `requirepass ${password}`,
          'save ""',
          "appendonly no",
          "daemonize no",
          "protected-mode yes",
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      const child = spawn(this.redisBinary, [configPath], { stdio: "ignore" });
      const exited = new Promise<never>((_resolve, reject) => {
        child.once("error", (error) =>
          reject(new ProvisionError(`cannot start redis-server: ${error.message}`)),
        );
        child.once("exit", (code) => reject(new ProvisionError(`redis-server exited with code ${code}`)));
      });
      exited.catch(() => undefined);
      try {
        await Promise.race([waitForRedis(port, password), exited]);
        this.redisProcesses.set(port, child);
        child.once("exit", () => this.redisProcesses.delete(port));
        this.options.log?.(`provisioned Redis on 127.0.0.1:${port} for "${label}"`);
        return { host: "127.0.0.1", port, user: "default", password };
      } catch (error) {
        lastError = error;
        child.kill("SIGKILL");
      }
    }
    throw lastError instanceof Error ? lastError : new ProvisionError("cannot start redis-server");
  }

  /** Stops a Redis this provisioner started (a deleted Redis service). */
  async stopRedis(port: number): Promise<void> {
    const child = this.redisProcesses.get(port);
    if (child) await stopProcess(child);
  }

  /** Drops a database and its role (a deleted PostgreSQL service). */
  async dropPostgres(database: string): Promise<void> {
    const index = this.databases.findIndex((d) => d.database === database);
    if (index === -1) return;
    const [entry] = this.databases.splice(index, 1);
    if (entry) await this.drop(entry);
  }

  /** Stops every Redis, drops every database and role (unless keepDatabases). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.redisProcesses.values()].map(stopProcess));
    if (!this.options.keepDatabases) {
      for (const entry of this.databases.splice(0)) {
        await this.drop(entry).catch((error: Error) =>
          this.options.log?.(`could not drop database ${entry.database}: ${error.message}`),
        );
      }
    }
    await rm(join(this.options.workDir, "redis"), { recursive: true, force: true });
  }

  private async drop(entry: { database: string; role: string }): Promise<void> {
    await this.psql(`DROP DATABASE IF EXISTS ${entry.database} WITH (FORCE);\n`);
    await this.psql(`DROP ROLE IF EXISTS ${entry.role};\n`);
  }

  private assertOpen(): void {
    if (this.closed) throw new ProvisionError("the emulator is stopping");
  }

  private psql(sql: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        "psql",
        [
          "-h",
          this.pg.host,
          "-p",
          String(this.pg.port),
          "-U",
          this.pg.user,
          "-d",
          "postgres",
          "-v",
          "ON_ERROR_STOP=1",
          "-q",
          "-X",
        ],
        { timeout: 30_000 },
        (error, _stdout, stderr) => {
          if (!error) return resolve();
          // psql's stderr names the statement's problem; the SQL (which may hold a password) is not echoed.
          const reason = String(stderr)
            .split("\n")[0]
            ?.replace(/PASSWORD '[^']*'/g, "PASSWORD '***'");
          reject(
            new ProvisionError(
              `PostgreSQL at ${this.pg.host}:${this.pg.port} refused: ${reason || (error as Error).message}`,
            ),
          );
        },
      );
      child.stdin?.end(sql);
    });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the Redis on `port` answers AUTH and PING; rejects after ~10 s. */
async function waitForRedis(port: number, password: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const answer = await new Promise<string>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      let data = "";
      const done = (value: string) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(1000, () => done(data));
      socket.on("connect", () => socket.write(`AUTH ${password}\r\nPING\r\n`));
      socket.on("data", (chunk) => {
        data += chunk.toString();
        if (data.includes("PONG") || data.startsWith("-")) done(data);
      });
      socket.on("error", () => done(""));
    });
    if (answer.includes("+PONG")) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new ProvisionError(`redis-server on port ${port} did not answer within 10 s`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
