// Stories of settings applied through Railway's environment config and change sets, against
// the emulator with simulated deployments: nothing applied twice, no phantom drift, an etag
// conflict handled, references compared as written, settings restored on rollback.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runPipeline } from "../../action/src/pipeline/run.ts";
import type { PipelineOptions, PipelineResult } from "../../action/src/pipeline/types.ts";
import { RailwayClient } from "../../action/src/railway/client.ts";
import type {
  BuildConfig,
  ConfigVariable,
  DeployConfig,
} from "../../action/src/railway/environment-config.ts";
import type { RailwayApi } from "../../action/src/railway/types.ts";
import { environmentConfig } from "../../emulator/src/environment-config.ts";
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

const deployed = (result: PipelineResult) =>
  result.plan
    .filter((p) => p.deploy)
    .map((p) => p.service)
    .sort();

interface StoredEntry {
  build: BuildConfig;
  deploy: DeployConfig;
  variables: Record<string, ConfigVariable>;
}

/** The stored (decrypted) config entry of a service, read from the emulator's state. */
function storedEntry(s: Stack, name: string): StoredEntry {
  const state = s.emulator.state;
  const project = state.project(s.projectId);
  const env = project?.environments.find((e) => e.name === "production");
  const service = project?.services.find((x) => x.name === name);
  const config = environmentConfig(state, env?.id ?? "", true) as { services: Record<string, StoredEntry> };
  return config.services[service?.id ?? ""] as StoredEntry;
}

function backendToml(s: Stack): string {
  return readFileSync(join(s.repo.dir, "backend/railway.toml"), "utf8");
}

/** Appends TOML lines to a table of backend/railway.toml (the table must exist). */
function withLines(toml: string, table: string, lines: string[]): string {
  const header = `[${table}]\n`;
  if (!toml.includes(header)) throw new Error(`backend/railway.toml has no ${header}`);
  return toml.replace(header, `${header}${lines.join("\n")}\n`);
}

const OPTIONS = {
  mode: "deploy",
  environment: "production",
  timeoutMs: 5 * 60_000,
  concurrency: 4,
  rollback: true,
  smoke: false,
  smokeTimeoutMs: 60_000,
  stabilityMs: 0,
} as const;

/** Runs the pipeline through `api` (a wrapped client). */
function runWith(s: Stack, api: RailwayApi, options: Partial<PipelineOptions> = {}) {
  return runPipeline({ ...OPTIONS, repoDir: s.repo.dir, ...options }, { api });
}

/** The stack's client with applyChangeSet preceded by `before` (another writer, for example). */
function intercepted(s: Stack, before: (attempt: number) => Promise<void>): RailwayApi {
  const client = s.client();
  let attempts = 0;
  return new Proxy(client, {
    get(target, prop) {
      if (prop === "applyChangeSet") {
        return async (...args: Parameters<RailwayApi["applyChangeSet"]>) => {
          // The provision stage's change set (creating what is missing) is not the settings apply.
          if (args[2]?.commitMessage?.startsWith("Railyard: create")) return target.applyChangeSet(...args);
          attempts++;
          await before(attempts);
          return target.applyChangeSet(...args);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  }) as RailwayApi;
}

describe("settings through the environment config", () => {
  it("a second run with nothing changed applies nothing and deploys nothing, including multiRegionConfig, registryCredentials and the builder", async () => {
    const s = await stack({ set: { api: { REGISTRY_TOKEN: "reg-secret-value-77" } } });
    s.repo.commit(
      {
        "backend/railway.toml": withLines(backendToml(s), "services.api.deploy", [
          'multiRegionConfig = { "us-west2" = { numReplicas = 2 } }',
          'registryCredentials = { username = "deploy-bot", password = "${{ REGISTRY_TOKEN }}" }',
        ]),
      },
      "api: replicas per region and registry login",
    );
    // Someone switched the api to Railpack in the dashboard: the files say DOCKERFILE.
    await s
      .client()
      .updateServiceInstance(storedServiceId(s, "api"), productionId(s), { builder: "RAILPACK" });
    expect(storedEntry(s, "api").build.builder).toBe("RAILPACK");
    const first = await s.run({});
    expect(first.reason).toBeUndefined();
    const apiRows = first.settings.find((x) => x.service === "api");
    expect(apiRows?.applied).toBe(true);
    expect(apiRows?.changes.map((c) => c.field)).toEqual(
      expect.arrayContaining(["build.builder", "deploy.multiRegionConfig", "deploy.registryCredentials"]),
    );
    const api = storedEntry(s, "api");
    expect(api.build.builder).toBe("DOCKERFILE");
    expect(api.deploy.multiRegionConfig).toEqual({ "us-west2": { numReplicas: 2 } });
    const instance = s.emulator.state.instance(api ? storedServiceId(s, "api") : "", productionId(s));
    expect(instance?.settings.registryCredentials).toEqual({
      username: "deploy-bot",
      password: "${{ REGISTRY_TOKEN }}",
    });

    const appliesBefore = s.emulator.state.changeSetApplies.size;
    const deploymentsBefore = s.emulator.state.deployments.size;
    const second = await s.run({});
    expect(second.ok).toBe(true);
    expect(deployed(second)).toEqual([]);
    expect(second.settings.flatMap((x) => x.changes)).toEqual([]);
    expect(second.settings.every((x) => !x.applied)).toBe(true);
    expect(s.emulator.state.changeSetApplies.size).toBe(appliesBefore);
    expect(s.emulator.state.deployments.size).toBe(deploymentsBefore);
    expect(second.notes.join("\n")).toContain("registryCredentials are write-only");
    expect(JSON.stringify(second)).not.toContain("reg-secret-value-77");
  });

  it("switching the backend from DOCKERFILE to RAILPACK really switches, and then stays switched", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    s.repo.commit(
      { "backend/railway.toml": backendToml(s).replace('builder = "DOCKERFILE"', 'builder = "RAILPACK"') },
      "backend: build with Railpack",
    );
    const result = await s.run({});
    expect(result.ok).toBe(true);
    const row = result.settings
      .find((x) => x.service === "api")
      ?.changes.find((c) => c.field === "build.builder");
    expect(row).toMatchObject({ live: "DOCKERFILE", wanted: "RAILPACK" });
    expect(storedEntry(s, "api").build.builder).toBe("RAILPACK");
    const [latest] = await deploymentsOf(s, "api");
    const logs = (await s.client().buildLogs(latest?.id ?? "")).map((l) => l.message).join("\n");
    expect(logs).toContain("simulated RAILPACK build of api");
    const again = await s.run({});
    expect(deployed(again)).toEqual([]);
    expect(again.settings.flatMap((x) => x.changes)).toEqual([]);
  });

  it("a fixed variable that is a reference shows no change when Railway holds the same reference", async () => {
    const s = await stack({ set: { api: { MASTER_KEY_REF: "${{shared.MASTER_ENCRYPTION_KEY}}" } } });
    s.repo.commit(
      {
        "backend/railway.toml": backendToml(s).replace(
          'set = { CONTAINER_ROLE = "api",',
          'set = { CONTAINER_ROLE = "api", MASTER_KEY_REF = "${{ shared.MASTER_ENCRYPTION_KEY }}",',
        ),
      },
      "api: a fixed reference",
    );
    const plan = await s.run({ mode: "plan" });
    expect(plan.reason).toBeUndefined();
    const fields = plan.settings.find((x) => x.service === "api")?.changes.map((c) => c.field) ?? [];
    expect(fields).not.toContain("variables.MASTER_KEY_REF");
    expect(plan.variables.find((v) => v.service === "api")?.fixedToSet).not.toContain("MASTER_KEY_REF");
    // The check can fail: another reference is a change.
    const other = await stack({ set: { api: { MASTER_KEY_REF: "${{shared.OTHER_KEY}}" } } });
    other.repo.commit(
      { "backend/railway.toml": readFileSync(join(s.repo.dir, "backend/railway.toml"), "utf8") },
      "api: a fixed reference",
    );
    const otherPlan = await other.run({ mode: "plan" });
    expect(otherPlan.settings.find((x) => x.service === "api")?.changes.map((c) => c.field)).toContain(
      "variables.MASTER_KEY_REF",
    );
  });

  it("a fixed variable changed in Railway is set back and its service redeployed, saying variables differ", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    await s.client().upsertVariables(s.projectId, productionId(s), storedServiceId(s, "api"), {
      CONTAINER_ROLE: "trading-engine",
    });
    const result = await s.run({});
    expect(result.ok).toBe(true);
    expect(deployed(result)).toEqual(["api"]);
    expect(result.plan.find((p) => p.service === "api")?.reason).toMatch(/^variables differ from Railway/);
    expect(result.settings.find((x) => x.service === "api")?.changes).toEqual([
      expect.objectContaining({
        field: "variables.CONTAINER_ROLE",
        live: "«hidden»",
        wanted: "api",
        unverified: true,
      }),
    ]);
    expect(storedEntry(s, "api").variables.CONTAINER_ROLE).toEqual({ value: "api" });
  });

  it("names declared fields Railway has no setting for, and applies the rest", async () => {
    const s = await stack();
    s.repo.commit(
      { "backend/railway.toml": withLines(backendToml(s), "services.api.deploy", ['runtime = "V2"']) },
      "api: runtime",
    );
    const result = await s.run({});
    expect(result.ok).toBe(true);
    expect(result.notes).toContain(
      "api: services.api.deploy.runtime (backend/railway.toml) has no setting in Railway's API (environment config), so it is not applied",
    );
    expect(result.settings.find((x) => x.service === "api")?.unsupported).toEqual([
      "services.api.deploy.runtime (backend/railway.toml)",
    ]);
  });
});

describe("secrets", () => {
  it("a deploy reads no raw variable value: the config is read masked, and no Variables query is sent", async () => {
    const s = await stack();
    // Any read of the variables field (rendered or not) fails from here on.
    s.emulator.faults.add({ http: [{ kind: "status", status: 500, operation: "variables", count: 1000 }] });
    const result = await s.run({});
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    const remaining = () => s.emulator.faults.list().http[0]?.remaining;
    expect(remaining()).toBe(1000);
    // The fault matches a real read: one direct Variables query consumes it.
    const client = new RailwayClient({
      endpoint: s.emulator.graphqlUrl,
      token: s.token,
      retry: { maxAttempts: 1 },
    });
    try {
      await expect(
        client.variables(s.projectId, productionId(s), storedServiceId(s, "api"), true),
      ).rejects.toThrow();
    } finally {
      await client.close();
    }
    expect(remaining()).toBe(999);
  });
});

describe("per environment", () => {
  it("plans each environment's own settings: the pr environment's restart policy is not production's", async () => {
    const s = await stack();
    const wanted = (result: PipelineResult, service: string, field: string) =>
      result.settings.find((x) => x.service === service)?.changes.find((c) => c.field === field)?.wanted;
    const production = await s.run({ mode: "plan" });
    const pr = await s.run({ mode: "plan", environment: "pr" }, `${s.token}-pr`);
    expect(wanted(production, "api", "deploy.restartPolicyMaxRetries")).toBe(5);
    expect(wanted(production, "trading-engine", "deploy.restartPolicyMaxRetries")).toBe(10);
    // [environments.pr.deploy] wins over [services.trading-engine.deploy].
    expect(wanted(pr, "api", "deploy.restartPolicyMaxRetries")).toBe(1);
    expect(wanted(pr, "trading-engine", "deploy.restartPolicyMaxRetries")).toBe(1);
    expect(wanted(pr, "api", "deploy.healthcheckPath")).toBe("/ready");
  });
});

describe("two writers against one environment", () => {
  async function changedUnderTheRun(s: Stack): Promise<void> {
    const other = s.client();
    const project = await other.project(s.projectId);
    const env = project.environments.find((e) => e.name === "production")?.id ?? "";
    const redis = project.services.find((x) => x.name === "Redis")?.id ?? "";
    await other.upsertVariables(s.projectId, env, redis, { OTHER_WRITER: String(Date.now()) });
  }

  it("the environment changing once under the run: it re-reads, re-plans and applies", async () => {
    const s = await stack();
    const api = intercepted(s, async (attempt) => {
      if (attempt === 1) await changedUnderTheRun(s);
    });
    const result = await runWith(s, api);
    expect(result.reason).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.notes).toContain(
      "the environment's config changed after this run read it: re-read it and planned the settings again",
    );
    expect(storedEntry(s, "api").build.builder).toBe("DOCKERFILE");
    expect(storedEntry(s, "api").variables.CONTAINER_ROLE).toEqual({ value: "api" });
  });

  it("the environment changing again: the run stops with one clear reason and deploys nothing", async () => {
    const s = await stack();
    const api = intercepted(s, () => changedUnderTheRun(s));
    const result = await runWith(s, api);
    expect(result.ok).toBe(false);
    expect(result.reason).toBe(
      "the environment's config changed again while this run applied its settings (someone else is changing it: another run or the dashboard); nothing was deployed. Run again once the other change is done",
    );
    expect(result.deployments).toEqual([]);
    expect(s.emulator.state.deployments.size).toBe(0);
    // Only the provision stage's change set (the custom domain the files declare) was applied.
    const applied = [...s.emulator.state.changeSetApplies.values()].map((r) => r.commitMessage);
    expect(applied.filter((m) => !m?.startsWith("Railyard: create"))).toEqual([]);
  });
});

describe("rollback", () => {
  it("restores the settings the failed run changed", async () => {
    const s = await stack();
    expect((await s.run({})).ok).toBe(true);
    s.repo.commit(
      {
        "backend/railway.toml": backendToml(s).replace("healthcheckTimeout = 120", "healthcheckTimeout = 90"),
        "backend/src/e2e-broken.ts": "export {};\n",
      },
      "backend: shorter health check, broken build",
    );
    s.emulator.faults.add({ deployment: [{ kind: "build-fails", service: "api" }] });
    const result = await s.run({});
    expect(result.ok).toBe(false);
    expect(result.reason).toContain("settings restored");
    expect(result.notes.join("\n")).toContain("settings: restored the settings of");
    expect(storedEntry(s, "api").deploy.healthcheckTimeout).toBe(120);
  });
});

function productionId(s: Stack): string {
  return s.emulator.state.project(s.projectId)?.environments.find((e) => e.name === "production")?.id ?? "";
}

function storedServiceId(s: Stack, name: string): string {
  return s.emulator.state.project(s.projectId)?.services.find((x) => x.name === name)?.id ?? "";
}
