// Provision: what the files declare must exist in Railway (services, databases with their
// volumes, generated secrets, domains) against what the project has, as a plain plan of rows
// and one change set in Railway's IaC format (resource.create, variable.set with a generator,
// domain.create, resource.delete). Resources are recognised by name, as Railway's IaC addresses
// them; one that exists but is not declared is listed and left alone unless deleteUndeclared.
// See docs/decisions/0130-declared-resources.md.
import { type DatabaseDeclaration, DEFAULT_IMAGE } from "../config/declare.ts";
import type { ServiceConfig } from "../config/types.ts";
import type { Change, ChangeSet, EnvironmentConfig } from "../railway/environment-config.ts";
import type { LiveInstance, RailwayApi } from "../railway/types.ts";
import { PipelineError } from "./types.ts";

export type ResourceType = "service" | "database" | "volume" | "variable" | "domain";

export interface ResourceRow {
  action: "create" | "delete" | "keep";
  type: ResourceType;
  /** "api", "User Data DB", "api.MASTER_ENCRYPTION_KEY", "api.railyard.example"... */
  name: string;
  detail: string;
  severity: "safe" | "destructive";
}

export interface ResourcePlan {
  rows: ResourceRow[];
  changeSet: ChangeSet;
}

export interface LiveResources {
  /** Every service of the project (databases are services too), by name. */
  services: { id: string; name: string }[];
  config: EnvironmentConfig;
  instances: LiveInstance[];
}

export interface Declared {
  services: ServiceConfig[];
  databases: DatabaseDeclaration[];
}

const change = (fields: Record<string, unknown>) => fields as unknown as Change;

/** The pure plan: what to create, what is undeclared (kept, or deleted when asked). */
export function planResources(
  declared: Declared,
  live: LiveResources,
  options: { deleteUndeclared: boolean },
): ResourcePlan {
  const rows: ResourceRow[] = [];
  const changes: Change[] = [];
  const byName = new Map(live.services.map((s) => [s.name, s]));
  const variablesOf = (name: string) => {
    const id = byName.get(name)?.id;
    return new Set(Object.keys((id && live.config.services?.[id]?.variables) || {}));
  };
  const instanceOf = (name: string) => live.instances.find((i) => i.serviceId === byName.get(name)?.id);

  for (const database of declared.databases) {
    if (byName.has(database.name)) continue;
    const address = `database.${database.name}`;
    rows.push({
      action: "create",
      type: "database",
      name: database.name,
      detail: `${database.kind} (${database.image ?? DEFAULT_IMAGE[database.kind]})`,
      severity: "safe",
    });
    rows.push({
      action: "create",
      type: "volume",
      name: `${database.name}-volume`,
      detail: `mounted at ${database.mountPath} on ${database.name}`,
      severity: "safe",
    });
    changes.push(
      change({
        kind: "resource.create",
        address,
        resource: {
          address,
          type: "database",
          engine: database.kind,
          name: database.name,
          image: database.image ?? DEFAULT_IMAGE[database.kind],
          defaultMountPath: database.mountPath,
        },
        path: `resources.${address}`,
        summary: `Create database ${database.name}`,
        severity: "safe",
        deployEffect: "deploy",
      }),
    );
  }

  for (const service of declared.services) {
    const address = `service.${service.name}`;
    const exists = byName.has(service.name);
    if (!exists) {
      const source = service.source;
      rows.push({
        action: "create",
        type: "service",
        name: service.name,
        detail: source?.image
          ? `image ${source.image}`
          : source?.repo
            ? `from ${source.repo}${source.branch ? `@${source.branch}` : ""}`
            : "empty (deployed from an upload of the repository)",
        severity: "safe",
      });
      const variables: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(service.fixedVariables)) {
        variables[name] = { type: "literal", value };
        rows.push({
          action: "create",
          type: "variable",
          name: `${service.name}.${name}`,
          detail: value,
          severity: "safe",
        });
      }
      changes.push(
        change({
          kind: "resource.create",
          address,
          resource: {
            address,
            type: "service",
            name: service.name,
            ...(source
              ? {
                  source: source.image
                    ? { type: "image", image: source.image }
                    : {
                        type: "github",
                        repo: source.repo,
                        ...(source.branch ? { branch: source.branch } : {}),
                      },
                }
              : {}),
            variables,
          },
          path: `resources.${address}`,
          summary: `Create service ${service.name}`,
          severity: "safe",
          deployEffect: "deploy",
        }),
      );
    }
    const present = exists ? variablesOf(service.name) : new Set<string>();
    for (const [variable, generator] of Object.entries(service.generatedVariables ?? {})) {
      // Generated once: a variable that exists keeps its value, whatever it is.
      if (present.has(variable)) continue;
      rows.push({
        action: "create",
        type: "variable",
        name: `${service.name}.${variable}`,
        detail: `generated by Railway: ${generator} (never printed)`,
        severity: "safe",
      });
      changes.push(
        change({
          kind: "variable.set",
          address,
          variable,
          after: { type: "raw", value: { generator } },
          path: `resources.${address}.variables.${variable}`,
          summary: `Generate secret ${service.name}.${variable}`,
          severity: "safe",
          deployEffect: "deploy",
        }),
      );
    }
    const instance = exists ? instanceOf(service.name) : undefined;
    if (service.domains?.railway && (instance?.domains.serviceDomains.length ?? 0) === 0) {
      rows.push({
        action: "create",
        type: "domain",
        name: service.name,
        detail: "Railway-generated domain",
        severity: "safe",
      });
      changes.push(
        change({
          kind: "domain.create",
          address,
          domain: "",
          domainKind: "service",
          path: `resources.${address}.networking.serviceDomains`,
          summary: `Create a Railway domain for ${service.name}`,
          severity: "safe",
          deployEffect: "none",
        }),
      );
    }
    for (const domain of service.domains?.custom ?? []) {
      if (instance?.domains.customDomains.some((d) => d.domain.toLowerCase() === domain)) continue;
      rows.push({
        action: "create",
        type: "domain",
        name: domain,
        detail: `custom domain of ${service.name}`,
        severity: "safe",
      });
      changes.push(
        change({
          kind: "domain.create",
          address,
          domain,
          domainKind: "custom",
          path: `resources.${address}.networking.customDomains.${domain}`,
          summary: `Create custom domain ${domain} for ${service.name}`,
          severity: "safe",
          deployEffect: "none",
        }),
      );
    }
  }

  const declaredNames = new Set([
    ...declared.services.map((s) => s.name),
    ...declared.databases.map((d) => d.name),
  ]);
  for (const service of live.services) {
    if (declaredNames.has(service.name)) continue;
    const isDatabase =
      live.config.services?.[service.id]?.source?.image !== undefined &&
      !live.config.services?.[service.id]?.source?.repo;
    const type: ResourceType = isDatabase ? "database" : "service";
    if (!options.deleteUndeclared) {
      rows.push({
        action: "keep",
        type,
        name: service.name,
        detail:
          "exists in Railway but no railway.toml declares it: left alone (delete-undeclared would delete it)",
        severity: "safe",
      });
      continue;
    }
    rows.push({
      action: "delete",
      type,
      name: service.name,
      detail:
        "not declared in any railway.toml, and delete-undeclared is on: deleted with its volumes and data",
      severity: "destructive",
    });
    changes.push(
      change({
        kind: "resource.delete",
        address: `service.${service.name}`,
        path: `resources.service.${service.name}`,
        summary: `Delete ${type} ${service.name}`,
        severity: "destructive",
        deployEffect: "none",
      }),
    );
  }
  return { rows, changeSet: { version: 1, changes } };
}

/** Reads what the project has, plans, and (unless planning only) applies the change set. */
export async function provision(
  api: RailwayApi,
  projectId: string,
  environmentId: string,
  declared: Declared,
  options: { apply: boolean; deleteUndeclared: boolean; signal?: AbortSignal },
): Promise<{ plan: ResourcePlan; applied: boolean; notes: string[] }> {
  const [project, environment] = await Promise.all([
    api.project(projectId),
    api.environmentState(environmentId),
  ]);
  const plan = planResources(
    declared,
    { services: project.services, config: environment.config, instances: environment.instances },
    { deleteUndeclared: options.deleteUndeclared },
  );
  const notes: string[] = [];
  if (!options.apply || plan.changeSet.changes.length === 0) return { plan, applied: false, notes };
  if (options.signal?.aborted) throw new PipelineError("interrupted before anything was created");
  const result = await api.applyChangeSet(environmentId, plan.changeSet, {
    baseConfigEtag: environment.configEtag,
    commitMessage: "Railyard: create what the railway.toml files declare",
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (result.status !== "applied") {
    const diagnostics = Array.isArray(result.diagnostics) ? result.diagnostics : [];
    const first = diagnostics[0] as { message?: unknown } | undefined;
    throw new PipelineError(
      `Railway did not create what the files declare (change set ${result.id} ${result.status}${first?.message ? `: ${String(first.message)}` : ""})`,
    );
  }
  for (const row of plan.rows)
    if (row.action === "delete") notes.push(`deleted ${row.type} ${row.name} (delete-undeclared is on)`);
  // Custom domains need DNS records before Railway can verify them.
  const custom = plan.rows.filter(
    (row) => row.action === "create" && row.type === "domain" && row.name.includes("."),
  );
  if (custom.length > 0) {
    const after = await api.environmentState(environmentId);
    const names = new Map((await api.project(projectId)).services.map((s) => [s.id, s.name]));
    for (const instance of after.instances) {
      const target = instance.domains.serviceDomains[0]?.domain;
      for (const domain of instance.domains.customDomains) {
        if (!custom.some((row) => row.name === domain.domain) || domain.verified) continue;
        // The records Railway lists as still needed; a CNAME to the service's domain where it lists none.
        const listed = (domain.dnsRecords ?? []).filter((r) => r.status !== "DNS_RECORD_STATUS_PROPAGATED");
        const records =
          listed.length > 0
            ? listed.map((r) => `${r.type} ${r.fqdn} → ${r.requiredValue || "the value Railway shows"}`)
            : [`CNAME ${domain.domain} → ${target ?? "the service's Railway domain"}`];
        notes.push(
          `${names.get(instance.serviceId) ?? instance.serviceId}: custom domain ${domain.domain} needs ${records.length === 1 ? "a DNS record" : "DNS records"}${listed.length > 0 ? " (as Railway lists them)" : ""}: ${records.join("; ")}; until Railway verifies it the smoke test uses the Railway domain`,
        );
      }
    }
  }
  return { plan, applied: true, notes };
}
