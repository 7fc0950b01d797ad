// A connection dropped while a client is checked out (what a PostgreSQL restart does to a
// worker mid-transaction) must not kill the process with an unhandled 'error' event.
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createPool } from "../src/db.ts";
import { createLogger } from "../src/log.ts";
import { ADMIN_URL } from "./helpers.ts";

describe("createPool", () => {
  it("survives the server dropping a checked-out client's connection, and logs it", async () => {
    const lines: string[] = [];
    const log = createLogger({ service: "test", level: "debug", write: (line) => lines.push(line) });
    const pool = createPool(ADMIN_URL, "USER_DATABASE_URL", log);
    const client = await pool.connect();
    const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    await admin.end();
    // The next query on the dead connection rejects; the 'error' event was handled, not thrown.
    await expect(client.query("SELECT 1")).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 200));
    client.release(true);
    expect(lines.some((line) => line.includes('"postgres_client_error"'))).toBe(true);
    // The pool replaces the broken client.
    expect((await pool.query<{ one: number }>("SELECT 1 AS one")).rows[0]?.one).toBe(1);
    await pool.end();
  });
});
