// The CLI as a user gets it: `npm pack` of this repository, installed offline into an empty
// folder that is not inside any checkout, then `npx railyard validate` in a small repository
// of the user's. The tarball must carry everything the CLI needs (action/dist is a bundle):
// no dependency is fetched, and nothing of this repository's node_modules is reachable.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";

const repoRoot = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "railyard-pack-"));
const userRepo = join(scratch, "user-repo");
let packed: { filename: string; files: { path: string }[]; name: string };

function npx(args: string[]) {
  return spawnSync("npx", ["--offline", "--no-install", ...args], {
    cwd: userRepo,
    encoding: "utf8",
    env: { ...process.env, RAILWAY_TOKEN: "", RAILWAY_API_TOKEN: "", npm_config_update_notifier: "false" },
  });
}

beforeAll(() => {
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", scratch], {
    cwd: repoRoot,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  [packed] = JSON.parse(out);
  mkdirSync(userRepo);
  writeFileSync(join(userRepo, "package.json"), '{ "name": "user-repo", "private": true }\n');
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", join(scratch, packed.filename)], {
    cwd: userRepo,
    stdio: ["ignore", "pipe", "pipe"],
  });
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("the published package", () => {
  test("holds the bundled CLI and action, the schema, README and LICENSE, and nothing else", () => {
    expect(packed.name).toBe("railyard-deploy");
    expect(packed.files.map((file) => file.path).sort()).toEqual([
      "LICENSE",
      "README.md",
      "action.yml",
      "action/dist/cli.js",
      "action/dist/main.js",
      "package.json",
      "schemas/railway.schema.json",
    ]);
    const manifest = JSON.parse(
      readFileSync(join(userRepo, "node_modules/railyard-deploy/package.json"), "utf8"),
    );
    expect(manifest.bin).toEqual({ railyard: "action/dist/cli.js" });
    expect(manifest.dependencies).toBeUndefined(); // the bundle is the whole program
    expect(manifest.private).toBeUndefined();
    // Installing it added no package besides itself.
    const lock = JSON.parse(readFileSync(join(userRepo, "package-lock.json"), "utf8"));
    expect(Object.keys(lock.packages).sort()).toEqual(["", "node_modules/railyard-deploy"]);
  });

  test("npx railyard validate passes a valid repository (exit 0) and names file:line in a broken one (exit 1)", () => {
    writeFileSync(
      join(userRepo, "railway.toml"),
      '[build]\nbuilder = "DOCKERFILE"\ndockerfilePath = "Dockerfile"\n\n[deploy]\nhealthcheckPath = "/health"\n\n[services.web]\n',
    );
    writeFileSync(join(userRepo, "Dockerfile"), "FROM node:24-slim\n");
    const ok = npx(["railyard", "validate"]);
    expect(ok.stdout + ok.stderr).not.toMatch(/\d+:\d+ error|\n\s+at /);
    expect(ok.status).toBe(0);

    writeFileSync(
      join(userRepo, "worker.railway.toml"),
      '[deploy]\nrestartPolicyType = "SOMETIMES"\n\n[services.worker]\n',
    );
    const bad = npx(["railyard", "validate", "worker.railway.toml"]);
    expect(bad.stdout).toMatch(
      /^worker\.railway\.toml:2:21 error bad-enum: `deploy\.restartPolicyType` must be one of/m,
    );
    expect(bad.stdout + bad.stderr).not.toMatch(/\n\s+at /);
    expect(bad.status).toBe(1);
  });

  test("npx railyard without a command is bad usage (exit 2)", () => {
    const usage = npx(["railyard"]);
    expect(usage.stdout + usage.stderr).toContain("railyard validate [files...]");
    expect(usage.status).toBe(2);
  });
});
