import { describe, expect, it } from "vitest";
import { MASKED_CREDENTIAL, type ServiceEntry } from "../railway/environment-config.ts";
import { confirmByPreview, diffService, inverseChanges } from "./changeset.ts";
import { serviceEntry } from "./desired.ts";

const service = { name: "api", file: "backend/railway.toml", fixedVariables: {} };

describe("the change set is the diff of the declared entry against the live config", () => {
  it("sees nothing to change when Railway holds what the files declare, as Railway writes it", () => {
    const { entry } = serviceEntry(service, {
      builder: "DOCKERFILE",
      dockerfilePath: "Dockerfile",
      rootDirectory: "/backend",
      restartPolicyType: "ON_FAILURE",
      preDeployCommand: ["node dist/migrate.js"],
      multiRegionConfig: { "us-west2": { numReplicas: 2 } },
      registryCredentials: { username: "bot", password: "${{ shared.REGISTRY_TOKEN }}" },
      watchPatterns: [],
    });
    const live: ServiceEntry = {
      source: { repo: "me/shop", rootDirectory: "backend" },
      build: { builder: "DOCKERFILE", dockerfilePath: "Dockerfile", watchPatterns: null },
      deploy: {
        restartPolicyType: "ON_FAILURE",
        preDeployCommand: ["node dist/migrate.js"],
        multiRegionConfig: { "us-west2": { numReplicas: 2 }, "europe-west4": null },
        registryCredentials: { username: MASKED_CREDENTIAL, password: MASKED_CREDENTIAL },
      },
    };
    const diff = diffService("api", "svc-api", entry, live);
    expect(diff.rows).toEqual([]);
    expect(diff.changes).toEqual([]);
    expect(diff.notes.join("\n")).toContain("registryCredentials are write-only");
  });

  it("writes the builder explicitly, so DOCKERFILE → RAILPACK is a change of build.builder", () => {
    const { entry } = serviceEntry(service, { builder: "RAILPACK" });
    const diff = diffService("api", "svc-api", entry, {
      build: { builder: "DOCKERFILE", dockerfilePath: "Dockerfile", watchPatterns: ["/backend/**"] },
    });
    expect(diff.rows).toEqual([
      { field: "build.builder", live: "DOCKERFILE", wanted: "RAILPACK", kind: "setting", severity: "safe" },
    ]);
    // The whole section goes to Railway: what it has, with the declared values on top.
    expect(diff.changes).toEqual([
      expect.objectContaining({
        kind: "resource.update",
        address: "service.api",
        field: "build",
        after: { builder: "RAILPACK", dockerfilePath: "Dockerfile", watchPatterns: ["/backend/**"] },
      }),
    ]);
  });

  it("a Dockerfile path without a builder means the DOCKERFILE builder", () => {
    expect(serviceEntry(service, { dockerfilePath: "Dockerfile" }).entry.build?.builder).toBe("DOCKERFILE");
  });

  it("places a lone region's replicas in multiRegionConfig", () => {
    const { entry } = serviceEntry(service, { region: "us-west2", numReplicas: 3 });
    expect(entry.deploy).toEqual({ multiRegionConfig: { "us-west2": { numReplicas: 3 } } });
  });

  it("names the declared fields Railway has no setting for instead of accepting them", () => {
    const raw = new Map([
      ["runtime", { value: "V2", segments: ["services", "api", "deploy", "runtime"] }],
      ["preDeployTimeoutSeconds", { value: 60, segments: ["deploy", "preDeployTimeoutSeconds"] }],
    ]);
    expect(serviceEntry(service, {}, new Map(), raw).unsupported).toEqual([
      "services.api.deploy.runtime (backend/railway.toml)",
      "deploy.preDeployTimeoutSeconds (backend/railway.toml)",
    ]);
  });

  it("compares variable references as written, never rendered", () => {
    const { entry } = serviceEntry(
      { ...service, fixedVariables: { KEY: "${{ shared.MASTER_KEY }}", ROLE: "api" } },
      {},
    );
    const diff = diffService("api", "svc-api", entry, {
      variables: { KEY: { value: "${{shared.MASTER_KEY}}" }, ROLE: { value: "worker" } },
    });
    expect(diff.rows.map((r) => [r.field, r.live, r.wanted])).toEqual([["variables.ROLE", "worker", "api"]]);
  });

  it("a masked live value is a candidate that Railway's preview confirms or drops", () => {
    const { entry } = serviceEntry({ ...service, fixedVariables: { ROLE: "api", NEW: "x" } }, {});
    const diff = diffService("api", "svc-api", entry, { variables: { ROLE: { value: null } } });
    expect(diff.rows.map((r) => [r.field, r.live, r.unverified ?? false])).toEqual([
      ["variables.ROLE", "«hidden»", true],
      ["variables.NEW", null, false],
    ]);
    const newOnly = diff.changes.filter((c) => c.kind === "variable.set" && c.variable === "NEW");
    const [confirmed] = confirmByPreview([diff], newOnly);
    expect(confirmed?.rows.map((r) => r.field)).toEqual(["variables.NEW"]);
    expect(confirmed?.changes).toHaveLength(1);
  });

  it("reports only the declared fields that differ, with live and wanted values", () => {
    const { entry } = serviceEntry(service, {
      startCommand: "npm start",
      healthcheckPath: "/healthz",
      restartPolicyType: "on_failure" as "ON_FAILURE",
      buildCommand: null,
      watchPatterns: ["/a/**", "!/a/t/**"],
    });
    const diff = diffService("api", "svc-api", entry, {
      build: { builder: "RAILPACK", watchPatterns: ["/a/**"] },
      deploy: {
        startCommand: "node server.js",
        healthcheckPath: "/healthz",
        restartPolicyType: "ON_FAILURE",
        numReplicas: 4,
      },
    });
    expect(diff.rows.map((r) => [r.field, r.live, r.wanted])).toEqual([
      ["build.watchPatterns", ["/a/**"], ["/a/**", "!/a/t/**"]],
      ["deploy.startCommand", "node server.js", "npm start"],
    ]);
  });

  it("leaves an empty Railway Config File alone", () => {
    expect(diffService("api", "svc-api", {}, { configFile: "" }).rows).toEqual([]);
  });

  it("keeps the config file of a plain file linked to the service, and moves it when the file moved", () => {
    const linked = serviceEntry(service, { railwayConfigFile: "/api/railway.toml" }).entry;
    expect(diffService("api", "svc-api", linked, { configFile: "/api/railway.toml" }).rows).toEqual([]);
    const moved = diffService("api", "svc-api", linked, { configFile: "/old/railway.toml" });
    expect(moved.configFile).toBe("/api/railway.toml");
    expect(moved.rows).toEqual([
      {
        field: "configFile",
        live: "/old/railway.toml",
        wanted: "/api/railway.toml",
        kind: "setting",
        severity: "safe",
      },
    ]);
  });

  it("clears a stale Railway Config File outside the change set", () => {
    const diff = diffService("api", "svc-api", {}, { configFile: "/backend/railway.toml" });
    expect(diff.configFile).toBe("");
    expect(diff.rows).toEqual([
      { field: "configFile", live: "/backend/railway.toml", wanted: "", kind: "setting", severity: "safe" },
    ]);
    expect(diff.changes).toEqual([]);
  });

  it("inverts what a run applied, unless the section changed again since", () => {
    const { entry } = serviceEntry(service, { healthcheckTimeout: 60, startCommand: "node b.js" });
    const before = { deploy: { healthcheckTimeout: 300, startCommand: "node a.js" } };
    const applied = diffService("api", "svc-api", entry, before).changes;
    const ids = new Map([["service.api", "svc-api"]]);
    const afterApply = {
      services: { "svc-api": { deploy: { healthcheckTimeout: 60, startCommand: "node b.js" } } },
    };
    const inverse = inverseChanges(applied, afterApply, ids);
    expect(inverse.skipped).toEqual([]);
    expect(inverse.changes).toEqual([
      expect.objectContaining({ kind: "resource.update", field: "deploy", after: before.deploy }),
    ]);
    const changedAgain = {
      services: { "svc-api": { deploy: { healthcheckTimeout: 90, startCommand: "node b.js" } } },
    };
    expect(inverseChanges(applied, changedAgain, ids).skipped).toEqual([
      "service.api deploy (changed again since this run applied it)",
    ]);
  });
});
