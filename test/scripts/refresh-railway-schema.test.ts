// scripts/refresh-railway-schema.mjs: the repository's copy of Railway's schema, its SDL and
// its README's Source line are refreshed together from a newer introspection result.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSchema, introspectionFromSchema } from "graphql";
import { afterAll, describe, expect, test } from "vitest";

const repoRoot = resolve(import.meta.dirname, "../..");
const data = join(repoRoot, "test/data/railway");
const script = join(repoRoot, "scripts/refresh-railway-schema.mjs");
const scratch = mkdtempSync(join(tmpdir(), "railyard-schema-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const refresh = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: "utf8" });

function outDir(): string {
  const dir = mkdtempSync(join(scratch, "out-"));
  copyFileSync(join(data, "README.md"), join(dir, "README.md"));
  return dir;
}

describe("the repository's copy of Railway's schema", () => {
  test("is what the script writes from it: SDL and Source line agree with schema.json", () => {
    const dir = outDir();
    const readme = readFileSync(join(data, "README.md"), "utf8");
    const source = /^Source: (.*); \d+ types; sha256 of schema\.json [0-9a-f]{64}\.$/m.exec(readme)?.[1];
    expect(source).toBeDefined();
    const run = refresh(join(data, "schema.json"), "--source", source as string, "--out", dir);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    for (const file of ["schema.json", "schema.graphql", "README.md"])
      expect(readFileSync(join(dir, file), "utf8"), file).toBe(readFileSync(join(data, file), "utf8"));
  });
});

describe("refresh-railway-schema", () => {
  test("writes the newer schema, its SDL and the Source line with the type count and checksum", () => {
    const dir = outDir();
    const newer = join(scratch, "newer.json");
    const introspection = introspectionFromSchema(
      buildSchema("type Query { project(id: String!): Project }\ntype Project { id: ID! name: String! }"),
    );
    writeFileSync(newer, JSON.stringify(introspection)); // the bare form, without "data"
    const run = refresh(newer, "--source", "railwayapp/cli src/gql/schema.json, CLI v9.9", "--out", dir);
    expect(run.status).toBe(0);
    const json = readFileSync(join(dir, "schema.json"), "utf8");
    expect(JSON.parse(json)).toEqual({ data: introspection });
    expect(readFileSync(join(dir, "schema.graphql"), "utf8")).toContain(
      "type Project {\n  id: ID!\n  name: String!\n}\n",
    );
    const sha = createHash("sha256").update(json).digest("hex");
    const types = introspection.__schema.types.length;
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    expect(readme).toContain(
      `\nSource: railwayapp/cli src/gql/schema.json, CLI v9.9; ${types} types; sha256 of schema.json ${sha}.\n`,
    );
    expect(readme).toContain("Copyright (c) 2023 Railway Corp.");
  });

  test("refuses a file that is not an introspection result, and writes nothing", () => {
    const dir = outDir();
    const bad = join(scratch, "bad.json");
    writeFileSync(bad, '{"data": {"project": {}}}');
    const run = refresh(bad, "--source", "x", "--out", dir);
    expect(run.stderr.trim()).toBe(
      `railyard refresh-railway-schema: ${bad}: no "__schema" (expected an introspection result)`,
    );
    expect(run.status).toBe(1);
    expect(existsSync(join(dir, "schema.json"))).toBe(false);
    expect(readFileSync(join(dir, "README.md"), "utf8")).toBe(readFileSync(join(data, "README.md"), "utf8"));
  });

  test("needs the file and where it came from (exit 2)", () => {
    expect(refresh().status).toBe(2);
    const run = refresh(join(data, "schema.json"));
    expect(run.stderr).toMatch(/^railyard refresh-railway-schema: usage: /);
    expect(run.status).toBe(2);
  });
});
