// loadConfig end to end: discovery, checks that read the disk, checks across files,
// the project's own config files, and bad input that must never throw.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { discoverConfigFiles, formatFindings, loadConfig } from "./index.ts";

const repoDir = fileURLToPath(new URL("../../../", import.meta.url));
const repos = fileURLToPath(new URL("../../../test/fixtures/config/repos/", import.meta.url));
const temporary: string[] = [];

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "railyard-config-"));
  temporary.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

const brief = (config: Awaited<ReturnType<typeof loadConfig>>) =>
  config.findings.map(
    (f) => `${f.location.file}:${f.location.line}:${f.location.column} ${f.code}: ${f.message}`,
  );

describe("loadConfig", () => {
  it("validates the project's backend and frontend railway.toml without a finding", async () => {
    const config = await loadConfig({
      repoDir,
      files: ["backend/railway.toml", "frontend/railway.toml"],
      environments: ["production"],
    });
    expect(formatFindings(config.findings)).toBe("no problems found");
    expect(config.files.map((file) => [file.path, file.rootDirectory])).toEqual([
      ["backend/railway.toml", "/backend"],
      ["frontend/railway.toml", "/frontend"],
    ]);
  });

  it("discovers railway.toml and railway.json, skipping node_modules, .git and fixtures", () => {
    const text = '[deploy]\nstartCommand = "a"\n';
    const dir = scratch({
      "railway.toml": text,
      "svc/railway.toml": text,
      "web/railway.json": "{}",
      "web/railway.yaml": "x",
      "svc/node_modules/dep/railway.toml": text,
      ".git/railway.toml": text,
      "test/fixtures/railway.toml": text,
    });
    expect(discoverConfigFiles(dir)).toEqual(["railway.toml", "svc/railway.toml", "web/railway.json"]);
  });

  it("finds Dockerfiles from the service root, and from the repo root with a leading /", async () => {
    const config = await loadConfig({ repoDir: join(repos, "dockerfiles") });
    expect(brief(config)).toEqual([
      "worker/railway.toml:2:11 dockerfile-not-found: builder is DOCKERFILE but there is no Dockerfile at worker/Dockerfile",
      'worker/railway.toml:7:18 dockerfile-not-found: Dockerfile "Dockerfile.cron" not found (looked for worker/Dockerfile.cron)',
    ]);
    const skipped = await loadConfig({ repoDir: join(repos, "dockerfiles"), checkFilesystem: false });
    expect(skipped.findings).toEqual([]);
  });

  it("reports a service defined in two files, and dependsOn across files", async () => {
    const config = await loadConfig({ repoDir: join(repos, "duplicate-service") });
    expect(brief(config)).toEqual([
      "b/railway.json:3:5 duplicate-service: service `api` is already defined in a/railway.toml:1",
      "b/railway.json:3:28 unknown-service: `dependsOn` names `web`, which no railway.toml defines",
    ]);
  });

  it("allows `pr` and known environments, and checks nothing when the project could not be read", async () => {
    const dir = scratch({
      "railway.toml":
        "[environments.pr.deploy]\nnumReplicas = 1\n[services.api.environments.Production.deploy]\nnumReplicas = 2\n",
    });
    const known = await loadConfig({ repoDir: dir, environments: ["production"] });
    expect(known.findings.map((f) => [f.code, f.location.line, f.location.column, f.suggestion])).toEqual([
      ["unknown-environment", 3, 28, "did you mean `production`?"],
    ]);
    const unknown = await loadConfig({ repoDir: dir });
    expect(unknown.findings).toEqual([]);
  });

  it("turns unreadable and odd input into findings instead of throwing", async () => {
    const dir = scratch({
      "a/railway.json": "[1, 2]",
      "b/railway.json": '"just a string"',
      "c/railway.toml": "\u0000\u0001binary",
      "d/railway.json": "",
    });
    const config = await loadConfig({
      repoDir: dir,
      files: ["a/railway.json", "b/railway.json", "c/railway.toml", "d/railway.json", "missing/railway.toml"],
    });
    expect(brief(config)).toEqual([
      "a/railway.json:1:1 wrong-type: the file must be a table, not an array",
      "b/railway.json:1:1 wrong-type: the file must be a table, not a string",
      'c/railway.toml:1:1 toml-syntax: TOML syntax error: Unknown character "0"',
      "d/railway.json:1:1 json-syntax: JSON syntax error: unexpected end of file",
      "missing/railway.toml:1:1 file-not-found: cannot read missing/railway.toml",
    ]);
  });

  it("reads CRLF line endings and a byte-order mark, with the same positions", async () => {
    const dir = scratch({
      "a/railway.toml": '\uFEFF[build]\r\nbuilder = "x"\r\n[deploy]\r\n  startComand = "a"\r\n',
      "b/railway.json": '\uFEFF{\r\n  "deploy": { "startComand": "a", "numReplicas": 1e400 }\r\n}',
    });
    const config = await loadConfig({ repoDir: dir });
    expect(brief(config)).toEqual([
      'a/railway.toml:2:11 bad-enum: `build.builder` must be one of RAILPACK, DOCKERFILE, NIXPACKS, HEROKU, PAKETO (any letter case), not "x"',
      "a/railway.toml:4:3 unknown-key: unknown key `startComand` in [deploy]",
      "b/railway.json:2:50 json-syntax: JSON syntax error: number 1e400 is out of range",
    ]);
  });

  it("reports absurdly deep nesting as a finding, not a stack overflow", async () => {
    const depth = 20_000;
    const dir = scratch({
      "a/railway.toml": `deep = ${"[".repeat(depth)}${"]".repeat(depth)}\n`,
      "b/railway.json": `{"deep": ${"[".repeat(depth)}${"]".repeat(depth)}}`,
      "c/railway.toml": `[${Array.from({ length: depth }, () => "a").join(".")}]\n`,
    });
    const config = await loadConfig({ repoDir: dir });
    expect(brief(config)).toEqual([
      "a/railway.toml:1:1 too-deep: the file nests tables or arrays too deeply to be read",
      "b/railway.json:1:1 too-deep: the file nests tables or arrays too deeply to be read",
      "c/railway.toml:1:1 too-deep: the file nests tables or arrays too deeply to be read",
    ]);
  });

  it("never puts a fixed variable's value or a registry password in a message", async () => {
    const dir = scratch({
      "railway.toml":
        '[deploy.registryCredentials]\nusername = 5\npassword = "hunter2-secret"\n[services.api.variables]\nset = { "BAD-NAME" = "s3cr3t-value" }\n',
    });
    const config = await loadConfig({ repoDir: dir });
    expect(config.findings.length).toBe(2);
    const text = formatFindings(config.findings);
    expect(text).not.toContain("hunter2-secret");
    expect(text).not.toContain("s3cr3t-value");
  });
});

describe("formatFindings", () => {
  const findings = [
    {
      severity: "warning" as const,
      code: "cron-too-frequent",
      message: "`deploy.cronSchedule` runs more often than every 5 minutes, which Railway does not allow",
      location: { file: "worker/railway.toml", line: 3, column: 16 },
    },
    {
      severity: "error" as const,
      code: "unknown-key",
      message: "unknown key `startComand` in [deploy]",
      suggestion: "did you mean `startCommand`?",
      location: { file: "backend/railway.toml", line: 12, column: 3 },
    },
    {
      severity: "error" as const,
      code: "bad-path",
      message: '`deploy.healthcheckPath` must start with `/`, got "health"',
      location: { file: "backend/railway.toml", line: 4, column: 19 },
    },
  ];

  it("sorts by file and position, shows suggestions, and ends with a summary", () => {
    expect(formatFindings(findings)).toBe(
      [
        'backend/railway.toml:4:19 error bad-path: `deploy.healthcheckPath` must start with `/`, got "health"',
        "backend/railway.toml:12:3 error unknown-key: unknown key `startComand` in [deploy]  (did you mean `startCommand`?)",
        "worker/railway.toml:3:16 warning cron-too-frequent: `deploy.cronSchedule` runs more often than every 5 minutes, which Railway does not allow",
        "2 errors, 1 warning in 2 files",
      ].join("\n"),
    );
  });

  it("colours severities only when asked", () => {
    const coloured = formatFindings(findings, { color: true });
    expect(coloured).toContain("\u001b[31merror\u001b[0m");
    expect(coloured).toContain("\u001b[33mwarning\u001b[0m");
    expect(formatFindings(findings)).not.toContain("\u001b[");
  });

  it("says so when there is nothing to report", () => {
    expect(formatFindings([])).toBe("no problems found");
  });
});
