// Adopting Railyard in repositories written for Railway alone: each fixture is validated,
// planned and deployed to the emulator unchanged (real processes), a commit in one part deploys
// only that part, and the run's reports say how each service was found and checked.
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { cli } from "../../action/src/cli.ts";
import { GENERIC_SMOKE_NOTE } from "../../action/src/pipeline/smoke.ts";
import { deployedBy, type ForeignProject, fixtureRepo, foreignProject } from "./adoption-helpers.ts";

const projects: ForeignProject[] = [];
afterEach(async () => {
  for (const project of projects.splice(0)) await project.stop();
});

async function project(...args: Parameters<typeof foreignProject>): Promise<ForeignProject> {
  const started = await foreignProject(...args);
  projects.push(started);
  return started;
}

/** Runs the CLI in `dir`, capturing what it prints. */
async function railyard(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  const log = console.log;
  const error = console.error;
  const cwd = process.cwd();
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  console.error = (...parts: unknown[]) => lines.push(parts.join(" "));
  process.chdir(dir);
  try {
    const code = await cli(args, env);
    return { code, output: lines.join("\n") };
  } finally {
    process.chdir(cwd);
    console.log = log;
    console.error = error;
  }
}

describe("a single-service Express API with a root railway.toml and no Railyard tables", () => {
  it("validates with exit 0, deploys through the link Railway made, and keeps that link", async () => {
    const repo = fixtureRepo("express-api");
    expect((await railyard(repo.dir, ["validate"])).code).toBe(0);
    const p = await project(repo, [{ name: "orders-api", settings: { railwayConfigFile: "/railway.toml" } }]);

    const first = await p.run({});
    expect(first.reason).toBeUndefined();
    expect(first.ok).toBe(true);
    expect(deployedBy(first)).toEqual(["orders-api"]);
    // No smoke roles: the generic check, and the plan says so.
    expect(first.notes).toContain(GENERIC_SMOKE_NOTE);
    expect(first.smoke).toEqual([
      { name: "orders-api /health answers 2xx (generic check)", ok: true, detail: "HTTP 200" },
    ]);
    expect(first.notes).toContain(
      "orders-api: configured by railway.toml (its Railway Config File setting names it)",
    );
    expect(first.deployments.map((d) => d.status)).toEqual(["SUCCESS"]);

    const api = p.client();
    const live = await api.serviceInstance("env-production", "svc-0");
    expect(live.healthcheckPath).toBe("/health");
    expect(live.rootDirectory ?? "/").toBe("/");
    // Railway's IaC clears the Config File setting; the link is remembered in a variable.
    expect(live.railwayConfigFile ?? "").toBe("");
    const variables = await api.variablesForDeployment("proj-adopt", "env-production", "svc-0");
    expect(variables.RAILYARD_CONFIG_FILE).toBe("/railway.toml");

    const second = await p.run({ smoke: false });
    expect(second.ok).toBe(true);
    expect(second.notes).toContain(
      "orders-api: configured by railway.toml (remembered in its RAILYARD_CONFIG_FILE variable)",
    );
    expect(deployedBy(second)).toEqual([]);
  });

  it("without a link, plan stops with exit 2 and one message naming the file and the three ways to link it", async () => {
    const repo = fixtureRepo("express-api");
    const p = await project(repo, [{ name: "orders-api" }], "simulated");
    const { code, output } = await railyard(repo.dir, ["plan", "--endpoint", p.graphqlUrl], {
      RAILWAY_TOKEN: p.token,
    });
    expect(code).toBe(2);
    expect(output).toContain(
      'no Railway service is linked to railway.toml (Railway services: orders-api). Link it in one of three ways: set the service\'s "Railway Config File" setting in Railway to /railway.toml; or pass service-configs: <service>=railway.toml (CLI: --service-configs); or give the file a [services.<service>] table',
    );
    // The mapping links it, and the first deploy remembers the link in Railway.
    const linked = await p.run({ serviceConfigs: { "orders-api": "railway.toml" }, smoke: false });
    expect(linked.ok).toBe(true);
    const later = await p.run({ mode: "plan" });
    expect(later.ok).toBe(true);
    expect(later.plan.map((plan) => plan.service)).toEqual(["orders-api"]);
    // A config edited but not committed: read from disk, yet the commit is what deploys.
    writeFileSync(
      `${repo.dir}/railway.toml`,
      `${readFileSync(`${repo.dir}/railway.toml`, "utf8")}\n# edited\n`,
    );
    const dirty = await p.run({ mode: "plan" });
    expect(dirty.notes).toContain(
      `the working tree differs from commit ${repo.head().slice(0, 7)} (1 file: railway.toml): settings are read from the files on disk, but the deploy is of the commit; commit the changes, or deploy from a clean checkout`,
    );
    expect(dirty.events).toContainEqual({
      kind: "warning",
      message: expect.stringContaining("working tree differs"),
    });
  });
});

describe("watch patterns that can never match", () => {
  it("plan says so, naming the patterns, before a push that changes the app deploys nothing", async () => {
    const repo = fixtureRepo("express-api");
    // Written as if Railway matched from a folder the app does not have.
    const toml = readFileSync(`${repo.dir}/railway.toml`, "utf8").replace(
      "[build]\n",
      '[build]\nwatchPatterns = ["/services/orders/**"]\n',
    );
    repo.commit({ "railway.toml": toml }, "watch the orders folder");
    const p = await project(repo, [{ name: "orders-api", settings: { railwayConfigFile: "/railway.toml" } }]);
    const plan = await p.run({ mode: "plan" });
    expect(plan.reason).toBeUndefined();
    expect(plan.notes).toContain(
      'orders-api: watchPatterns "/services/orders/**" match no file of the repository (Railway matches them from the repository root), so no change deploys it',
    );
  });
});

describe("a crash loop in a foreign app (issue 10, item 5)", () => {
  it("an Express API that crashes after its health check passes fails the run and is rolled back, though Railway says SUCCESS", async () => {
    const repo = fixtureRepo("express-api");
    const p = await project(repo, [{ name: "orders-api", settings: { railwayConfigFile: "/railway.toml" } }]);
    const first = await p.run({ smoke: false });
    expect(first.ok).toBe(true);
    const good = first.deployments[0]?.deploymentId;

    // The app's own bug, no injected fault: it serves /health, then throws a moment later;
    // its restart policy (ON_FAILURE, 10 retries) starts it again and again.
    const server = readFileSync(`${repo.dir}/src/server.js`, "utf8");
    repo.commit(
      {
        "src/server.js": `${server}setTimeout(() => {\n  throw new Error("orders cache corrupted");\n}, 2_500);\n`,
      },
      "orders: warm the cache",
    );
    const result = await p.run({ smoke: false, stabilityMs: 6_000 });
    expect(result.ok).toBe(false);
    const loop = result.deployments[0];
    expect(loop?.status).toBe("CRASHED");
    expect(loop?.failure?.message).toMatch(
      /reached SUCCESS, but its instance \S+ \d+ times? within the 6-second stability window: a crash loop/,
    );
    expect(result.reason).toContain("crash loop");

    // Railway's view: the deployment reached SUCCESS (and stayed there until the rollback
    // replaced it), while its instance ran more than once, crashing.
    expect(
      result.events.some(
        (e) => e.kind === "deployment" && e.deploymentId === loop?.deploymentId && e.status === "SUCCESS",
      ),
    ).toBe(true);
    const api = p.client();
    expect((await api.deployment(loop?.deploymentId ?? "")).status).toBe("REMOVED");
    const runs = (await api.instanceExecutions("env-production", "svc-0")).filter(
      (e) => e.deploymentId === loop?.deploymentId,
    );
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.map((e) => e.status)).toContain("CRASHED");
    // Rolled back to the deployment that served before, which serves again.
    expect(result.rollbacks).toEqual([
      expect.objectContaining({ service: "orders-api", toDeploymentId: good, ok: true }),
    ]);
  });
});

describe("a railway.json with $schema, nulls and lower-case enums", () => {
  it("validates, deploys unchanged with Railway's upper-case settings, and passes the generic check", async () => {
    const repo = fixtureRepo("node-json");
    expect((await railyard(repo.dir, ["validate"])).code).toBe(0);
    const p = await project(repo, [
      { name: "status-page", settings: { railwayConfigFile: "/railway.json" } },
    ]);
    const result = await p.run({});
    expect(result.reason).toBeUndefined();
    expect(deployedBy(result)).toEqual(["status-page"]);
    expect(result.smoke).toEqual([
      { name: "status-page / answers 2xx (generic check)", ok: true, detail: "HTTP 200" },
    ]);
    const live = await p.client().serviceInstance("env-production", "svc-0");
    expect([live.builder, live.restartPolicyType, live.startCommand]).toEqual([
      "RAILPACK",
      "ON_FAILURE",
      "node index.js",
    ]);
  });
});

describe("a monorepo: two sub-folder files whose dockerfilePath is written from the repository root", () => {
  it("deploys both from root directory /, then only the part a commit touches; root docs deploy nothing", async () => {
    const repo = fixtureRepo("monorepo");
    expect((await railyard(repo.dir, ["validate"])).code).toBe(0);
    const p = await project(repo, [
      { name: "web", settings: { railwayConfigFile: "/apps/web/railway.toml" } },
      { name: "api", settings: { railwayConfigFile: "/apps/api/railway.toml" } },
    ]);
    const first = await p.run({});
    expect(first.reason).toBeUndefined();
    expect(deployedBy(first)).toEqual(["api", "web"]);
    // The api's health check reports the commit, so the generic check compares it.
    expect(first.smoke.find((check) => check.name.startsWith("api"))?.detail).toBe(
      `HTTP 200, serves commit ${first.commitSha?.slice(0, 12)}`,
    );
    expect(first.smoke.every((check) => check.ok)).toBe(true);

    repo.commit({ "docs/architecture.md": "# Architecture\n\nTwo services.\n" }, "docs");
    const docs = await p.run({});
    expect(deployedBy(docs)).toEqual([]);
    expect(docs.plan.find((plan) => plan.service === "web")?.reason).toContain(
      "watched by its folder /apps/web (no watchPatterns)",
    );

    repo.commit({ "apps/api/README.md": "# api\n\nRoutes: /items, /healthz.\n" }, "api docs");
    const api = await p.run({});
    expect(api.ok).toBe(true);
    expect(deployedBy(api)).toEqual(["api"]);
  });
});

describe("a cron worker", () => {
  it("deploys unchanged; the generic check says why a cron job is not checked over HTTP", async () => {
    const repo = fixtureRepo("cron-worker");
    expect((await railyard(repo.dir, ["validate"])).code).toBe(0);
    const p = await project(repo, [{ name: "cleanup", settings: { railwayConfigFile: "/railway.toml" } }]);
    const result = await p.run({});
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.smoke).toEqual([
      {
        name: "cleanup (generic check)",
        ok: true,
        skipped: true,
        detail: "a cron job runs and exits: not checked over HTTP",
      },
    ]);
    const live = await p.client().serviceInstance("env-production", "svc-0");
    expect([live.cronSchedule, live.restartPolicyType]).toEqual(["0 */6 * * *", "NEVER"]);
  });
});

describe("a Vite client beside an Express server", () => {
  it("deploys both from their folders, passes the generic check, and a server commit deploys only the server", async () => {
    const repo = fixtureRepo("vite-express");
    expect((await railyard(repo.dir, ["validate"])).code).toBe(0);
    const p = await project(repo, [
      { name: "client", settings: { railwayConfigFile: "/client/railway.toml", rootDirectory: "/client" } },
      { name: "server", settings: { railwayConfigFile: "/server/railway.toml", rootDirectory: "/server" } },
    ]);
    const first = await p.run({});
    expect(first.reason).toBeUndefined();
    expect(deployedBy(first)).toEqual(["client", "server"]);
    expect(first.smoke.map((check) => [check.name, check.ok])).toEqual([
      ["client / answers 2xx (generic check)", true],
      ["server /api/health answers 2xx (generic check)", true],
    ]);

    repo.commit(
      { "server/index.js": `${readFileSync(`${repo.dir}/server/index.js`, "utf8")}// v2\n` },
      "server",
    );
    const second = await p.run({});
    expect(second.ok).toBe(true);
    expect(deployedBy(second)).toEqual(["server"]);
  });
});
