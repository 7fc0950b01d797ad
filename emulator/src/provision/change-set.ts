// Change sets that create or delete resources. `resource.create` (service, database, volume)
// and `resource.delete` are carried out here, asynchronously (a database is a real database,
// a Redis a real process); every other change goes to environment-config.ts once the resources
// it may name exist. Order: creations, then the other changes, then deletions. A Railway-domain
// `domain.create` for a service that has none makes its loopback domain public.

import { randomUUID } from "node:crypto";
import { GraphQLError } from "graphql";
import {
  applyChangeSet,
  type ChangeSetApplyRecord,
  configEtag,
  type Json,
  previewChangeSet,
} from "../environment-config.ts";
import type { EmulatorState } from "../state.ts";
import {
  createResource,
  deleteResource,
  type ProvisionContext,
  type ResourceNode,
  variableValue,
} from "./resources.ts";

const badRequest = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_REQUEST" } });

interface Split {
  creates: { change: Json; resource: ResourceNode }[];
  deletes: Json[];
  /** Railway-domain creations for services without a public domain (or created by this set). */
  publicDomains: Json[];
  /** variable.set of a generated secret: `after: {type: "raw", value: {generator: "secret(N)"}}`. */
  secrets: Json[];
  rest: Json[];
}

function changesOf(input: unknown): Json[] {
  const changes = (input as Json | null)?.changes;
  if (!Array.isArray(changes)) throw badRequest("input.changes must be a list of changes");
  return changes as Json[];
}

function serviceName(address: unknown): string | undefined {
  return /^(?:service|database)\.(.+)$/.exec(String(address ?? ""))?.[1];
}

function split(state: EmulatorState, environmentId: string, input: unknown): Split {
  const env = state.environment(environmentId);
  const project = env ? state.project(env.projectId) : undefined;
  if (!env || !project)
    throw new GraphQLError("Environment not found", { extensions: { code: "NOT_FOUND" } });
  const out: Split = { creates: [], deletes: [], publicDomains: [], secrets: [], rest: [] };
  const created = new Set<string>();
  changesOf(input).forEach((change, i) => {
    if (change === null || typeof change !== "object") throw badRequest(`changes[${i}] is not an object`);
    if (change.kind === "resource.create") {
      const resource = change.resource as ResourceNode | undefined;
      if (
        !resource ||
        typeof resource !== "object" ||
        typeof resource.name !== "string" ||
        resource.name === ""
      )
        throw badRequest(`changes[${i}]: resource.create needs resource {type, name}`);
      if (!["service", "database", "volume"].includes(resource.type))
        throw badRequest(
          `changes[${i}]: resource type "${String(resource.type)}" is not supported by the emulator`,
        );
      if (resource.type !== "volume") created.add(resource.name);
      out.creates.push({ change, resource });
    } else if (change.kind === "resource.delete") {
      if (!/^(service|database|volume)\..+$/.test(String(change.address ?? "")))
        throw badRequest(`changes[${i}]: resource.delete needs an address like service.<name>`);
      out.deletes.push(change);
    } else if (change.kind === "variable.set" && isGenerated(change.after)) {
      if (typeof change.variable !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(change.variable))
        throw badRequest(`changes[${i}]: invalid variable name "${String(change.variable)}"`);
      out.secrets.push(change);
    } else if (change.kind === "domain.create" && change.domainKind !== "custom") {
      const name = serviceName(change.address);
      const service = project.services.find((s) => s.name === name);
      const instance = service ? state.instance(service.id, environmentId) : undefined;
      if (name !== undefined && (created.has(name) || instance?.publicDomain === false))
        out.publicDomains.push(change);
      else out.rest.push(change);
    } else {
      out.rest.push(change);
    }
  });
  return out;
}

function isGenerated(after: unknown): boolean {
  const value = (after as Json | null)?.value as Json | undefined;
  return (after as Json | null)?.type === "raw" && typeof value?.generator === "string";
}

function hasResourceWork(s: Split): boolean {
  return s.creates.length + s.deletes.length + s.publicDomains.length + s.secrets.length > 0;
}

/** `environmentPreviewChangeSet` with resource changes: what would be created or deleted is kept. */
export function previewWithResources(state: EmulatorState, environmentId: string, input: unknown): Json {
  const s = split(state, environmentId, input);
  if (!hasResourceWork(s)) return previewChangeSet(state, environmentId, input);
  const pending = new Set(s.creates.map((c) => c.resource.name));
  const onPending = s.rest.filter((c) => pending.has(serviceName(c.address) ?? ""));
  const checkable = s.rest.filter((c) => !pending.has(serviceName(c.address) ?? ""));
  const preview = previewChangeSet(state, environmentId, { version: 1, changes: checkable });
  const kept = [
    ...s.creates.map((c) => c.change),
    ...s.publicDomains,
    ...s.secrets.filter((c) => !exists(state, environmentId, c)),
    ...onPending,
    ...((preview.changeSet as Json).changes as Json[]),
    ...s.deletes,
  ];
  return {
    changeSet: { version: 1, changes: kept },
    diagnostics: preview.diagnostics,
    effects: kept.map((change) => ({
      address: change.address,
      path: change.path ?? change.address,
      deployEffect: change.deployEffect ?? "none",
      deploys: false,
    })),
  };
}

/**
 * `environmentApplyChangeSet` with resource changes. Without them it is environment-config.ts's
 * apply as is. With them the etag is checked first, then the work runs; with
 * waitForCompletion false the answer is "applying" until it is done ("applied" or "failed").
 */
export function applyWithResources(
  ctx: ProvisionContext,
  environmentId: string,
  input: unknown,
  options: {
    baseConfigEtag?: string | null;
    commitMessage?: string | null;
    waitForCompletion?: boolean | null;
  },
  applies: Map<string, ChangeSetApplyRecord>,
): ChangeSetApplyRecord | Promise<ChangeSetApplyRecord> {
  const { state } = ctx;
  const s = split(state, environmentId, input);
  if (!hasResourceWork(s)) return applyChangeSet(state, environmentId, input, options, applies);
  if (options.baseConfigEtag) {
    const now = configEtag(state, environmentId);
    if (now !== options.baseConfigEtag) {
      throw new GraphQLError(
        `The environment's config has changed since baseConfigEtag ${options.baseConfigEtag} (now ${now}): read it again and plan again`,
        { extensions: { code: "CONFLICT" } },
      );
    }
  }
  const projectId = state.environment(environmentId)?.projectId as string;
  const record: ChangeSetApplyRecord = {
    id: randomUUID(),
    environmentId,
    status: "applying",
    changes: [],
    diagnostics: [],
    deploymentId: null,
    stagedPatchId: null,
    commitMessage: options.commitMessage ?? null,
  };
  applies.set(record.id, record);
  const note = (change: Json, status: string, outputs: Json | null = null) =>
    record.changes.push({
      kind: String(change.kind),
      path: String(change.path ?? change.address ?? ""),
      summary: String(change.summary ?? change.kind),
      status,
      outputs,
    });
  const work = (async () => {
    try {
      // Databases first: services created in the same set may reference their variables.
      const ordered = [...s.creates].sort((a, b) => rank(a.resource.type) - rank(b.resource.type));
      for (const { change, resource } of ordered) {
        const outcome = await createResource(ctx, projectId, environmentId, resource);
        note(change, "applied", { ...outcome });
      }
      for (const change of s.publicDomains) {
        const name = serviceName(change.address);
        const service = state.project(projectId)?.services.find((x) => x.name === name);
        const instance = service ? state.instance(service.id, environmentId) : undefined;
        if (!instance) throw new Error(`${String(change.address)} not found`);
        instance.publicDomain = true;
        note(change, "applied", { domain: instance.serviceDomain ?? null });
      }
      // A generated secret is made once: a variable that exists keeps its value.
      for (const change of s.secrets) {
        if (exists(state, environmentId, change)) {
          note(change, "skipped");
          continue;
        }
        const instance = instanceOf(state, environmentId, change.address);
        if (!instance) throw new Error(`${String(change.address)} not found`);
        const generator = ((change.after as Json).value as Json).generator as string;
        instance.variables[String(change.variable)] = variableValue({ generator });
        note(change, "applied");
      }
      if (s.rest.length > 0) {
        const inner = applyChangeSet(
          state,
          environmentId,
          { version: 1, changes: s.rest },
          { commitMessage: options.commitMessage, waitForCompletion: true },
          applies,
        );
        applies.delete(inner.id);
        record.changes.push(...inner.changes);
      }
      for (const change of s.deletes) {
        const outcome = await deleteResource(ctx, projectId, String(change.address));
        note(change, "applied", { ...outcome });
      }
      record.status = "applied";
    } catch (error) {
      record.status = "failed";
      record.diagnostics.push({
        severity: "error",
        path: "changes",
        message: error instanceof Error ? error.message : String(error),
      });
    }
    return record;
  })();
  if (options.waitForCompletion === false) return { ...record };
  return work.then((done) => {
    if (done.status === "failed") {
      const message = (done.diagnostics[0] as Json | undefined)?.message;
      throw badRequest(`the change set failed: ${String(message ?? "unknown error")}`);
    }
    return { ...done };
  });
}

function instanceOf(state: EmulatorState, environmentId: string, address: unknown) {
  const env = state.environment(environmentId);
  const name = serviceName(address);
  const service = env ? state.project(env.projectId)?.services.find((x) => x.name === name) : undefined;
  return service ? state.instance(service.id, environmentId) : undefined;
}

function exists(state: EmulatorState, environmentId: string, change: Json): boolean {
  return instanceOf(state, environmentId, change.address)?.variables[String(change.variable)] !== undefined;
}

function rank(type: ResourceNode["type"]): number {
  return type === "database" ? 0 : type === "service" ? 1 : 2;
}
