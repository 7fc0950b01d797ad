// Users' stories against the emulator with simulated deployments (no processes): what the
// pipeline decides, applies, deploys, reports and rolls back. Each story has its own
// emulator and its own clone of this repository, and commits on top of it.
import { afterEach, describe, expect, it } from "vitest";
import {
  annotationsFor,
  markdownReport,
  outputsFor,
  terminalReport,
} from "../../action/src/report/render.ts";
import { deploymentsOf, type Stack, type StackOptions, startStack } from "./helpers.ts";

const stacks: Stack[] = [];
afterEach(async () => {
  for (const stack of stacks.splice(0)) await stack.stop();
});

async function stack(options: StackOptions = {}): Promise<Stack> {
  const started = await startStack("simulated", options);
  stacks.push(started);
  return started;
}

const deployed = (result: { plan: { service: string; deploy: boolean }[] }) =>
  result.plan
    .filter((p) => p.deploy)
    .map((p) => p.service)
    .sort();

const BACKEND = ["api", "data-poller", "trading-engine"];
const ALL = [...BACKEND, "frontend"].sort();

describe("deploying the stack", () => {
  it("first deploy: every service deploys, settings are applied, and a second run has nothing to do", async () => {
    const s = await stack();
    const first = await s.run({});
    expect(first.reason).toBeUndefined();
    expect(first.ok).toBe(true);
    expect(deployed(first)).toEqual(ALL);
    for (const plan of first.plan) expect(plan.reason).toBe("no live deployment in this environment");
    expect(first.deployments.map((d) => [d.service, d.status])).toEqual(
      expect.arrayContaining(ALL.map((name) => [name, "SUCCESS"])),
    );
    // The api must be live before the workers start (dependsOn).
    const api = first.deployments.find((d) => d.service === "api");
    for (const worker of ["data-poller", "trading-engine"]) {
      const record = first.deployments.find((d) => d.service === worker);
      expect(record?.startedAt ?? 0).toBeGreaterThanOrEqual((api?.startedAt ?? 0) + (api?.durationMs ?? 0));
    }
    expect(first.settings.find((x) => x.service === "api")?.applied).toBe(true);
    const live = await s
      .client()
      .serviceInstance(
        (await s.client().project(s.projectId)).environments.find((e) => e.name === "production")?.id ?? "",
        (await s.client().project(s.projectId)).services.find((x) => x.name === "api")?.id ?? "",
      );
    expect(live.preDeployCommand).toEqual(["node dist/migrate.js"]);
    expect(live.rootDirectory).toBe("/backend");
    const outputs = JSON.parse(outputsFor(first).services) as { name: string; deploymentId: string | null }[];
    expect(outputs.every((o) => typeof o.deploymentId === "string")).toBe(true);

    const second = await s.run({});
    expect(second.ok).toBe(true);
    expect(deployed(second)).toEqual([]);
    expect(second.notes).toContain("nothing to deploy: every service already runs what this commit declares");
  });

  it("a commit touching only frontend/ deploys only the frontend", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    s.repo.commit({ "frontend/app/e2e-note.txt": "a frontend change\n" }, "frontend: change");
    const result = await s.run({});
    expect(result.ok).toBe(true);
    expect(deployed(result)).toEqual(["frontend"]);
    expect(result.plan.find((p) => p.service === "frontend")?.reason).toContain("frontend/app/e2e-note.txt");
    expect(result.plan.find((p) => p.service === "api")?.reason).toContain("no watched file changed");
  });

  it("a backend change deploys the three backend services, and a backend test change deploys nothing", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    s.repo.commit({ "backend/test/e2e-only.test.txt": "tests are not watched\n" }, "backend: test only");
    expect(deployed(await s.run({}))).toEqual([]);
    s.repo.commit({ "backend/src/e2e-shared.ts": "export const shared = 1;\n" }, "backend: shared code");
    const result = await s.run({});
    expect(result.ok).toBe(true);
    expect(deployed(result)).toEqual(BACKEND);
  });

  it("a missing required variable fails before any deploy, with the config line annotated", async () => {
    const s = await stack({ omit: { api: ["CORS_ORIGIN"] } });
    // The files set CORS_ORIGIN as a reference: a version of them that only requires it.
    const toml = (await import("node:fs")).readFileSync(`${s.repo.dir}/backend/railway.toml`, "utf8");
    s.repo.commit(
      {
        "backend/railway.toml": toml.replace(
          ', CORS_ORIGIN = "https://${{frontend.RAILWAY_PUBLIC_DOMAIN}}"',
          "",
        ),
      },
      "api: CORS_ORIGIN is set in Railway by hand",
    );
    const result = await s.run({});
    expect(result.ok).toBe(false);
    expect(result.reason).toContain("api: required variable CORS_ORIGIN is not set in Railway");
    expect(result.reason).toContain("nothing was deployed");
    expect(result.deployments).toEqual([]);
    expect(await deploymentsOf(s, "api")).toEqual([]);
    const annotation = annotationsFor(result).find((a) => a.message.includes("CORS_ORIGIN"));
    const lines = (await import("node:fs"))
      .readFileSync(`${s.repo.dir}/backend/railway.toml`, "utf8")
      .split("\n");
    expect(annotation?.file).toBe("backend/railway.toml");
    expect(lines[(annotation?.startLine ?? 0) - 1]).toContain("CORS_ORIGIN");
  });

  it("a variable that references nothing renders empty and is reported as such", async () => {
    const s = await stack({ set: { frontend: { NEXT_PUBLIC_API_URL: "${{apii.RAILWAY_PUBLIC_DOMAIN}}" } } });
    // Set by hand in Railway with a typo: a version of the files that only requires it.
    const toml = (await import("node:fs")).readFileSync(`${s.repo.dir}/frontend/railway.toml`, "utf8");
    s.repo.commit(
      {
        "frontend/railway.toml": toml.replace(
          'set = { NEXT_PUBLIC_API_URL = "https://${{api.RAILWAY_PUBLIC_DOMAIN}}" }\n',
          "",
        ),
      },
      "frontend: NEXT_PUBLIC_API_URL is set in Railway by hand",
    );
    const result = await s.run({});
    expect(result.ok).toBe(false);
    expect(result.reason).toContain("frontend: required variable NEXT_PUBLIC_API_URL renders empty");
  });
});

describe("settings, variables and secrets", () => {
  it("sets fixed variables from config, clears the stale config-file setting, and prints no variable value", async () => {
    const masterKey = `feedc0de${"5".repeat(56)}`;
    const s = await stack({
      omit: { api: ["CONTAINER_ROLE"] },
      masterKey,
      userDatabaseUrl: "postgresql://u:pw-SECRET-42@db/u",
    });
    const plan = await s.run({ mode: "plan" });
    expect(plan.variables.find((v) => v.service === "api")?.fixedToSet).toContain("CONTAINER_ROLE");
    const result = await s.run({});
    expect(result.ok).toBe(true);
    const api = s.client();
    const project = await api.project(s.projectId);
    const env = project.environments.find((e) => e.name === "production")?.id ?? "";
    const apiId = project.services.find((x) => x.name === "api")?.id ?? "";
    expect((await api.variablesForDeployment(s.projectId, env, apiId)).CONTAINER_ROLE).toBe("api");
    expect((await api.serviceInstance(env, apiId)).railwayConfigFile ?? "").toBe("");
    const printed = [
      JSON.stringify(result),
      markdownReport(result),
      terminalReport(result),
      JSON.stringify(outputsFor(result)),
    ].join("\n");
    for (const secret of [masterKey, "pw-SECRET-42", s.token]) expect(printed).not.toContain(secret);
  });

  it("a token scoped to another environment is refused with one clear reason", async () => {
    const s = await stack();
    const result = await s.run({}, `${s.token}-pr`);
    expect(result.ok).toBe(false);
    expect(result.reason).toContain('scoped to environment "pr", not "production"');
    expect(result.reason).not.toContain(s.token);
  });
});

describe("interrupted runs", () => {
  it("an interrupt mid-deploy ends with what was deployed and what was not, and a rerun finishes the job", async () => {
    const s = await startStack("simulated", {}, undefined, 1_500);
    stacks.push(s);
    const controller = new AbortController();
    const running = s.run({ signal: controller.signal });
    // Interrupt once the api (which the workers wait for) is deploying.
    for (let i = 0; i < 200 && (await deploymentsOf(s, "api")).length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    controller.abort();
    const result = await running;
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^interrupted: live on the new commit: none; cancelled: [^;]*api/);
    expect(result.reason).toContain("not started: data-poller, trading-engine");
    expect(result.rollbacks).toEqual([]);
    const rerun = await s.run({});
    expect(rerun.ok).toBe(true);
    expect(deployed(rerun)).toEqual(expect.arrayContaining(["data-poller", "trading-engine"]));
  });
});

describe("source upload", () => {
  it("a service without a GitHub source is deployed by uploading the commit's tree", async () => {
    const s = await stack({ uploadServices: ["frontend"] });
    const result = await s.run({});
    expect(result.ok).toBe(true);
    expect(result.plan.find((p) => p.service === "frontend")?.source).toBe("upload");
    expect(result.plan.find((p) => p.service === "api")?.source).toBe("commit");
    const [upload] = await deploymentsOf(s, "frontend");
    expect(upload?.status).toBe("SUCCESS");
    expect((upload?.meta as { reason?: string } | undefined)?.reason).toBe("upload");
  });
});

describe("failures and rollback", () => {
  it("a failed build fails the run with the failing step and log tail, leaves dependents alone and rolls back", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    const before = (await deploymentsOf(s, "api"))[0];
    s.repo.commit({ "backend/src/e2e-broken.ts": "export {};\n" }, "backend: broken build");
    s.emulator.faults.add({ deployment: [{ kind: "build-fails", service: "api" }] });
    const result = await s.run({});
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^api deployment \S+ FAILED: BUILD_IMAGE/);
    const api = result.deployments.find((d) => d.service === "api");
    expect(api?.failure?.logTail.join("\n")).toContain("simulated build failure");
    for (const worker of ["data-poller", "trading-engine"]) {
      expect(result.deployments.find((d) => d.service === worker)?.status).toBe("NOT_STARTED");
    }
    expect(result.rollbacks).toEqual([
      expect.objectContaining({ service: "api", toDeploymentId: before?.id, ok: true }),
    ]);
    expect(result.reason).toContain("rolled back 1 of 1 service");
    const now = (await deploymentsOf(s, "api"))[0];
    expect(now?.status).toBe("SUCCESS");
    expect(now?.meta?.commitHash).toBe(before?.meta?.commitHash);
  });

  it("a crash after SUCCESS within the stability window fails the run and rolls back", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    s.repo.commit({ "frontend/app/e2e-crash.txt": "x\n" }, "frontend: crashes");
    s.emulator.faults.add({ deployment: [{ kind: "crash-after-healthy", service: "frontend" }] });
    const result = await s.run({ stabilityMs: 3_000 });
    expect(result.ok).toBe(false);
    expect(result.reason).toContain("reached SUCCESS, then CRASHED within the 3-second stability window");
    expect(result.rollbacks.map((r) => [r.service, r.ok])).toEqual([["frontend", true]]);
  });

  it("a deployment Railway skips or holds for approval ends the wait with a clear outcome", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    s.repo.commit({ "frontend/app/e2e-skip.txt": "x\n" }, "frontend: skipped");
    s.emulator.faults.add({ deployment: [{ kind: "needs-approval", service: "frontend" }] });
    const result = await s.run({ rollback: false });
    expect(result.ok).toBe(false);
    expect(result.reason).toContain("waits for approval in Railway");
    expect(result.reason).toContain("rollback is off");
  });
});

describe("Railway's own triggers", () => {
  it("explains a double deploy and ends a 'Wait for CI' deadlock instead of hanging", async () => {
    const s = await stack({ keepTriggers: true });
    s.emulator.faults.add({ deployment: [{ kind: "waiting", service: "api" }] });
    const result = await s.run({ branch: "main" });
    expect(result.notes.join("\n")).toContain("api: Railway also autodeploys");
    expect(result.notes.join("\n")).toContain("deployed twice");
    expect(result.notes.join("\n")).toContain('"Wait for CI" is on');
    expect(result.ok).toBe(false);
    expect(result.deployments.find((d) => d.service === "api")?.status).toBe("WAITING_FOR_CI");
    expect(result.reason).toContain("deadlock");
  });
});

describe("modes and events", () => {
  it("a redeploy by dispatch deploys exactly the listed services", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    const result = await s.run({ mode: "redeploy", services: ["api"] });
    expect(result.ok).toBe(true);
    expect(deployed(result)).toEqual(["api"]);
    expect(result.plan.find((p) => p.service === "api")?.reason).toBe("requested (dispatch list)");
    const all = await s.run({ mode: "redeploy", services: "all" });
    expect(deployed(all)).toEqual(ALL);
  });

  it("never has more deployments in flight than the concurrency limit", async () => {
    const s = await stack();
    const result = await s.run({ mode: "redeploy", services: "all", concurrency: 2 });
    expect(result.ok).toBe(true);
    let inFlight = 0;
    let most = 0;
    for (const event of result.events) {
      if (event.kind !== "deployment") continue;
      if (event.status === "QUEUED") inFlight += 1;
      if (event.status === "SUCCESS") inFlight -= 1;
      most = Math.max(most, inFlight);
    }
    expect(most).toBe(2);
    expect(inFlight).toBe(0);
  });

  it("a PR plan shows what would deploy and why, checks variables, and changes nothing", async () => {
    const s = await stack();
    const result = await s.run({ mode: "plan" });
    expect(result.ok).toBe(true);
    expect(deployed(result)).toEqual(ALL);
    expect(result.variables.map((v) => [v.service, v.ok])).toEqual(
      expect.arrayContaining(ALL.map((name) => [name, true])),
    );
    expect(result.deployments).toEqual([]);
    expect(result.settings.every((x) => !x.applied)).toBe(true);
    for (const name of ALL) expect(await deploymentsOf(s, name)).toEqual([]);
    const comment = markdownReport(result);
    expect(comment).toContain("<!-- railyard:plan -->");
    expect(comment).toContain("| frontend | yes | no live deployment in this environment |");
  });

  it("a force-push deploys, and says why", async () => {
    const s = await stack();
    s.repo.commit({ "frontend/app/e2e-v1.txt": "1\n" }, "frontend: v1");
    expect((await s.run({})).ok).toBe(true);
    s.repo.git("reset", "-q", "--hard", "HEAD~1");
    s.repo.commit({ "README-e2e.txt": "rewritten\n" }, "rewritten history");
    const result = await s.run({});
    expect(result.ok).toBe(true);
    expect(deployed(result)).toEqual(ALL);
    for (const plan of result.plan) expect(plan.reason).toContain("is not an ancestor");
  });

  it("the API answering 429 and 502 along the way does not fail the run", async () => {
    const s = await stack();
    s.emulator.faults.add({
      http: [
        { kind: "status", status: 429, retryAfterSeconds: 1, count: 2 },
        { kind: "status", status: 502, count: 2 },
        { kind: "status", status: 502, operation: "serviceInstanceDeployV2", afterExecute: true },
      ],
    });
    const result = await s.run({});
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(deployed(result)).toEqual(ALL);
    expect(s.emulator.faults.list().http).toEqual([]);
    // The ambiguous 502 after the deploy mutation ran must not deploy the api twice.
    for (const name of ALL) expect((await deploymentsOf(s, name)).length).toBe(1);
    expect(result.budget?.requests).toBeGreaterThan(0);
  });
});
