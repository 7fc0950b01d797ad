import { describe, expect, it } from "vitest";
import { triggeringFiles, unmatchedWatchPatterns, watchMatcher, watchScope } from "./watch.ts";

describe("watch patterns", () => {
  const backend = ["/backend/**", "!/backend/test/**", "!/backend/**/*.md"];

  it("matches files under an anchored folder", () => {
    const m = watchMatcher(backend);
    expect(m.matches("backend/src/api.ts")).toBe(true);
    expect(m.matches("backend/Dockerfile")).toBe(true);
  });

  it("lets negated patterns exclude tests and docs", () => {
    const m = watchMatcher(backend);
    expect(m.matches("backend/test/api.test.ts")).toBe(false);
    expect(m.matches("backend/README.md")).toBe(false);
    expect(m.matches("backend/src/notes.md")).toBe(false);
  });

  it("does not match the same folder name elsewhere, because the pattern is anchored", () => {
    const m = watchMatcher(backend);
    expect(m.matches("frontend/backend/x.ts")).toBe(false);
    expect(m.matches("backend-tools/x.ts")).toBe(false);
  });

  it("matches unanchored patterns at any depth", () => {
    const m = watchMatcher(["*.sql"]);
    expect(m.matches("db/migrations/001.sql")).toBe(true);
    expect(m.matches("db/migrations/001.ts")).toBe(false);
  });

  it("counts every change when a service has no watch patterns", () => {
    expect(triggeringFiles(["a.txt", "b/c.ts"], [])).toEqual(["a.txt", "b/c.ts"]);
    expect(triggeringFiles(["a.txt"], undefined)).toEqual(["a.txt"]);
  });

  it("returns only the triggering files", () => {
    const changed = ["frontend/app/page.tsx", "backend/src/db.ts", "backend/test/db.test.ts", "README.md"];
    expect(triggeringFiles(changed, backend)).toEqual(["backend/src/db.ts"]);
    expect(triggeringFiles(changed, ["/frontend/**"])).toEqual(["frontend/app/page.tsx"]);
  });
});

describe("watchScope: what a service without watchPatterns is watched by", () => {
  it("keeps declared patterns", () => {
    expect(watchScope(["/web/**"], { file: "web/railway.toml", rootDirectory: "/web" })).toEqual({
      patterns: ["/web/**"],
      implicit: false,
      description: "its watchPatterns",
    });
  });

  it("a file in a sub-folder: its folder, even when the service's root directory is the repository root", () => {
    const scope = watchScope(undefined, {
      file: "haproxy/railway.toml",
      rootDirectory: "/",
      dockerfile: "/haproxy/Dockerfile",
    });
    expect(scope).toEqual({
      patterns: ["/haproxy/**"],
      implicit: true,
      description: "its folder /haproxy (no watchPatterns)",
    });
    expect(triggeringFiles(["api/README.md", "haproxy/haproxy.cfg"], scope.patterns)).toEqual([
      "haproxy/haproxy.cfg",
    ]);
  });

  it("adds a Dockerfile that sits outside the folder", () => {
    expect(
      watchScope([], { file: "apps/api/railway.toml", rootDirectory: "/", dockerfile: "/Dockerfile.api" })
        .patterns,
    ).toEqual(["/apps/api/**", "/Dockerfile.api"]);
  });

  it("a root file: the service's root directory, or the whole repository at root /", () => {
    expect(watchScope(undefined, { file: "railway.toml", rootDirectory: "/server" }).patterns).toEqual([
      "/server/**",
    ]);
    const whole = watchScope(undefined, { file: "railway.toml", rootDirectory: "/" });
    expect(whole.patterns).toEqual([]);
    expect(triggeringFiles(["README.md"], whole.patterns)).toEqual(["README.md"]);
  });
});

describe("watch patterns that match no file", () => {
  const files = ["backend/src/index.ts", "backend/package.json", "frontend/app/page.tsx", "README.md"];
  const service = (patterns: string[], rootDirectory = "/backend") => ({
    name: "api",
    rootDirectory,
    patterns,
  });

  it("say nothing when a pattern matches a file from the repository root", () => {
    expect(unmatchedWatchPatterns(files, service(["/backend/**"]))).toBeUndefined();
    expect(unmatchedWatchPatterns(files, service(["**/*.md"]))).toBeUndefined();
    expect(unmatchedWatchPatterns(files, service([]))).toBeUndefined();
  });

  it("name the patterns written from the root directory, and what to write instead", () => {
    expect(unmatchedWatchPatterns(files, service(["src/**", "!src/**/*.test.ts"]))).toBe(
      'api: watchPatterns "src/**", "!src/**/*.test.ts" match no file of the repository, but would match 1 file read from its root directory /backend; Railway matches them from the repository root, so no change deploys it. Write "/backend/src/**", "!/backend/src/**/*.test.ts"',
    );
  });

  it("say plainly when the patterns match nothing from either root", () => {
    expect(unmatchedWatchPatterns(files, service(["/services/api/**"], "/"))).toBe(
      'api: watchPatterns "/services/api/**" match no file of the repository (Railway matches them from the repository root), so no change deploys it',
    );
  });
});
