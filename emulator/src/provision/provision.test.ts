// Databases created through the emulator are real: a PostgreSQL database with its own role on
// the machine's PostgreSQL, a redis-server of its own with a password. References render to
// the real values; stop() leaves nothing behind.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ChangeSet } from "../../../action/src/railway/environment-config.ts";
import { EmulatorState } from "../state.ts";
import {
  createResource,
  deleteResource,
  generate,
  type ProvisionContext,
  Provisioner,
  randomSecret,
} from "./index.ts";

const run = promisify(execFile);

async function psqlAs(url: string, sql: string): Promise<string> {
  const u = new URL(url);
  const { stdout } = await run(
    "psql",
    [
      "-h",
      u.hostname,
      "-p",
      u.port,
      "-U",
      decodeURIComponent(u.username),
      "-d",
      u.pathname.slice(1),
      "-tAXc",
      sql,
    ],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
  );
  return stdout.trim();
}

async function databaseExists(name: string): Promise<boolean> {
  const { stdout } = await run("psql", [
    "-h",
    "127.0.0.1",
    "-U",
    "postgres",
    "-d",
    "postgres",
    "-tAXc",
    `select count(*) from pg_database where datname = '${name}'`,
  ]);
  return stdout.trim() === "1";
}

/** Sends RESP commands and returns the raw answer. */
function redis(port: number, commands: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    socket.setTimeout(1500, () => {
      socket.destroy();
      resolve(data);
    });
    socket.on("connect", () => socket.write(commands));
    socket.on("data", (chunk) => {
      data += chunk.toString();
    });
    socket.on("close", () => resolve(data));
    socket.on("error", () => resolve(`ERROR ${data}`));
    setTimeout(() => socket.end(), 300);
  });
}

describe("the emulator provisions databases for real", () => {
  let workDir: string;
  let ctx: ProvisionContext;
  let state: EmulatorState;
  let ports = 40000;

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), "railyard-provision-"));
    state = new EmulatorState({
      projects: [
        {
          id: "p",
          name: "empty",
          environments: [{ id: "env", name: "production" }],
          services: [],
        },
      ],
      tokens: [],
    });
    ctx = {
      state,
      provisioner: new Provisioner({ workDir }),
      // No runner here: a service's loopback address is a fixed value per instance.
      allocateDomain: async () => `127.0.0.1:${ports++}`,
    };
  });

  afterEach(async () => {
    await ctx.provisioner.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it("creates two PostgreSQL databases, each with its own role, password and Railway's variables", async () => {
    await createResource(ctx, "p", "env", { type: "database", engine: "postgres", name: "User Data DB" });
    await createResource(ctx, "p", "env", { type: "database", engine: "postgres", name: "General Data DB" });
    const project = state.project("p");
    const user = project?.services.find((s) => s.name === "User Data DB");
    const general = project?.services.find((s) => s.name === "General Data DB");
    if (!user || !general) throw new Error("database services missing");
    const userVars = state.variables("p", "env", user.id, false);
    const generalVars = state.variables("p", "env", general.id, false);
    for (const name of [
      "DATABASE_URL",
      "DATABASE_PUBLIC_URL",
      "PGHOST",
      "PGPORT",
      "PGUSER",
      "PGPASSWORD",
      "PGDATABASE",
      "POSTGRES_USER",
      "POSTGRES_PASSWORD",
      "POSTGRES_DB",
    ]) {
      expect(userVars[name], name).toBeTruthy();
    }
    expect(userVars.PGDATABASE).not.toBe(generalVars.PGDATABASE);
    expect(userVars.PGUSER).not.toBe(generalVars.PGUSER);
    expect(userVars.PGPASSWORD).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(userVars.DATABASE_URL).toBe(
      `postgresql://${userVars.PGUSER}:${userVars.PGPASSWORD}@127.0.0.1:5432/${userVars.PGDATABASE}`,
    );
    // Each role reaches its own database and owns it.
    expect(
      await psqlAs(userVars.DATABASE_URL as string, "select current_user || ' ' || current_database()"),
    ).toBe(`${userVars.PGUSER} ${userVars.PGDATABASE}`);
    await psqlAs(userVars.DATABASE_URL as string, "create table t (id int)");
    // ...and not the other one's.
    const other = (userVars.DATABASE_URL as string).replace(
      `/${userVars.PGDATABASE}`,
      `/${generalVars.PGDATABASE}`,
    );
    await expect(psqlAs(other, "select 1")).rejects.toThrow(/permission denied/);
    // Unrendered, the variables keep Railway's references.
    expect(state.variables("p", "env", user.id, true).PGPASSWORD).toBe("${{POSTGRES_PASSWORD}}");
    expect(project?.volumes.map((v) => [v.serviceId, v.mountPath])).toEqual([
      [user.id, "/var/lib/postgresql/data"],
      [general.id, "/var/lib/postgresql/data"],
    ]);
  });

  it("starts a Redis of its own that wants its password, and stops it when deleted", async () => {
    await createResource(ctx, "p", "env", { type: "database", engine: "redis", name: "Redis" });
    const service = state.project("p")?.services.find((s) => s.name === "Redis");
    if (!service) throw new Error("Redis service missing");
    const vars = state.variables("p", "env", service.id, false);
    for (const name of [
      "REDIS_URL",
      "REDIS_PUBLIC_URL",
      "REDISHOST",
      "REDISPORT",
      "REDISUSER",
      "REDISPASSWORD",
    ]) {
      expect(vars[name], name).toBeTruthy();
    }
    const port = Number(vars.REDISPORT);
    expect(port).not.toBe(6379);
    expect(vars.REDIS_URL).toBe(`redis://default:${vars.REDISPASSWORD}@127.0.0.1:${port}`);
    expect(await redis(port, "PING\r\n")).toContain("NOAUTH");
    expect(await redis(port, `AUTH ${vars.REDISPASSWORD}\r\nPING\r\n`)).toContain("+PONG");

    await deleteResource(ctx, "p", "database.Redis");
    expect(state.project("p")?.services).toEqual([]);
    expect(await redis(port, "PING\r\n")).toMatch(/^ERROR/);
  });

  it("renders references between services to the real values and generates secrets once", async () => {
    await createResource(ctx, "p", "env", { type: "database", engine: "postgres", name: "User Data DB" });
    await createResource(ctx, "p", "env", {
      type: "service",
      name: "api",
      source: { type: "github", repo: "railyard/railyard", branch: "main", rootDirectory: "/backend" },
      variables: {
        USER_DATABASE_URL: { type: "literal", value: "${{User Data DB.DATABASE_URL}}" },
        MASTER_ENCRYPTION_KEY: { type: "raw", value: { generator: "secret(32)" } },
      },
    });
    const db = state.project("p")?.services.find((s) => s.name === "User Data DB");
    const api = state.project("p")?.services.find((s) => s.name === "api");
    if (!db || !api) throw new Error("services missing");
    const apiVars = state.variablesForDeployment("p", "env", api.id);
    expect(apiVars.USER_DATABASE_URL).toBe(state.variables("p", "env", db.id, false).DATABASE_URL);
    expect(await psqlAs(apiVars.USER_DATABASE_URL as string, "select 1")).toBe("1");
    expect(apiVars.MASTER_ENCRYPTION_KEY).toMatch(/^[A-Za-z0-9]{32}$/);
    // Stored as the value, not as the generator: reading it again gives the same secret.
    expect(state.variables("p", "env", api.id, true).MASTER_ENCRYPTION_KEY).toBe(
      apiVars.MASTER_ENCRYPTION_KEY,
    );
    expect(api.source).toEqual({ repo: "railyard/railyard", branch: "main" });
    expect(state.instance(api.id, "env")?.settings.rootDirectory).toBe("/backend");
    // A created service has no public domain until one is created for it.
    expect(apiVars.RAILWAY_PUBLIC_DOMAIN).toBeUndefined();
    await expect(createResource(ctx, "p", "env", { type: "service", name: "api" })).rejects.toThrow(
      /already exists/,
    );
  });

  it("drops its databases and stops its Redis processes on close", async () => {
    await createResource(ctx, "p", "env", { type: "database", engine: "postgres", name: "db" });
    await createResource(ctx, "p", "env", { type: "database", engine: "redis", name: "cache" });
    const services = state.project("p")?.services ?? [];
    const dbName = state.variables("p", "env", services[0]?.id ?? "", false).PGDATABASE as string;
    const port = Number(state.variables("p", "env", services[1]?.id ?? "", false).REDISPORT);
    expect(await databaseExists(dbName)).toBe(true);
    await ctx.provisioner.close();
    expect(await databaseExists(dbName)).toBe(false);
    expect(await redis(port, "PING\r\n")).toMatch(/^ERROR/);
  });

  it("generates secret(N) over an alphabet and refuses anything else", () => {
    expect(generate("secret(16)")).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(generate('secret(8, "ab")')).toMatch(/^[ab]{8}$/);
    expect(() => generate("uuid()")).toThrow(/unsupported generator/);
  });
});

describe("change sets create and delete resources through the API", () => {
  it("creates databases, a service with references and a generated secret, then deletes on request", async () => {
    const { startEmulator } = await import("../index.ts");
    const { RailwayClient } = await import("../../../action/src/railway/client.ts");
    const token = `acct-${randomSecret(12)}`;
    const emulator = await startEmulator({
      state: {
        projects: [
          { id: "p", name: "empty", environments: [{ id: "env", name: "production" }], services: [] },
        ],
        tokens: [{ kind: "account", token }],
      },
      repoDir: ".",
      runner: "simulated",
    });
    try {
      const client = new RailwayClient({ endpoint: emulator.graphqlUrl, token, log: () => undefined });
      const base = { path: "", summary: "", severity: "safe" as const, deployEffect: "none" as const };
      const changes = [
        {
          ...base,
          kind: "resource.create" as const,
          address: "service.api",
          resource: {
            type: "service",
            name: "api",
            source: { type: "github", repo: "railyard/railyard", branch: "main" },
            variables: { USER_DATABASE_URL: { type: "literal", value: "${{User Data DB.DATABASE_URL}}" } },
          },
        },
        {
          ...base,
          kind: "resource.create" as const,
          address: "database.User Data DB",
          resource: { type: "database", engine: "postgres", name: "User Data DB" },
        },
        {
          ...base,
          kind: "variable.set" as const,
          address: "service.api",
          variable: "MASTER_ENCRYPTION_KEY",
          after: { type: "raw", value: { generator: "secret(32)" } },
        },
        {
          ...base,
          kind: "domain.create" as const,
          address: "service.api",
          domain: "",
          domainKind: "service" as const,
        },
      ];
      const changeSet = { version: 1 as const, changes: changes as ChangeSet["changes"] };
      const preview = await client.previewChangeSet("env", changeSet);
      expect(preview.changeSet.changes.map((c) => c.kind)).toEqual([
        "resource.create",
        "resource.create",
        "domain.create",
        "variable.set",
      ]);
      const applied = await client.applyChangeSet("env", changeSet);
      expect(applied.status).toBe("applied");
      const project = await client.project("p");
      const api = project.services.find((s) => s.name === "api");
      const db = project.services.find((s) => s.name === "User Data DB");
      if (!api || !db) throw new Error("not created");
      const vars = await client.variablesForDeployment("p", "env", api.id);
      expect(vars.USER_DATABASE_URL).toMatch(
        /^postgresql:\/\/railway_user_data_db_\w+:[A-Za-z0-9]{32}@127\.0\.0\.1:5432\//,
      );
      expect(await psqlAs(vars.USER_DATABASE_URL as string, "select 1")).toBe("1");
      expect(vars.MASTER_ENCRYPTION_KEY).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(vars.RAILWAY_PUBLIC_DOMAIN).toBeTruthy();

      // The same secret again: kept, not regenerated.
      const again = await client.applyChangeSet("env", {
        version: 1,
        changes: [changeSet.changes[2] as ChangeSet["changes"][number]],
      });
      expect(again.changes.map((c) => c.status)).toEqual(["skipped"]);
      expect((await client.variablesForDeployment("p", "env", api.id)).MASTER_ENCRYPTION_KEY).toBe(
        vars.MASTER_ENCRYPTION_KEY,
      );

      const dbName = new URL(vars.USER_DATABASE_URL as string).pathname.slice(1);
      await client.applyChangeSet("env", {
        version: 1,
        changes: [{ ...base, kind: "resource.delete", address: "database.User Data DB" } as never],
      });
      expect((await client.project("p")).services.map((s) => s.name)).toEqual(["api"]);
      expect(await databaseExists(dbName)).toBe(false);
    } finally {
      await emulator.stop();
    }
  });
});
