// planChanges against real temporary git repositories.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ServiceConfig } from "../config/types.ts";
import { type LiveService, planChanges } from "./changes.ts";
import { sourceTarball } from "./tarball.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function repo(): { dir: string; commit: (files: Record<string, string>, message?: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), "railyard-changes-"));
  dirs.push(dir);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  git("config", "user.email", "test@example.com");
  git("config", "user.name", "Test");
  return {
    dir,
    commit(files, message = "change") {
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
      git("add", "-A");
      git("commit", "-q", "-m", message);
      return git("rev-parse", "HEAD");
    },
  };
}

function service(
  name: string,
  watchPatterns: string[],
  liveCommit?: string,
  settingsDiffer = false,
): LiveService {
  const config: ServiceConfig = {
    name,
    file: `${name}/railway.toml`,
    rootDirectory: `/${name}`,
    requiredVariables: [],
    fixedVariables: {},
    dependsOn: [],
    location: { file: `${name}/railway.toml`, line: 1, column: 1 },
  };
  return {
    config,
    serviceId: `id-${name}`,
    live: liveCommit ? { id: `dep-${name}`, status: "SUCCESS", meta: { commitHash: liveCommit } } : undefined,
    settingsDiffer,
    source: "commit",
    wanted: { watchPatterns },
  };
}

describe("planChanges", () => {
  it("a service without watchPatterns is watched by its folder: another service's docs deploy nothing of it", async () => {
    const r = repo();
    const first = r.commit({ "web/a.ts": "1", "api/b.ts": "1", "api/README.md": "1" });
    const head = r.commit({ "api/README.md": "2" });
    const plans = await planChanges(
      r.dir,
      head,
      [service("web", [], first), service("api", [], first)],
      undefined,
      [],
    );
    expect(plans.map((p) => [p.service, p.deploy, p.reason])).toEqual([
      [
        "web",
        false,
        `no watched file changed since ${first.slice(0, 7)} (1 file changed elsewhere; watched by its folder /web (no watchPatterns))`,
      ],
      [
        "api",
        true,
        `1 watched file changed since ${first.slice(0, 7)} (api/README.md); watched by its folder /api (no watchPatterns)`,
      ],
    ]);
  });

  it("deploys only the services whose watched files changed", async () => {
    const r = repo();
    const first = r.commit({ "frontend/a.ts": "1", "backend/b.ts": "1", "backend/test/t.ts": "1" });
    const head = r.commit({ "frontend/a.ts": "2", "backend/test/t.ts": "2" });
    const notes: string[] = [];
    const plans = await planChanges(
      r.dir,
      head,
      [
        service("frontend", ["/frontend/**"], first),
        service("backend", ["/backend/**", "!/backend/test/**"], first),
      ],
      undefined,
      notes,
    );
    expect(plans.map((p) => [p.service, p.deploy])).toEqual([
      ["frontend", true],
      ["backend", false],
    ]);
    expect(plans[0]?.reason).toContain("1 watched file changed");
    expect(plans[0]?.changedFiles).toEqual(["frontend/a.ts"]);
    expect(plans[1]?.reason).toContain("no watched file changed");
  });

  it("deploys a service without a live deployment, and one whose settings differ", async () => {
    const r = repo();
    const head = r.commit({ "x.txt": "1" });
    const plans = await planChanges(
      r.dir,
      head,
      [service("new", ["/new/**"]), service("tuned", ["/tuned/**"], head, true)],
      undefined,
      [],
    );
    expect(plans.map((p) => [p.deploy, p.reason])).toEqual([
      [true, "no live deployment in this environment"],
      [true, `settings differ from Railway (live runs this commit ${head.slice(0, 7)})`],
    ]);
  });

  it("deploys and explains when the live commit is not an ancestor (force-push)", async () => {
    const r = repo();
    const base = r.commit({ "a/x": "1" });
    const lost = r.commit({ "a/x": "2" }, "lost");
    execFileSync("git", ["reset", "-q", "--hard", base], { cwd: r.dir });
    const head = r.commit({ "b/y": "1" }, "rewritten");
    const plans = await planChanges(r.dir, head, [service("a", ["/a/**"], lost)], undefined, []);
    expect(plans[0]?.deploy).toBe(true);
    expect(plans[0]?.reason).toContain("not an ancestor");
  });

  it("deploys when the live commit is unknown to the repository", async () => {
    const r = repo();
    const head = r.commit({ "a/x": "1" });
    const plans = await planChanges(r.dir, head, [service("a", ["/a/**"], "f".repeat(40))], undefined, []);
    expect(plans[0]?.deploy).toBe(true);
    expect(plans[0]?.reason).toContain("not in this repository's history");
  });

  it("fetches history in a shallow clone before deciding", async () => {
    const r = repo();
    const first = r.commit({ "a/x": "1" });
    r.commit({ "b/y": "1" });
    const clone = mkdtempSync(join(tmpdir(), "railyard-shallow-"));
    dirs.push(clone);
    execFileSync("git", ["clone", "-q", "--depth=1", `file://${r.dir}`, clone]);
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: clone, encoding: "utf8" }).trim();
    const notes: string[] = [];
    const plans = await planChanges(clone, head, [service("a", ["/a/**"], first)], undefined, notes);
    expect(notes[0]).toContain("shallow clone");
    expect(plans[0]?.deploy).toBe(false);
    expect(plans[0]?.reason).toContain("no watched file changed");
  });

  it("follows an explicit dispatch list", async () => {
    const r = repo();
    const head = r.commit({ "a/x": "1" });
    const plans = await planChanges(r.dir, head, [service("a", [], head), service("b", [], head)], ["b"], []);
    expect(plans.map((p) => p.deploy)).toEqual([false, true]);
    const all = await planChanges(r.dir, head, [service("a", [], head), service("b", [], head)], "all", []);
    expect(all.map((p) => p.deploy)).toEqual([true, true]);
  });
});

describe("sourceTarball", () => {
  it("packs the commit's tracked files, minus .railwayignore and node_modules", async () => {
    const r = repo();
    const sha = r.commit({
      "backend/src/api.ts": "export {}",
      "backend/secret.env": "X=1",
      ".railwayignore": "*.env\n",
      "vendor/node_modules/pkg/index.js": "x",
      [`deep/${"d".repeat(120)}/file.txt`]: "long path",
    });
    writeFileSync(join(r.dir, "backend/src/api.ts"), "uncommitted change");
    const { tarball } = await sourceTarball(r.dir, sha);
    const out = mkdtempSync(join(tmpdir(), "railyard-untar-"));
    dirs.push(out);
    writeFileSync(join(out, "src.tgz"), tarball);
    const listed = execFileSync("tar", ["-tzf", join(out, "src.tgz")], { encoding: "utf8" })
      .trim()
      .split("\n")
      .sort();
    expect(listed).toEqual([".railwayignore", "backend/src/api.ts", `deep/${"d".repeat(120)}/file.txt`]);
    execFileSync("tar", ["-xzf", join(out, "src.tgz"), "-C", out]);
    expect(execFileSync("cat", [join(out, "backend/src/api.ts")], { encoding: "utf8" })).toBe("export {}");
  });
});
