// Red team, area "config rules": settings that were accepted silently although they can never
// work: watch patterns that can never match, a dockerfilePath above the repository root, and
// (in validate, which knows no Railway project) a misspelled environment name. Issue 13, "Low".
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../action/src/config/index.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "railyard-rules-"));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

interface Row {
  name: string;
  files: Record<string, string>;
  environment?: string;
  code?: string;
  severity?: "error" | "warning";
  suggestion?: string;
}

const watch = (patterns: string[]) => ({
  "backend/railway.toml": `[build]\nwatchPatterns = ${JSON.stringify(patterns)}\n[services.api]\n`,
});
const rows: Row[] = [
  { name: "watch pattern climbing with ..", files: watch(["/../shared/**"]), code: "bad-watch-pattern" },
  {
    name: "watch pattern with .. in the middle",
    files: watch(["/backend/../frontend/**"]),
    code: "bad-watch-pattern",
  },
  {
    name: "watch pattern with a ./ segment inside",
    files: watch(["/backend/./src/**"]),
    code: "bad-watch-pattern",
    suggestion: "/backend/src/**",
  },
  {
    name: "watch pattern with Windows separators",
    files: watch(["backend\\src\\**"]),
    code: "bad-watch-pattern",
    suggestion: "backend/src/**",
  },
  {
    name: "only negated watch patterns",
    files: watch(["!/backend/test/**", "!*.md"]),
    code: "bad-watch-pattern",
  },
  {
    name: "dockerfilePath climbing above the repository root",
    files: {
      "backend/railway.toml":
        '[build]\nbuilder = "DOCKERFILE"\ndockerfilePath = "../../etc/Dockerfile"\n[services.api]\n',
    },
    code: "dockerfile-outside-repository",
  },
  {
    name: "absolute dockerfilePath climbing above the root",
    files: { "railway.toml": '[build]\ndockerfilePath = "/../Dockerfile"\n[services.api]\n' },
    code: "dockerfile-outside-repository",
  },
  {
    name: "a misspelled environment in validate (against the run's environment)",
    files: { "railway.toml": "[services.api]\n[environments.prodution.deploy]\nnumReplicas = 2\n" },
    environment: "production",
    code: "unknown-environment",
    severity: "warning",
    suggestion: "production",
  },
  {
    name: "a misspelled environment in validate (against names used elsewhere)",
    files: {
      "a/railway.toml": "[services.a]\n[environments.staging.deploy]\nnumReplicas = 1\n",
      "b/railway.toml": "[services.b]\n[environments.staging.deploy]\nnumReplicas = 1\n",
      "c/railway.toml": "[services.c]\n[services.c.environments.stagign.deploy]\nnumReplicas = 1\n",
    },
    environment: "production",
    code: "unknown-environment",
    severity: "warning",
    suggestion: "staging",
  },
  // What must stay accepted.
  { name: "ordinary watch patterns", files: watch(["/backend/**", "!/backend/test/**", "*.md", "\\#notes"]) },
  {
    name: "dockerfilePath reaching a sibling folder inside the repository",
    files: {
      "backend/railway.toml": '[build]\ndockerfilePath = "../docker/Dockerfile"\n[services.api]\n',
      "docker/Dockerfile": "FROM scratch\n",
    },
  },
  {
    name: "two distinct environments used once each",
    files: {
      "railway.toml":
        "[services.api]\n[environments.staging.deploy]\nnumReplicas = 1\n[environments.qa.deploy]\nnumReplicas = 1\n",
    },
    environment: "production",
  },
];

describe("red team: config rules", () => {
  it.each(rows)("$name", async (row) => {
    const loaded = await loadConfig({
      repoDir: repo(row.files),
      ...(row.environment ? { environment: row.environment } : {}),
    });
    if (!row.code) {
      expect(loaded.findings).toEqual([]);
      return;
    }
    const hit = loaded.findings.find((f) => f.code === row.code);
    expect(hit, JSON.stringify(loaded.findings)).toBeDefined();
    expect(hit?.severity).toBe(row.severity ?? "error");
    if (row.suggestion) expect(hit?.suggestion).toContain(row.suggestion);
  });
});
