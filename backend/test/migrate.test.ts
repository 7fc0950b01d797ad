import { afterEach, describe, expect, it } from "vitest";
import { GENERAL_DB_MIGRATIONS, USER_DB_MIGRATIONS } from "../src/migrations.ts";
import { createDatabases, startProcess, type TestDatabases } from "./helpers.ts";

describe("node dist/migrate.js (the pre-deploy command)", () => {
  let dbs: TestDatabases | undefined;
  afterEach(async () => {
    await dbs?.drop();
  });

  it("migrates both databases, run twice at once, and again later as a no-op", async () => {
    dbs = await createDatabases({ migrate: false });
    const env = {
      PATH: process.env.PATH ?? "",
      USER_DATABASE_URL: dbs.userUrl,
      GENERAL_DATABASE_URL: dbs.generalUrl,
    };
    const runs = [startProcess(env, "dist/migrate.js"), startProcess(env, "dist/migrate.js")];
    expect(await Promise.all(runs.map((run) => run.exited))).toEqual([0, 0]);

    // Between them, the two runs applied each migration exactly once.
    const applied = runs.flatMap((run) =>
      run.logs.filter((line) => line.event === "migrated").flatMap((line) => line.applied as string[]),
    );
    expect(applied.sort()).toEqual([...USER_DB_MIGRATIONS, ...GENERAL_DB_MIGRATIONS].map((m) => m.id).sort());

    const users = await dbs.userDb.query("SELECT id FROM schema_migrations");
    expect(users.rows.map((row) => row.id)).toEqual(USER_DB_MIGRATIONS.map((m) => m.id));
    const general = await dbs.generalDb.query("SELECT id FROM schema_migrations");
    expect(general.rows.map((row) => row.id)).toEqual(GENERAL_DB_MIGRATIONS.map((m) => m.id));
    const tables = await dbs.userDb.query<{ name: string }>(
      "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    expect(tables.rows.map((row) => row.name)).toEqual([
      "exchange_credentials",
      "orders",
      "schema_migrations",
      "strategies",
      "users",
    ]);

    const again = startProcess(env, "dist/migrate.js");
    expect(await again.exited).toBe(0);
    expect(again.logs.filter((line) => line.event === "migrated").map((line) => line.applied)).toEqual([
      [],
      [],
    ]);
  });

  it("exits 1 naming the variable when a database cannot be reached", async () => {
    const run = startProcess(
      {
        PATH: process.env.PATH ?? "",
        USER_DATABASE_URL: "postgresql://postgres:hunter22@127.0.0.1:1/nowhere",
        GENERAL_DATABASE_URL: "postgresql://postgres:hunter22@127.0.0.1:1/nowhere",
        STARTUP_TIMEOUT_MS: "600",
      },
      "dist/migrate.js",
    );
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(
      /USER_DATABASE_URL: unreachable after \d+ s and \d+ attempts \(ECONNREFUSED\)/,
    );
    expect(run.stderr() + run.stdout()).not.toContain("hunter22");
  });
});
