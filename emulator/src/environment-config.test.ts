// The environment config and change sets, driven through the real client over HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChangeSet, ConfigVariable, DeployConfig } from "../../action/src/railway/environment-config.ts";
import { RailwayAuthError, RailwayConflictError } from "../../action/src/railway/errors.ts";
import { type Fixture, headSha, startFixture } from "../../test/client/support.ts";
import { environmentConfig } from "./environment-config.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ services: 3, durationMs: 200 });
});
afterAll(async () => {
  await fx?.stop();
});

const account = () => fx.client({ tokenKind: "account" });
interface StoredEntry {
  deploy: DeployConfig;
  variables: Record<string, ConfigVariable>;
}
const stored = (serviceId: string) =>
  (environmentConfig(fx.emulator.state, "env-production", true).services as Record<string, StoredEntry>)[
    serviceId
  ] as StoredEntry;

const deploySection = (after: Record<string, unknown>): ChangeSet => ({
  version: 1,
  changes: [
    {
      kind: "resource.update",
      address: "service.worker-1",
      field: "deploy",
      before: null,
      after,
      path: "resources.service.worker-1.deploy",
      summary: "Update worker-1 deploy",
      severity: "safe",
      deployEffect: "deploy",
    },
  ],
});

describe("environment(id) { config configEtag serviceInstances }", () => {
  it("serves the config shaped like Railway's, variables masked, with one etag until something changes", async () => {
    const client = account();
    const first = await client.environmentState("env-production");
    const api = first.config.services?.["svc-0"];
    expect(api?.source).toEqual({ repo: "railyard/railyard", rootDirectory: "/backend" });
    expect(api?.build?.builder).toBe("RAILPACK");
    expect(api?.variables?.API_KEY).toEqual({ value: null });
    expect(first.config.sharedVariables?.SHARED_KEY).toEqual({ value: null });
    expect(first.instances.map((i) => i.serviceId)).toEqual(
      expect.arrayContaining(["svc-0", "svc-1", "svc-db"]),
    );
    expect((await client.environmentState("env-production")).configEtag).toBe(first.configEtag);
    await client.upsertVariables("proj-main", "env-production", "svc-2", { ETAG_PROBE: "1" });
    expect((await client.environmentState("env-production")).configEtag).not.toBe(first.configEtag);
  });
});

describe("an environment with more instances than one page", () => {
  it("is read page by page, every instance once", async () => {
    const client = fx.client({ tokenKind: "account", instancesPageSize: 2 });
    const state = await client.environmentState("env-production");
    const ids = state.instances.map((i) => i.serviceId);
    expect(ids.sort()).toEqual(["svc-0", "svc-1", "svc-2", "svc-db"]);
    expect(client.requestCount).toBe(2);
  });
});

describe("change sets", () => {
  it("previews only the changes that change something, compared with the stored values", async () => {
    const client = account();
    const preview = await client.previewChangeSet("env-production", {
      version: 1,
      changes: [
        {
          kind: "variable.set",
          address: "service.worker-1",
          variable: "SHARED",
          after: { type: "literal", value: "${{shared.SHARED_KEY}}" },
          path: "resources.service.worker-1.variables.SHARED",
          summary: "same reference, other spacing",
          severity: "safe",
          deployEffect: "deploy",
        },
        {
          kind: "variable.set",
          address: "service.worker-1",
          variable: "NEW_ONE",
          after: { type: "literal", value: "x" },
          path: "resources.service.worker-1.variables.NEW_ONE",
          summary: "new",
          severity: "safe",
          deployEffect: "deploy",
        },
      ],
    });
    expect(preview.changeSet.changes.map((c) => c.path)).toEqual([
      "resources.service.worker-1.variables.NEW_ONE",
    ]);
    expect(stored("svc-1").variables.NEW_ONE).toBeUndefined();
  });

  it("applies atomically against the etag, is followed until done, and deploys nothing", async () => {
    const client = account();
    const { configEtag } = await client.environmentState("env-production");
    const deploymentsBefore = fx.emulator.state.deployments.size;
    const result = await client.applyChangeSet(
      "env-production",
      deploySection({ startCommand: "node worker.js", healthcheckTimeout: 45 }),
      { baseConfigEtag: configEtag },
    );
    expect(result.status).toBe("applied");
    expect(result.changes).toEqual([expect.objectContaining({ kind: "resource.update", status: "applied" })]);
    expect(stored("svc-1").deploy).toMatchObject({ startCommand: "node worker.js", healthcheckTimeout: 45 });
    expect(fx.emulator.state.deployments.size).toBe(deploymentsBefore);

    // The etag read before the apply is stale now.
    await expect(
      client.applyChangeSet("env-production", deploySection({ startCommand: "node other.js" }), {
        baseConfigEtag: configEtag,
      }),
    ).rejects.toBeInstanceOf(RailwayConflictError);
    expect(stored("svc-1").deploy.startCommand).toBe("node worker.js");
  });

  it("refuses a change set with one bad change and applies none of it", async () => {
    const client = account();
    const good = deploySection({ startCommand: "node fine.js" }).changes[0];
    const bad = { ...good, field: "build", after: { builder: "DOCKERFILE", notAField: true } };
    await expect(
      client.applyChangeSet(
        "env-production",
        { version: 1, changes: [good, bad] as ChangeSet["changes"] },
        {},
      ),
    ).rejects.toThrow(/build\.notAField is not a field/);
    expect(stored("svc-1").deploy.startCommand).not.toBe("node fine.js");
  });

  it("keeps registry credentials write-only: masked when read, kept when a change sends them masked", async () => {
    const client = account();
    const credentials = { username: "bot", password: "registry-pass-123" };
    await client.applyChangeSet("env-production", deploySection({ registryCredentials: credentials }), {});
    const live = await client.environmentState("env-production");
    const deploy = live.config.services?.["svc-1"]?.deploy;
    expect(deploy?.registryCredentials).toEqual({ username: "*****", password: "*****" });
    await client.applyChangeSet(
      "env-production",
      deploySection({ ...deploy, startCommand: "node again.js" }),
      { baseConfigEtag: live.configEtag },
    );
    const settings = fx.emulator.state.instance("svc-1", "env-production")?.settings;
    expect(settings?.registryCredentials).toEqual(credentials);
    expect(settings?.startCommand).toBe("node again.js");
  });

  it("a changed builder takes effect with the next deployment: DOCKERFILE, then back to RAILPACK", async () => {
    const client = account();
    const build = (builder: string): ChangeSet => ({
      version: 1,
      changes: [
        {
          kind: "resource.update",
          address: "service.worker-2",
          field: "build",
          before: null,
          after: { builder, dockerfilePath: "Dockerfile" },
          path: "resources.service.worker-2.build",
          summary: `builder ${builder}`,
          severity: "safe",
          deployEffect: "deploy",
        },
      ],
    });
    for (const builder of ["DOCKERFILE", "RAILPACK"]) {
      await client.applyChangeSet("env-production", build(builder), {});
      const id = await client.deployCommit("env-production", "svc-2", headSha);
      await client.watchDeployments([id], {});
      const logs = (await client.buildLogs(id)).map((l) => l.message).join("\n");
      expect(logs).toContain(`simulated ${builder} build of worker-2`);
    }
  });

  it("a read-only token may preview but not apply", async () => {
    const readOnly = fx.client({ tokenKind: "account", token: fx.tokens.readOnly });
    await expect(
      readOnly.applyChangeSet("env-production", deploySection({ startCommand: "x" }), {}),
    ).rejects.toBeInstanceOf(RailwayAuthError);
    await expect(
      readOnly.previewChangeSet("env-production", deploySection({ startCommand: "x" })),
    ).resolves.toBeDefined();
  });
});
