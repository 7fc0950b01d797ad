// Environment patches, as Railway's dashboard and its CLI's `environment edit` / `scale` write
// them: a partial EnvironmentConfig ({services: {<id>: {source, build, deploy, variables,
// networking}}, sharedVariables}) either committed at once (`environmentPatchCommit`) or staged
// (`environmentStageChanges`, merged or replacing; read with `environmentStagedChanges`) and
// committed later (`environmentPatchCommitStaged`). A commit is turned into a change set and
// written by the same code as `environmentApplyChangeSet` (environment-config.ts), so a patch is
// checked as strictly and moves the config etag the same way. How a commit deploys is in
// emulator/README.md: the services it changed that have a deployment are redeployed with the
// new settings and variables, unless skipDeploys.

import { randomUUID } from "node:crypto";
import { GraphQLError } from "graphql";
import type { Deployer } from "./deployer.ts";
import { createServiceDomain } from "./domains.ts";
import { applyChangeSet, environmentConfig, type Json } from "./environment-config.ts";
import type { EmulatorState } from "./state.ts";

export interface EnvironmentPatchRecord {
  id: string;
  environmentId: string;
  status: "STAGED" | "APPLYING" | "COMMITTED";
  patch: Json;
  message: string | null;
  createdAt: string;
  updatedAt: string;
  appliedAt: string | null;
}

const badRequest = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_REQUEST" } });
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);

/** Patches by environment: the staged one (at most one per environment) and the committed ones. */
export class EnvironmentPatches {
  readonly #staged = new Map<string, EnvironmentPatchRecord>();
  readonly #committed: EnvironmentPatchRecord[] = [];

  /** `environmentStagedChanges`: the staged patch (an empty one when nothing is staged). */
  staged(environmentId: string): EnvironmentPatchRecord {
    let record = this.#staged.get(environmentId);
    if (!record) {
      const now = new Date().toISOString();
      record = {
        id: randomUUID(),
        environmentId,
        status: "STAGED",
        patch: {},
        message: null,
        createdAt: now,
        updatedAt: now,
        appliedAt: null,
      };
      this.#staged.set(environmentId, record);
    }
    return record;
  }

  /** `environmentStageChanges`: replaces the staged patch, or merges into it. */
  stage(state: EmulatorState, environmentId: string, input: unknown, merge: boolean): EnvironmentPatchRecord {
    checkPatch(state, environmentId, input);
    const record = this.staged(environmentId);
    record.patch = merge ? (deepMerge(record.patch, input) as Json) : structuredClone(input as Json);
    record.updatedAt = new Date().toISOString();
    return record;
  }

  /** How many changes are staged and not committed (Environment.unmergedChangesCount). */
  unmergedCount(environmentId: string): number {
    return countChanges(this.#staged.get(environmentId)?.patch ?? {});
  }

  /** `environmentPatchCommit`: commits `patch` at once; answers the patch id. */
  commit(
    state: EmulatorState,
    deployer: Deployer,
    environmentId: string,
    patch: unknown,
    message: string | null,
    skipDeploys: boolean,
  ): string {
    checkPatch(state, environmentId, patch ?? {});
    const now = new Date().toISOString();
    const record: EnvironmentPatchRecord = {
      id: randomUUID(),
      environmentId,
      status: "APPLYING",
      patch: structuredClone((patch ?? {}) as Json),
      message,
      createdAt: now,
      updatedAt: now,
      appliedAt: null,
    };
    writePatch(state, deployer, environmentId, record.patch, message, skipDeploys);
    record.status = "COMMITTED";
    record.appliedAt = new Date().toISOString();
    this.#committed.push(record);
    return record.id;
  }

  /** `environmentPatchCommitStaged`: commits the staged patch and clears it; answers its id. */
  commitStaged(
    state: EmulatorState,
    deployer: Deployer,
    environmentId: string,
    message: string | null,
    skipDeploys: boolean,
  ): string {
    const record = this.#staged.get(environmentId);
    if (!record || countChanges(record.patch) === 0) throw badRequest("No staged changes to commit");
    writePatch(state, deployer, environmentId, record.patch, message, skipDeploys);
    this.#staged.delete(environmentId);
    record.status = "COMMITTED";
    record.message = message;
    record.appliedAt = record.updatedAt = new Date().toISOString();
    this.#committed.push(record);
    return record.id;
  }
}

/** The shape of a patch: known services of this environment, known sections, variables as {value} or null. */
function checkPatch(state: EmulatorState, environmentId: string, patch: unknown): void {
  if (!isObject(patch)) throw badRequest("The patch must be an EnvironmentConfig object");
  const env = state.environment(environmentId);
  if (!env) throw new GraphQLError("Environment not found", { extensions: { code: "NOT_FOUND" } });
  for (const key of Object.keys(patch)) {
    if (key !== "services" && key !== "sharedVariables")
      throw badRequest(`patch.${key} is not supported by the emulator (services, sharedVariables)`);
  }
  if (patch.sharedVariables !== undefined) checkVariables(patch.sharedVariables, "patch.sharedVariables");
  if (patch.services === undefined) return;
  if (!isObject(patch.services)) throw badRequest("patch.services must be an object keyed by service id");
  for (const [serviceId, entry] of Object.entries(patch.services)) {
    const at = `patch.services.${serviceId}`;
    if (!state.instance(serviceId, environmentId))
      throw badRequest(`${at}: no such service in this environment`);
    if (!isObject(entry)) throw badRequest(`${at} must be an object`);
    for (const [section, value] of Object.entries(entry)) {
      if (!["source", "build", "deploy", "variables", "networking"].includes(section))
        throw badRequest(
          `${at}.${section} is not supported by the emulator (source, build, deploy, variables, networking)`,
        );
      if (!isObject(value)) throw badRequest(`${at}.${section} must be an object`);
    }
    if (entry.variables !== undefined) checkVariables(entry.variables, `${at}.variables`);
  }
}

function checkVariables(variables: unknown, at: string): void {
  if (!isObject(variables)) throw badRequest(`${at} must be an object of name → {value}`);
  for (const [name, value] of Object.entries(variables)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw badRequest(`${at}: invalid variable name "${name}"`);
    if (value !== null && !(isObject(value) && typeof value.value === "string"))
      throw badRequest(`${at}.${name} must be {value: string} (or null to delete it)`);
  }
}

/** Writes a patch as one change set; redeploys the services it changed unless skipDeploys. */
function writePatch(
  state: EmulatorState,
  deployer: Deployer,
  environmentId: string,
  patch: Json,
  message: string | null,
  skipDeploys: boolean,
): void {
  const project = state.project(state.environment(environmentId)?.projectId ?? "");
  if (!project) return;
  const current = (environmentConfig(state, environmentId, true).services ?? {}) as Record<string, Json>;
  const changes: Json[] = [];
  for (const [serviceId, entry] of Object.entries((patch.services ?? {}) as Record<string, Json>)) {
    const service = project.services.find((s) => s.id === serviceId);
    if (!service) continue;
    const address = `service.${service.name}`;
    for (const field of ["source", "build", "deploy"] as const) {
      if (!isObject(entry[field])) continue;
      const after: Json = { ...((current[serviceId]?.[field] as Json | undefined) ?? {}) };
      for (const [key, value] of Object.entries(entry[field] as Json)) {
        if (value === null) delete after[key];
        else after[key] = value;
      }
      changes.push({
        kind: "resource.update",
        address,
        field,
        after,
        path: `services.${serviceId}.${field}`,
      });
    }
    for (const [name, value] of Object.entries((entry.variables ?? {}) as Json)) {
      const path = `services.${serviceId}.variables.${name}`;
      changes.push(
        value === null
          ? { kind: "variable.delete", address, variable: name, path }
          : {
              kind: "variable.set",
              address,
              variable: name,
              after: { type: "literal", value: (value as Json).value },
              path,
            },
      );
    }
    const networking = (entry.networking ?? {}) as Json;
    for (const domain of Object.keys((networking.customDomains ?? {}) as Json))
      changes.push({
        kind: "domain.create",
        address,
        domain,
        domainKind: "custom",
        path: `services.${serviceId}.networking.customDomains`,
      });
  }
  // Every change is checked before any is written (environment-config.ts).
  const applied = applyChangeSet(
    state,
    environmentId,
    { version: 1, changes },
    { commitMessage: message, waitForCompletion: true },
    state.changeSetApplies,
  );
  for (const [serviceId, entry] of Object.entries((patch.services ?? {}) as Record<string, Json>)) {
    // New Railway domains of the patch (named by Railway, so the names given are not kept).
    const wanted = Object.keys((((entry.networking ?? {}) as Json).serviceDomains ?? {}) as Json);
    const instance = state.instance(serviceId, environmentId);
    const service = project.services.find((s) => s.id === serviceId);
    if (!instance || !service) continue;
    const known = new Set([instance.serviceDomain, ...instance.createdServiceDomains.map((d) => d.domain)]);
    for (const name of wanted) if (!known.has(name)) createServiceDomain(state, service, instance, null);
  }
  const shared = (patch.sharedVariables ?? {}) as Json;
  for (const [name, value] of Object.entries(shared)) {
    if (value === null) state.deleteVariable(project.id, environmentId, null, name);
    else
      state.upsertVariables(
        project.id,
        environmentId,
        null,
        { [name]: String((value as Json).value) },
        false,
      );
  }
  if (skipDeploys) return;
  // Railway deploys what a commit changed: here, every changed service that has been deployed.
  const changed = new Set(
    applied.changes.filter((c) => c.status === "applied").map((c) => c.path.split(".")[1] ?? ""),
  );
  for (const serviceId of changed) {
    const latest = state.deploymentsOf(serviceId, environmentId)[0];
    if (latest) deployer.redeploy(latest);
  }
}

/** Counts the leaf changes of a patch (sections' keys, variables, domains, shared variables). */
function countChanges(patch: Json): number {
  let n = Object.keys((patch.sharedVariables ?? {}) as Json).length;
  for (const entry of Object.values((patch.services ?? {}) as Record<string, Json>)) {
    for (const section of Object.values(entry)) if (isObject(section)) n += Object.keys(section).length;
  }
  return n;
}

function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isObject(base) || !isObject(patch)) return structuredClone(patch);
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(patch))
    out[key] = key in out ? deepMerge(out[key], value) : structuredClone(value);
  return out;
}
