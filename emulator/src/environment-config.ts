// The emulator's environment config, as Railway serves it: `Environment.config` (services keyed
// by id with source/build/deploy/variables/networking/configFile, shared variables), its etag,
// and change sets (`environmentPreviewChangeSet`, `environmentApplyChangeSet`,
// `environmentChangeSetApply`). The instance records in state.ts stay the storage; this module
// is the view and the writer. Types are the emulator's own, from Railway's CLI and schema, not
// the action's: a mistake in the client's model must not be agreed to here.
//
// How an apply behaves (emulator/README.md): it is atomic (every change is checked before any
// is made), committed at once (not staged), and starts no deployment; changed settings and
// variables take effect with the service's next deployment.

import { createHash, randomUUID } from "node:crypto";
import { GraphQLError } from "graphql";
import type { EmulatorState, ServiceInstanceRecord, ServiceRecord } from "./state.ts";

export type Json = Record<string, unknown>;

/** Railway answers stored registry credentials with this in both fields. */
export const MASKED = "*****";

/** The flat settings the instance records keep (Railway's Config-as-Code names). */
type FlatSettings = Record<string, unknown>;

const BUILD_KEYS = [
  "builder",
  "buildCommand",
  "dockerfilePath",
  "watchPatterns",
  "nixpacksPlan",
  "nixpacksConfigPath",
  "nixpacksVersion",
  "railpackVersion",
] as const;

const DEPLOY_KEYS = [
  "startCommand",
  "preDeployCommand",
  "healthcheckPath",
  "healthcheckTimeout",
  "numReplicas",
  "multiRegionConfig",
  "cronSchedule",
  "restartPolicyType",
  "restartPolicyMaxRetries",
  "sleepApplication",
  "registryCredentials",
  "limitOverride",
  "requiredMountPath",
  "overlapSeconds",
  "drainingSeconds",
  "ipv6EgressEnabled",
] as const;

const BUILDERS = new Set(["RAILPACK", "DOCKERFILE", "NIXPACKS", "HEROKU", "PAKETO"]);
const RESTART_POLICIES = new Set(["ON_FAILURE", "ALWAYS", "NEVER"]);

/** The builder a deployment uses: the explicit one, else DOCKERFILE when a Dockerfile path is set. */
export function effectiveBuilder(settings: FlatSettings): string {
  const builder = settings.builder;
  if (typeof builder === "string" && builder !== "") return builder;
  return typeof settings.dockerfilePath === "string" && settings.dockerfilePath !== ""
    ? "DOCKERFILE"
    : "RAILPACK";
}

function pick(settings: FlatSettings, keys: readonly string[]): Json {
  const out: Json = {};
  for (const key of keys) {
    const value = settings[key];
    if (value !== undefined && value !== null) out[key] = structuredClone(value);
  }
  return out;
}

/** One service's entry of the environment config. */
export function serviceEntry(
  state: EmulatorState,
  service: ServiceRecord,
  instance: ServiceInstanceRecord,
  decrypt: boolean,
): Json {
  const settings = instance.settings as FlatSettings;
  const source: Json = {};
  if (service.source?.repo) source.repo = service.source.repo;
  if (service.source?.image) source.image = service.source.image;
  if (typeof settings.rootDirectory === "string" && settings.rootDirectory !== "")
    source.rootDirectory = settings.rootDirectory;
  const build = { ...pick(settings, BUILD_KEYS), builder: effectiveBuilder(settings) };
  const deploy = pick(settings, DEPLOY_KEYS);
  // Replicas are placed per region in the config: a lone `region` reads back as one.
  if (deploy.multiRegionConfig === undefined && typeof settings.region === "string" && settings.region) {
    deploy.multiRegionConfig = { [settings.region]: { numReplicas: settings.numReplicas ?? 1 } };
  }
  if (deploy.registryCredentials !== undefined && !decrypt) {
    deploy.registryCredentials = { username: MASKED, password: MASKED };
  }
  const entry: Json = { source, build, deploy };
  entry.variables = Object.fromEntries(
    Object.entries(instance.variables).map(([name, value]) => [name, { value: decrypt ? value : null }]),
  );
  const serviceDomains: Json = {};
  if (instance.serviceDomain && instance.publicDomain !== false) {
    const port = Number(/:(\d+)$/.exec(instance.serviceDomain)?.[1]);
    serviceDomains[instance.serviceDomain] = Number.isFinite(port) ? { port } : {};
  }
  for (const d of instance.createdServiceDomains)
    serviceDomains[d.domain] = d.targetPort ? { port: d.targetPort } : {};
  const customDomains = Object.fromEntries(
    instance.customDomains.map((d) => [d.domain, d.targetPort ? { port: d.targetPort } : {}]),
  );
  entry.networking = { serviceDomains, customDomains };
  if (typeof settings.railwayConfigFile === "string" && settings.railwayConfigFile !== "")
    entry.configFile = settings.railwayConfigFile;
  void state;
  return entry;
}

/** `Environment.config(decryptVariables)`: without decryption every variable value is null. */
export function environmentConfig(state: EmulatorState, environmentId: string, decrypt: boolean): Json {
  const env = state.environment(environmentId);
  const project = env ? state.project(env.projectId) : undefined;
  if (!env || !project) return {};
  const services: Json = {};
  for (const service of project.services) {
    const instance = state.instance(service.id, environmentId);
    if (instance) services[service.id] = serviceEntry(state, service, instance, decrypt);
  }
  const shared = project.shared.get(environmentId) ?? {};
  return {
    services,
    sharedVariables: Object.fromEntries(
      Object.entries(shared).map(([name, value]) => [name, { value: decrypt ? value : null }]),
    ),
  };
}

/** An opaque token that changes whenever anything in the environment's config changes. */
export function configEtag(state: EmulatorState, environmentId: string): string {
  const config = environmentConfig(state, environmentId, true);
  // Decrypted credentials too: a changed password changes the etag.
  const env = state.environment(environmentId);
  const credentials = env
    ? (state.project(env.projectId)?.services ?? []).map(
        (s) =>
          (state.instance(s.id, environmentId)?.settings as FlatSettings | undefined)?.registryCredentials,
      )
    : [];
  return createHash("sha256").update(stable({ config, credentials })).digest("hex").slice(0, 32);
}

export function stable(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(
        Object.entries(v as Json)
          .filter(([, x]) => x !== undefined)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, x]) => [k, sort(x)]),
      );
    return v;
  };
  return JSON.stringify(sort(value));
}

/** `${{ shared.X }}` and `${{shared.X}}` are the same reference. */
function sameVariableValue(a: string, b: string): boolean {
  const norm = (v: string) =>
    v.replace(
      /\$\{\{\s*([^}]*?)\s*\}\}/g,
      (_m, ref: string) => `\${{${ref.replace(/\s*\.\s*/g, ".").trim()}}}`,
    );
  return norm(a) === norm(b);
}

// ---------------------------------------------------------------------------------------------
// Change sets

interface ResolvedChange {
  change: Json;
  kind: string;
  path: string;
  summary: string;
  service: ServiceRecord;
  instance: ServiceInstanceRecord;
}

const badRequest = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_REQUEST" } });

function changesOf(input: unknown): Json[] {
  if (input === null || typeof input !== "object" || Array.isArray(input))
    throw badRequest("input must be a change set object: {version, changes}");
  const changes = (input as Json).changes;
  if (!Array.isArray(changes)) throw badRequest("input.changes must be a list of changes");
  return changes.map((c, i) => {
    if (c === null || typeof c !== "object" || Array.isArray(c))
      throw badRequest(`changes[${i}] is not an object`);
    return c as Json;
  });
}

/** Checks every change against the environment before anything is written. */
function resolve(state: EmulatorState, environmentId: string, input: unknown): ResolvedChange[] {
  const env = state.environment(environmentId);
  const project = env ? state.project(env.projectId) : undefined;
  if (!env || !project)
    throw new GraphQLError("Environment not found", { extensions: { code: "NOT_FOUND" } });
  return changesOf(input).map((change, i) => {
    const kind = String(change.kind ?? "");
    const address = String(change.address ?? "");
    const match = /^service\.(.+)$/.exec(address);
    if (!match)
      throw badRequest(`changes[${i}]: address "${address}" does not name a service (service.<name>)`);
    const service = project.services.find((s) => s.name === match[1]);
    const instance = service ? state.instance(service.id, environmentId) : undefined;
    if (!service || !instance)
      throw badRequest(`changes[${i}]: no service "${match[1]}" in this environment`);
    if (kind === "resource.update") {
      const field = change.field;
      if (field !== "source" && field !== "build" && field !== "deploy")
        throw badRequest(
          `changes[${i}]: resource.update of "${String(field)}" is not supported (source, build, deploy)`,
        );
      const after = change.after;
      if (after === null || typeof after !== "object" || Array.isArray(after))
        throw badRequest(`changes[${i}]: after must be the complete ${field} object`);
      checkSection(field, after as Json, i);
    } else if (kind === "variable.set") {
      const after = change.after as Json | undefined;
      if (typeof change.variable !== "string" || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(change.variable))
        throw badRequest(`changes[${i}]: invalid variable name "${String(change.variable)}"`);
      if (after?.type !== "literal" || typeof after.value !== "string")
        throw badRequest(`changes[${i}]: variable.set needs after: {type: "literal", value: string}`);
    } else if (kind === "variable.delete") {
      if (typeof change.variable !== "string")
        throw badRequest(`changes[${i}]: variable.delete needs variable`);
    } else if (kind === "domain.create") {
      if (typeof change.domain !== "string" || change.domain === "")
        throw badRequest(`changes[${i}]: domain.create needs domain`);
      if (change.domainKind !== "custom" && change.domain !== instance.serviceDomain)
        throw badRequest(
          `changes[${i}]: the emulator allocates Railway domains itself (${instance.serviceDomain ?? "none yet"}); only custom domains can be created`,
        );
    } else {
      throw badRequest(`changes[${i}]: change kind "${kind}" is not supported by the emulator`);
    }
    return {
      change,
      kind,
      path: String(change.path ?? `${address}`),
      summary: String(change.summary ?? kind),
      service,
      instance,
    };
  });
}

function checkSection(field: string, after: Json, i: number): void {
  const allowed: readonly string[] =
    field === "build"
      ? BUILD_KEYS
      : field === "deploy"
        ? DEPLOY_KEYS
        : ["repo", "image", "rootDirectory", "branch", "checkSuites"];
  for (const key of Object.keys(after)) {
    if (!allowed.includes(key))
      throw badRequest(`changes[${i}]: ${field}.${key} is not a field of the environment config`);
  }
  if (after.builder !== undefined && after.builder !== null && !BUILDERS.has(String(after.builder)))
    throw badRequest(`changes[${i}]: build.builder "${String(after.builder)}" is not a builder`);
  if (
    after.restartPolicyType !== undefined &&
    after.restartPolicyType !== null &&
    !RESTART_POLICIES.has(String(after.restartPolicyType))
  )
    throw badRequest(
      `changes[${i}]: deploy.restartPolicyType "${String(after.restartPolicyType)}" is not a policy`,
    );
}

/** The section as stored, in the shape a change's `after` holds (credentials real, not masked). */
function currentSection(state: EmulatorState, r: ResolvedChange, field: string): Json {
  const entry = serviceEntry(state, r.service, r.instance, true);
  const section = { ...((entry[field] as Json | undefined) ?? {}) };
  if (field === "deploy") {
    const credentials = (r.instance.settings as FlatSettings).registryCredentials;
    if (credentials !== undefined && credentials !== null) section.registryCredentials = credentials;
  }
  return section;
}

/** The section a change would leave: `after`, with masked credentials meaning "keep". */
function nextSection(state: EmulatorState, r: ResolvedChange): Json {
  const field = String(r.change.field);
  const after = { ...(r.change.after as Json) };
  if (field === "deploy") {
    const credentials = after.registryCredentials as Json | undefined;
    if (credentials && (credentials.username === MASKED || credentials.password === MASKED)) {
      const kept = (r.instance.settings as FlatSettings).registryCredentials;
      if (kept === undefined) delete after.registryCredentials;
      else after.registryCredentials = kept;
    }
  }
  if (field === "build" && (after.builder === undefined || after.builder === null)) {
    // Railway keeps a builder: an absent one means its default.
    after.builder = currentSection(state, r, "build").builder ?? "RAILPACK";
  }
  return after;
}

function isNoOp(state: EmulatorState, r: ResolvedChange): boolean {
  const settings = r.instance.settings as FlatSettings;
  switch (r.kind) {
    case "resource.update": {
      const field = String(r.change.field);
      const next = nextSection(state, r);
      const now = currentSection(state, r, field);
      if (field === "source") {
        // Only what a change set may set on the source counts.
        for (const key of Object.keys(now)) if (!(key in next)) delete now[key];
      }
      return stable(normalizeSection(now)) === stable(normalizeSection(next));
    }
    case "variable.set": {
      const current = r.instance.variables[String(r.change.variable)];
      return current !== undefined && sameVariableValue(current, String((r.change.after as Json).value));
    }
    case "variable.delete":
      return r.instance.variables[String(r.change.variable)] === undefined;
    case "domain.create":
      return (
        r.instance.customDomains.some((d) => d.domain === r.change.domain) ||
        r.instance.serviceDomain === r.change.domain
      );
    default:
      void settings;
      return false;
  }
}

function normalizeSection(section: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(section)) {
    if (value === null || value === undefined || value === "") continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out;
}

function write(state: EmulatorState, r: ResolvedChange): void {
  const settings = { ...(r.instance.settings as FlatSettings) };
  switch (r.kind) {
    case "resource.update": {
      const field = String(r.change.field);
      const next = nextSection(state, r);
      if (field === "source") {
        if ("rootDirectory" in next) settings.rootDirectory = next.rootDirectory ?? null;
        if (typeof next.repo === "string" || typeof next.image === "string") {
          r.service.source = {
            ...(typeof next.repo === "string" ? { repo: next.repo } : {}),
            ...(typeof next.image === "string" ? { image: next.image } : {}),
          };
        }
      } else {
        const keys: readonly string[] = field === "build" ? BUILD_KEYS : DEPLOY_KEYS;
        for (const key of keys) delete settings[key];
        if (field === "deploy") {
          // The section replaces the old one; a lone region is part of multiRegionConfig now.
          delete settings.region;
        }
        for (const [key, value] of Object.entries(next)) if (value !== null) settings[key] = value;
      }
      r.instance.settings = settings as ServiceInstanceRecord["settings"];
      return;
    }
    case "variable.set":
      r.instance.variables[String(r.change.variable)] = String((r.change.after as Json).value);
      return;
    case "variable.delete":
      delete r.instance.variables[String(r.change.variable)];
      return;
    case "domain.create":
      if (r.change.domainKind === "custom" && !isNoOp(state, r)) {
        r.instance.customDomains.push({
          id: randomUUID(),
          domain: String(r.change.domain),
          verified: false,
          certificateStatus: "CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP",
        });
      }
      return;
  }
}

/** `environmentPreviewChangeSet`: the changes that would change something, without side effects. */
export function previewChangeSet(state: EmulatorState, environmentId: string, input: unknown): Json {
  const resolved = resolve(state, environmentId, input);
  const kept = resolved.filter((r) => !isNoOp(state, r));
  return {
    changeSet: { version: 1, changes: kept.map((r) => r.change) },
    diagnostics: [],
    effects: kept.map((r) => ({
      address: r.change.address,
      path: r.path,
      deployEffect: r.change.deployEffect ?? "deploy",
      // The emulator starts no deployment on apply: the change waits for the next one.
      deploys: false,
    })),
  };
}

export interface ChangeSetApplyRecord {
  id: string;
  environmentId: string;
  status: "applying" | "applied" | "failed";
  changes: { kind: string; path: string; summary: string; status: string; outputs: Json | null }[];
  diagnostics: unknown[];
  deploymentId: null;
  stagedPatchId: null;
  commitMessage: string | null;
}

/**
 * `environmentApplyChangeSet`: refuses a stale baseConfigEtag (code CONFLICT), checks every
 * change, then writes them all. With waitForCompletion false the answer says "applying" until
 * `applyMs` has passed (the writes are already made: later reads see them).
 */
export function applyChangeSet(
  state: EmulatorState,
  environmentId: string,
  input: unknown,
  options: {
    baseConfigEtag?: string | null;
    commitMessage?: string | null;
    waitForCompletion?: boolean | null;
  },
  applies: Map<string, ChangeSetApplyRecord>,
  applyMs = 50,
): ChangeSetApplyRecord {
  if (options.baseConfigEtag) {
    const now = configEtag(state, environmentId);
    if (now !== options.baseConfigEtag) {
      throw new GraphQLError(
        `The environment's config has changed since baseConfigEtag ${options.baseConfigEtag} (now ${now}): read it again and plan again`,
        { extensions: { code: "CONFLICT" } },
      );
    }
  }
  const resolved = resolve(state, environmentId, input);
  const results = resolved.map((r) => {
    const noop = isNoOp(state, r);
    if (!noop) write(state, r);
    return {
      kind: r.kind,
      path: r.path,
      summary: r.summary,
      status: noop ? "skipped" : "applied",
      outputs: null,
    };
  });
  const record: ChangeSetApplyRecord = {
    id: randomUUID(),
    environmentId,
    status: options.waitForCompletion === false ? "applying" : "applied",
    changes: results,
    diagnostics: [],
    deploymentId: null,
    stagedPatchId: null,
    commitMessage: options.commitMessage ?? null,
  };
  applies.set(record.id, record);
  if (record.status === "applying") {
    setTimeout(() => {
      record.status = "applied";
    }, applyMs).unref();
  }
  return record;
}
