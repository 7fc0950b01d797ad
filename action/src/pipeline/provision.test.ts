// The provision plan is a pure value: what to create, what is undeclared, what would be
// deleted only when asked; generated secrets only when missing.
import { describe, expect, it } from "vitest";
import type { DatabaseDeclaration } from "../config/declare.ts";
import type { ServiceConfig } from "../config/types.ts";
import { type LiveResources, planResources } from "./provision.ts";

const where = { file: "app/railway.toml", line: 1, column: 1 };
const service = (name: string, extra: Partial<ServiceConfig> = {}): ServiceConfig => ({
  name,
  file: "app/railway.toml",
  rootDirectory: "/app",
  requiredVariables: [],
  fixedVariables: {},
  dependsOn: [],
  location: where,
  ...extra,
});
const db: DatabaseDeclaration = {
  name: "Main DB",
  kind: "postgres",
  mountPath: "/var/lib/postgresql/data",
  file: "app/railway.toml",
  location: where,
};
const empty: LiveResources = { services: [], config: { services: {} }, instances: [] };

describe("planResources", () => {
  it("on an empty project creates the database with its volume, the service with its variables, secret and domains", () => {
    const plan = planResources(
      {
        databases: [db],
        services: [
          service("web", {
            source: { repo: "o/r", branch: "main" },
            fixedVariables: { DATABASE_URL: "${{Main DB.DATABASE_URL}}" },
            generatedVariables: { SESSION_KEY: "secret(32)" },
            domains: { railway: true, custom: ["www.example.com"] },
          }),
        ],
      },
      empty,
      { deleteUndeclared: false },
    );
    expect(plan.rows.map((r) => `${r.action} ${r.type} ${r.name}`)).toEqual([
      "create database Main DB",
      "create volume Main DB-volume",
      "create service web",
      "create variable web.DATABASE_URL",
      "create variable web.SESSION_KEY",
      "create domain web",
      "create domain www.example.com",
    ]);
    expect(plan.changeSet.changes.map((c) => c.kind)).toEqual([
      "resource.create",
      "resource.create",
      "variable.set",
      "domain.create",
      "domain.create",
    ]);
    expect(plan.changeSet.changes[2]).toMatchObject({
      after: { type: "raw", value: { generator: "secret(32)" } },
    });
    expect(JSON.stringify(plan)).not.toMatch(/[A-Za-z0-9]{32}/);
  });

  it("creates nothing when everything exists, and never regenerates a secret that is set", () => {
    const live: LiveResources = {
      services: [
        { id: "s1", name: "web" },
        { id: "s2", name: "Main DB" },
      ],
      config: { services: { s1: { variables: { SESSION_KEY: { value: null } } } } },
      instances: [
        {
          serviceId: "s1",
          domains: {
            serviceDomains: [{ domain: "web.up.railway.app" }],
            customDomains: [{ domain: "www.example.com", verified: false }],
          },
        },
      ],
    };
    const plan = planResources(
      {
        databases: [db],
        services: [
          service("web", {
            generatedVariables: { SESSION_KEY: "secret(32)" },
            domains: { railway: true, custom: ["www.example.com"] },
          }),
        ],
      },
      live,
      { deleteUndeclared: false },
    );
    expect(plan.rows).toEqual([]);
    expect(plan.changeSet.changes).toEqual([]);
  });

  it("lists a service no file declares and deletes it only when asked, as destructive", () => {
    const live: LiveResources = {
      services: [
        { id: "s1", name: "web" },
        { id: "s9", name: "old-worker" },
      ],
      config: { services: {} },
      instances: [],
    };
    const declared = { databases: [], services: [service("web")] };
    const kept = planResources(declared, live, { deleteUndeclared: false });
    expect(kept.rows).toMatchObject([
      { action: "keep", type: "service", name: "old-worker", severity: "safe" },
    ]);
    expect(kept.changeSet.changes).toEqual([]);
    const deleted = planResources(declared, live, { deleteUndeclared: true });
    expect(deleted.rows).toMatchObject([{ action: "delete", name: "old-worker", severity: "destructive" }]);
    expect(deleted.changeSet.changes).toMatchObject([
      { kind: "resource.delete", address: "service.old-worker" },
    ]);
  });
});
