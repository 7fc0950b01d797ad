// The declarations that make an empty Railway project the platform: databases, sources,
// domains, references and generated secrets, with positions and suggestions like every key.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { generatorOf } from "./declare.ts";
import { loadConfig } from "./index.ts";

const repoDir = fileURLToPath(new URL("../../../", import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function load(text: string) {
  const dir = mkdtempSync(join(tmpdir(), "railyard-declare-"));
  dirs.push(dir);
  mkdirSync(join(dir, "app"));
  writeFileSync(join(dir, "app/railway.toml"), text);
  return loadConfig({ repoDir: dir, checkFilesystem: false });
}

describe("declared resources", () => {
  it("this repository declares the whole platform: four services, three databases, references, one generated key", async () => {
    const config = await loadConfig({ repoDir });
    expect(config.findings.filter((f) => f.severity === "error")).toEqual([]);
    expect(config.databases.map((d) => [d.name, d.kind, d.mountPath])).toEqual([
      ["User Data DB", "postgres", "/var/lib/postgresql/data"],
      ["General Data DB", "postgres", "/var/lib/postgresql/data"],
      ["Redis", "redis", "/data"],
    ]);
    const byName = Object.fromEntries(config.services.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(["api", "data-poller", "frontend", "trading-engine"]);
    for (const service of Object.values(byName)) expect(service.source?.repo).toBe("railyard/railyard");
    expect(byName.api?.generatedVariables).toEqual({
      MASTER_ENCRYPTION_KEY: 'secret(64, "0123456789abcdef")',
    });
    // The generated secret is never a value to set: it is not among the fixed variables.
    expect(byName.api?.fixedVariables.MASTER_ENCRYPTION_KEY).toBeUndefined();
    expect(byName["data-poller"]?.fixedVariables).toMatchObject({
      USER_DATABASE_URL: "${{User Data DB.DATABASE_URL}}",
      GENERAL_DATABASE_URL: "${{General Data DB.DATABASE_URL}}",
      REDIS_URL: "${{Redis.REDIS_URL}}",
      MASTER_ENCRYPTION_KEY: "${{api.MASTER_ENCRYPTION_KEY}}",
    });
    expect(byName.frontend?.fixedVariables.NEXT_PUBLIC_API_URL).toBe(
      "https://${{api.RAILWAY_PUBLIC_DOMAIN}}",
    );
    expect(byName.api?.domains).toEqual({ railway: true, custom: ["api.railyard.example"] });
  });

  it("points at each mistake with its line, column and a suggestion", async () => {
    const config = await load(
      [
        "[databases.Bad]", // 1
        'kidn = "redis"', // 2
        "[databases.Cache]", // 3
        'kind = "redis"', // 4
        "[services.api]", // 5
        'source = { repo = "a/b", image = "x" }', // 6
        'domains = { railwy = true, custom = ["api.example.com"] }', // 7
        "[services.api.variables]", // 8
        'set = { A = "x${{ secret(8) }}", B = "${{Cach.REDIS_URL}}" }', // 9
        "[services.web]", // 10
        'domains = { custom = ["api.example.com"] }', // 11
      ].join("\n"),
    );
    const found = config.findings.map((f) =>
      `${f.location.line}:${f.location.column} ${f.code} ${f.suggestion ?? ""}`.trim(),
    );
    expect(found).toContain("1:12 missing-key");
    expect(found).toContain("2:1 unknown-key");
    expect(found).toContain("6:1 source-repo-and-image keep `repo` (with `branch`) or `image`");
    expect(found).toContain("7:13 unknown-key did you mean `railway`?");
    expect(found).toContain("9:13 bad-secret");
    expect(found).toContain("9:38 unknown-reference did you mean `Cache`?");
    expect(found).toContain("11:23 duplicate-domain");
  });

  it("reads `${{ secret(N) }}` only as a whole value", () => {
    expect(generatorOf("${{ secret(32) }}")).toBe("secret(32)");
    expect(generatorOf('${{secret(16,"ab")}}')).toBe('secret(16, "ab")');
    expect(generatorOf("x${{ secret(32) }}")).toBeUndefined();
    expect(generatorOf("${{ api.SECRET }}")).toBeUndefined();
  });
});
