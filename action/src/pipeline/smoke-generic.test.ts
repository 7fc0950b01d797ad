// The smoke test for any app (no smoke roles): real HTTP servers on loopback answer the checks.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clipWords, genericTargets, runSmokeTests } from "./smoke.ts";

let server: Server;
let base = "";
const COMMIT = "0123456789abcdef0123456789abcdef01234567";

beforeAll(async () => {
  server = createServer((req, res) => {
    const routes: Record<string, [number, string]> = {
      "/": [200, "<html>hello</html>"],
      "/health": [200, JSON.stringify({ status: "ok", commit: COMMIT })],
      "/stale": [200, JSON.stringify({ gitSha: "fedcba9876543210" })],
      "/broken": [503, "down"],
      "/version": [200, JSON.stringify({ name: "app", version: "1.2.3" })],
    };
    const [status, body] = routes[req.url ?? "/"] ?? [404, "not found"];
    res.writeHead(status);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("genericTargets", () => {
  it("checks each deployed service with a domain at its healthcheckPath or /, and says why others are left out", () => {
    const { targets, skipped } = genericTargets([
      { service: "web", url: `${base}/`, healthcheckPath: null },
      { service: "api", url: base, healthcheckPath: "/health", expectedCommit: COMMIT },
      { service: "worker", healthcheckPath: "/health" },
      { service: "nightly", url: base, cronSchedule: "0 3 * * *" },
    ]);
    expect(targets).toEqual([
      { service: "web", url: base, path: "/" },
      { service: "api", url: base, path: "/health", expectedCommit: COMMIT },
    ]);
    expect(skipped.map((check) => [check.name, check.ok, check.skipped, check.detail])).toEqual([
      [
        "worker (generic check)",
        true,
        true,
        "has no domain in Railway, so it cannot be checked from outside (generate a domain to have it checked)",
      ],
      ["nightly (generic check)", true, true, "a cron job runs and exits: not checked over HTTP"],
    ]);
  });
});

describe("the generic check", () => {
  const run = (path: string, expectedCommit?: string) =>
    runSmokeTests({
      generic: [{ service: "app", url: base, path, ...(expectedCommit ? { expectedCommit } : {}) }],
      deadline: Date.now() + 300,
      intervalMs: 100,
    });

  it("passes on 2xx; checks the commit only where the app reports one", async () => {
    expect(await run("/", COMMIT)).toEqual([
      { name: "app / answers 2xx (generic check)", ok: true, detail: "HTTP 200" },
    ]);
    expect((await run("/version", COMMIT))[0]).toMatchObject({ ok: true, detail: "HTTP 200" });
    expect((await run("/health", COMMIT))[0]).toMatchObject({
      ok: true,
      detail: "HTTP 200, serves commit 0123456789ab",
    });
  });

  it("fails, saying why, on an error status or another commit", async () => {
    const [broken] = await run("/broken");
    expect(broken?.ok).toBe(false);
    expect(broken?.detail).toMatch(
      new RegExp(`^${base}/broken answered HTTP 503 \\(after \\d+ attempts?\\)$`),
    );
    const [stale] = await run("/stale", COMMIT);
    expect(stale?.ok).toBe(false);
    expect(stale?.detail).toContain("reports commit fedcba987654, expected 0123456789ab");
  });

  it("a declared API role whose version document reports no commit passes and says the commit is not checked", async () => {
    const [, version] = await runSmokeTests({
      api: { url: base, versionPath: "/version", healthPath: "/health", expectedCommit: COMMIT },
      deadline: Date.now() + 300,
      intervalMs: 100,
    });
    expect(version).toEqual({
      name: "api /version",
      ok: true,
      detail:
        "reports no commit (keys read: commit, commitSha, sha, gitCommit, gitSha, commit.sha), so the commit is not checked",
    });
  });
});

describe("clipWords", () => {
  it("never cuts a word", () => {
    expect(clipWords("the page shows the API call failing", 20)).toBe("the page shows the…");
    expect(clipWords("short", 20)).toBe("short");
  });
});
