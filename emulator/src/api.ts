// The GraphQL API of the emulator: emulator/schema.graphql executed by graphql-js with
// resolvers over EmulatorState and the Deployer. Authorization follows Railway: a wrong token,
// or one without access, gets "Not Authorized".

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CronExpressionParser } from "cron-parser";
import { buildSchema, GraphQLError, type GraphQLSchema } from "graphql";
import { DeployError, type Deployer } from "./deployer.ts";
import {
  createCustomDomain,
  createServiceDomain,
  customDomainStatus,
  deleteDomain,
  findDomain,
  issueCertificate,
  runnerDomainId,
  runnerDomainPort,
  updateCustomDomain,
  updateServiceDomain,
} from "./domains.ts";
import { applyChangeSet, configEtag, environmentConfig } from "./environment-config.ts";
import type { EnvironmentPatchRecord } from "./environment-patch.ts";
import { applyWithResources, previewWithResources } from "./provision/change-set.ts";
import type { ProvisionContext } from "./provision/index.ts";
import { INSTANCE_UPDATE_FIELDS, type InstanceSettings } from "./railway-types.ts";
import {
  type ChangeEvent,
  type CustomDomainRecord,
  type DeploymentRecord,
  type EmulatorState,
  type EnvironmentRecord,
  type ExecutionRecord,
  type LogRecord,
  normalizeSettings,
  type ProjectRecord,
  type ServiceDomainRecord,
  type ServiceInstanceRecord,
  type ServiceRecord,
  type VolumeRecord,
} from "./state.ts";
import type { TokenFile } from "./state-file.ts";

export const SDL_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "../schema.graphql");

export type Auth = TokenFile | null;

export interface ApiContext {
  auth: Auth;
  state: EmulatorState;
  deployer: Deployer;
  /** Real provisioning (emulator/src/provision/): createResource / deleteResource take it. */
  provision?: ProvisionContext;
}

/** Finds the token a request presents: `Authorization: Bearer` (account) or `Project-Access-Token`. */
export function authenticate(state: EmulatorState, headers: Record<string, unknown>): Auth {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v === "string") lower[k.toLowerCase()] = v;
    else if (Array.isArray(v) && typeof v[0] === "string") lower[k.toLowerCase()] = v[0];
  }
  const projectToken = lower["project-access-token"];
  if (projectToken) return state.tokens.find((t) => t.kind === "project" && t.token === projectToken) ?? null;
  const bearer = /^Bearer\s+(.+)$/i.exec(lower.authorization ?? "")?.[1]?.trim();
  if (bearer) return state.tokens.find((t) => t.kind === "account" && t.token === bearer) ?? null;
  return null;
}

/** The token a request presents, whether or not it is valid (for rate limiting). */
export function presentedToken(headers: Record<string, unknown>): string | undefined {
  const get = (name: string) => {
    const v = headers[name];
    return typeof v === "string" ? v : undefined;
  };
  return get("project-access-token") ?? get("authorization")?.replace(/^Bearer\s+/i, "");
}

const notAuthorized = () => new GraphQLError("Not Authorized", { extensions: { code: "UNAUTHORIZED" } });
const notFound = (what: string) =>
  new GraphQLError(`${what} not found`, { extensions: { code: "NOT_FOUND" } });

function requireAuth(ctx: ApiContext): TokenFile {
  if (!ctx.auth) throw notAuthorized();
  return ctx.auth;
}

function canAccess(auth: TokenFile, projectId: string, environmentId?: string): boolean {
  if (auth.kind === "project") {
    return auth.project === projectId && (environmentId === undefined || auth.environment === environmentId);
  }
  return auth.projects === undefined || auth.projects.includes(projectId);
}

function requireAccess(ctx: ApiContext, projectId: string, environmentId?: string, write = false): void {
  const auth = requireAuth(ctx);
  if (!canAccess(auth, projectId, environmentId)) throw notAuthorized();
  if (write && auth.kind === "account" && auth.readOnly) throw notAuthorized();
}

function normalizeTokenEnvironments(state: EmulatorState): void {
  // Project tokens may name their environment by name in the state file: store ids.
  for (const token of state.tokens) {
    if (token.kind !== "project") continue;
    const env = state
      .project(token.project)
      ?.environments.find((e) => e.id === token.environment || e.name === token.environment);
    if (env) token.environment = env.id;
  }
}

/** A Relay connection over `nodes`; cursors are positions, `after` starts past one. */
function connection<T>(nodes: T[], first?: number | null, after?: string | null) {
  const start = after !== undefined && after !== null && /^\d+$/.test(after) ? Number(after) + 1 : 0;
  const rest = nodes.slice(start);
  const list = typeof first === "number" && first >= 0 ? rest.slice(0, first) : rest;
  return {
    edges: list.map((node, i) => ({ cursor: String(start + i), node })),
    pageInfo: {
      hasNextPage: list.length < rest.length,
      hasPreviousPage: start > 0,
      startCursor: list.length ? String(start) : null,
      endCursor: list.length ? String(start + list.length - 1) : null,
    },
  };
}

const serviceView = (s: ServiceRecord) => ({ id: s.id, name: s.name, projectId: s.projectId, icon: null });
/** An environment; config, configEtag and serviceInstances are resolved when asked for. */
function environmentView(state: EmulatorState, e: EnvironmentRecord) {
  return {
    ...e,
    // A project token sees the other environments of its project listed, but cannot open them.
    canAccess: (_args: Args, ctx: ApiContext) => ctx.auth !== null && canAccess(ctx.auth, e.projectId, e.id),
    deletedAt: null,
    unmergedChangesCount: () => state.patches.unmergedCount(e.id),
    canvasGroupRefs: {},
    volumeInstances: ({ first }: { first?: number | null }) =>
      connection(
        (state.project(e.projectId)?.volumes ?? [])
          .filter((v) => v.environmentId === e.id)
          .map((v) => volumeInstanceView(state, v)),
        first,
      ),
    config: ({ decryptVariables }: { decryptVariables?: boolean | null }) =>
      environmentConfig(state, e.id, decryptVariables === true),
    configEtag: () => configEtag(state, e.id),
    serviceInstances: ({ first, after }: { first?: number | null; after?: string | null }) => {
      const project = state.project(e.projectId);
      const instances = (project?.services ?? [])
        .map((service) => state.instance(service.id, e.id))
        .filter((instance): instance is ServiceInstanceRecord => instance !== undefined)
        .map((instance) => instanceView(state, instance));
      return connection(instances, first, after);
    },
  };
}

function volumeView(state: EmulatorState, v: VolumeRecord) {
  return {
    id: v.id,
    name: v.name,
    projectId: v.projectId,
    createdAt: v.createdAt ?? state.project(v.projectId)?.createdAt ?? new Date(0).toISOString(),
  };
}

/** A volume as mounted in its environment (the emulator stores nothing in it: it reads as empty). */
function volumeInstanceView(state: EmulatorState, v: VolumeRecord) {
  return {
    id: `${v.id}-instance`,
    volumeId: v.id,
    volume: volumeView(state, v),
    serviceId: v.serviceId,
    environmentId: v.environmentId,
    mountPath: v.mountPath,
    sizeMB: v.sizeMB ?? 5_000,
    currentSizeMB: 0,
    state: "READY",
    deletedAt: null,
    isPendingDeletion: false,
  };
}

/** A workspace; its projects are those in it that the presenting token may see. */
function workspaceView(state: EmulatorState, w: { id: string; name: string }) {
  return {
    ...w,
    team: null,
    projects: ({ first }: { first?: number | null }, ctx: ApiContext) =>
      connection(
        [...state.projects.values()]
          .filter((p) => p.workspace.id === w.id && ctx.auth !== null && canAccess(ctx.auth, p.id))
          .map((p) => projectView(state, p)),
        first,
      ),
  };
}

function projectView(state: EmulatorState, p: ProjectRecord) {
  return {
    id: p.id,
    name: p.name,
    workspaceId: p.workspace.id,
    workspace: workspaceView(state, p.workspace),
    createdAt: p.createdAt,
    updatedAt: p.createdAt,
    deletedAt: null,
    volumes: ({ first }: { first?: number | null }) =>
      connection(
        p.volumes.map((v) => volumeView(state, v)),
        first,
      ),
    buckets: ({ first }: { first?: number | null }) =>
      connection(
        p.buckets.map((b) => ({ ...b, groupId: null })),
        first,
      ),
    services: ({ first }: { first?: number }) => connection(p.services.map(serviceView), first),
    environments: ({ first, isEphemeral }: { first?: number; isEphemeral?: boolean | null }) =>
      connection(
        p.environments
          .filter((e) => isEphemeral === undefined || isEphemeral === null || e.isEphemeral === isEphemeral)
          .map((e) => environmentView(state, e)),
        first,
      ),
  };
}

function deploymentView(state: EmulatorState, d: DeploymentRecord) {
  const domain = state.instance(d.serviceId, d.environmentId)?.serviceDomain;
  const service = state.service(d.serviceId) as ServiceRecord;
  const environment = state.environment(d.environmentId) as EnvironmentRecord;
  return {
    id: d.id,
    status: d.status,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    statusUpdatedAt: d.statusUpdatedAt,
    projectId: d.projectId,
    environmentId: d.environmentId,
    serviceId: d.serviceId,
    url: domain ? `http://${domain}` : null,
    staticUrl: domain ?? null,
    canRollback: d.everSucceeded,
    // As Railway (and its CLI's redeploy) sees it: not while it builds or deploys, not once removed.
    canRedeploy: !NOT_REDEPLOYABLE.has(d.status),
    deploymentStopped: ["REMOVED", "FAILED", "CRASHED", "SKIPPED"].includes(d.status),
    meta: { ...d.meta },
    instances: deploymentInstances(state, d),
    service: serviceView(service),
    environment: environmentView(state, environment),
  };
}

function executionView(d: DeploymentRecord, e: ExecutionRecord) {
  return { ...e, deploymentMeta: { ...d.meta } };
}

/** The instances of a deployment, from its status: one per replica once it deploys. */
function deploymentInstances(state: EmulatorState, d: DeploymentRecord) {
  // The latest run of the instance when the runner reported one (a crash loop shows here), else the status's.
  const status = d.executions.at(-1)?.status ?? INSTANCE_STATUS[d.status];
  if (!status) return [];
  const settings = state.instance(d.serviceId, d.environmentId)?.settings as
    | Record<string, unknown>
    | undefined;
  const regions = settings?.multiRegionConfig as Record<string, { numReplicas?: number } | null> | undefined;
  const replicas = regions
    ? Object.values(regions).reduce((n, r) => n + (r?.numReplicas ?? 0), 0)
    : Number(settings?.numReplicas ?? 1);
  return Array.from({ length: Math.max(1, replicas) }, (_, i) => ({ id: `${d.id}-${i}`, status }));
}

const NOT_REDEPLOYABLE = new Set([
  "QUEUED",
  "WAITING",
  "INITIALIZING",
  "BUILDING",
  "DEPLOYING",
  "REMOVING",
  "REMOVED",
]);

const INSTANCE_STATUS: Partial<Record<string, string>> = {
  DEPLOYING: "INITIALIZING",
  SUCCESS: "RUNNING",
  SLEEPING: "STOPPED",
  CRASHED: "CRASHED",
  REMOVING: "REMOVING",
  REMOVED: "REMOVED",
};

function serviceDomainView(state: EmulatorState, instance: ServiceInstanceRecord, d: ServiceDomainRecord) {
  const service = state.service(instance.serviceId) as ServiceRecord;
  return {
    id: d.id,
    domain: d.domain,
    environmentId: instance.environmentId,
    projectId: service.projectId,
    serviceId: instance.serviceId,
    suffix: d.domain.split(".").slice(1).join("."),
    targetPort: d.targetPort,
    syncStatus: "ACTIVE",
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

function customDomainView(state: EmulatorState, instance: ServiceInstanceRecord, d: CustomDomainRecord) {
  const service = state.service(instance.serviceId) as ServiceRecord;
  return {
    id: d.id,
    domain: d.domain,
    environmentId: instance.environmentId,
    projectId: service.projectId,
    serviceId: instance.serviceId,
    targetPort: d.targetPort ?? runnerDomainPort(instance),
    syncStatus: "ACTIVE",
    createdAt: d.createdAt ?? null,
    updatedAt: d.updatedAt ?? null,
    status: customDomainStatus(instance, d),
  };
}

function domainsView(state: EmulatorState, instance: ServiceInstanceRecord) {
  const service = state.service(instance.serviceId) as ServiceRecord;
  const runner =
    instance.serviceDomain && instance.publicDomain !== false
      ? [
          {
            ...serviceDomainView(state, instance, {
              id: runnerDomainId(instance),
              domain: instance.serviceDomain,
              targetPort: runnerDomainPort(instance),
              createdAt: state.project(service.projectId)?.createdAt ?? new Date(0).toISOString(),
              updatedAt: state.project(service.projectId)?.createdAt ?? new Date(0).toISOString(),
            }),
            suffix: null,
          },
        ]
      : [];
  return {
    serviceDomains: [
      ...runner,
      ...instance.createdServiceDomains.map((d) => serviceDomainView(state, instance, d)),
    ],
    customDomains: instance.customDomains.map((d) => customDomainView(state, instance, d)),
  };
}

function instanceView(state: EmulatorState, instance: ServiceInstanceRecord) {
  const s = instance.settings;
  const service = state.service(instance.serviceId) as ServiceRecord;
  const deployments = state.deploymentsOf(instance.serviceId, instance.environmentId);
  return {
    id: instance.id,
    serviceId: instance.serviceId,
    serviceName: service.name,
    environmentId: instance.environmentId,
    builder: s.builder && s.builder !== "DOCKERFILE" ? s.builder : "RAILPACK",
    buildCommand: s.buildCommand ?? null,
    dockerfilePath: s.dockerfilePath ?? null,
    watchPatterns: s.watchPatterns ?? [],
    rootDirectory: s.rootDirectory ?? null,
    railwayConfigFile: s.railwayConfigFile ?? null,
    nixpacksPlan: s.nixpacksPlan ?? null,
    startCommand: s.startCommand ?? null,
    preDeployCommand: s.preDeployCommand ?? null,
    numReplicas: s.numReplicas ?? 1,
    region: s.region ?? null,
    healthcheckPath: s.healthcheckPath ?? null,
    healthcheckTimeout: s.healthcheckTimeout ?? null,
    restartPolicyType: s.restartPolicyType ?? "ON_FAILURE",
    restartPolicyMaxRetries: s.restartPolicyMaxRetries ?? 10,
    cronSchedule: s.cronSchedule ?? null,
    nextCronRunAt: nextCronRun(s.cronSchedule),
    sleepApplication: s.sleepApplication ?? false,
    overlapSeconds: s.overlapSeconds ?? null,
    drainingSeconds: s.drainingSeconds ?? null,
    ipv6EgressEnabled: s.ipv6EgressEnabled ?? null,
    source: service.source
      ? { repo: service.source.repo ?? null, image: service.source.image ?? null }
      : null,
    latestDeployment: deployments[0] ? deploymentView(state, deployments[0]) : null,
    activeDeployments: deployments.filter((d) => d.status === "SUCCESS").map((d) => deploymentView(state, d)),
    domains: domainsView(state, instance),
  };
}

/** When a cron service runs next (UTC, as Railway schedules), or null. */
function nextCronRun(schedule: unknown): string | null {
  if (typeof schedule !== "string" || schedule.trim() === "") return null;
  try {
    return CronExpressionParser.parse(schedule, { tz: "UTC" }).next().toISOString();
  } catch {
    return null;
  }
}

/** Railway's regions (name, location, country), as `regions` lists them. */
const REGIONS = [
  { name: "us-west2", location: "US West (California, USA)", country: "US" },
  { name: "us-east4-eqdc4a", location: "US East (Virginia, USA)", country: "US" },
  { name: "europe-west4-drams3a", location: "EU West (Amsterdam, Netherlands)", country: "NL" },
  { name: "asia-southeast1-eqsg3a", location: "Southeast Asia (Singapore)", country: "SG" },
];

function logView(d: DeploymentRecord, l: LogRecord) {
  return {
    message: l.message,
    severity: l.severity,
    timestamp: l.timestamp,
    attributes: [],
    tags: {
      deploymentId: d.id,
      environmentId: d.environmentId,
      projectId: d.projectId,
      serviceId: d.serviceId,
    },
  };
}

function selectLogs(logs: LogRecord[], filter?: string | null, limit?: number | null): LogRecord[] {
  const filtered = filter ? logs.filter((l) => l.message.includes(filter)) : logs;
  const n = Math.min(Math.max(limit ?? 100, 0), 5000);
  return filtered.slice(Math.max(0, filtered.length - n));
}

function deploymentFor(ctx: ApiContext, id: string, write = false): DeploymentRecord {
  requireAuth(ctx);
  const d = ctx.state.deployments.get(id);
  if (!d || (d.hiddenUntil !== undefined && Date.now() < d.hiddenUntil)) throw notFound("Deployment");
  requireAccess(ctx, d.projectId, d.environmentId, write);
  return d;
}

function serviceIn(ctx: ApiContext, projectId: string, serviceId: string): ServiceRecord {
  const service = ctx.state.service(serviceId);
  if (!service || service.projectId !== projectId) throw notFound("Service");
  return service;
}

function instanceFor(
  ctx: ApiContext,
  environmentId: string,
  serviceId: string,
  write = false,
): ServiceInstanceRecord {
  requireAuth(ctx);
  const env = ctx.state.environment(environmentId);
  const instance = ctx.state.instance(serviceId, environmentId);
  if (!env || !instance) throw notFound("ServiceInstance");
  requireAccess(ctx, env.projectId, environmentId, write);
  return instance;
}

function environmentFor(ctx: ApiContext, environmentId: string, write = false): EnvironmentRecord {
  requireAuth(ctx);
  const env = ctx.state.environment(environmentId);
  if (!env) throw notFound("Environment");
  requireAccess(ctx, env.projectId, env.id, write);
  return env;
}

/** An environment patch; variable values are masked unless decryptVariables (as Environment.config). */
function patchView(p: EnvironmentPatchRecord) {
  return {
    ...p,
    patch: ({ decryptVariables }: { decryptVariables?: boolean | null }) =>
      decryptVariables === true ? structuredClone(p.patch) : maskVariables(p.patch),
  };
}

function maskVariables(patch: Record<string, unknown>): Record<string, unknown> {
  const mask = (vars: unknown) =>
    Object.fromEntries(
      Object.entries((vars ?? {}) as Record<string, unknown>).map(([k, v]) => [
        k,
        v === null ? null : { value: null },
      ]),
    );
  const out = structuredClone(patch) as Record<string, Record<string, unknown>>;
  if (out.sharedVariables) out.sharedVariables = mask(out.sharedVariables);
  for (const entry of Object.values((out.services ?? {}) as Record<string, Record<string, unknown>>)) {
    if (entry.variables) entry.variables = mask(entry.variables);
  }
  return out;
}

function customDomainFor(ctx: ApiContext, id: string) {
  requireAuth(ctx);
  const found = findDomain(ctx.state, id);
  if (found?.kind !== "custom") throw notFound("Custom domain");
  instanceFor(ctx, found.instance.environmentId, found.instance.serviceId, true);
  return found;
}

async function guard<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DeployError)
      throw new GraphQLError(error.message, { extensions: { code: "BAD_REQUEST" } });
    throw error;
  }
}

/** What serviceInstanceUpdate writes: the input fields of Railway's schema the emulator keeps. */
const SETTING_KEYS = Object.keys(INSTANCE_UPDATE_FIELDS);

type Args = Record<string, unknown>;

/** Builds the executable schema: query and mutation resolvers as root values, subscriptions on the fields. */
export function buildApi(state: EmulatorState): {
  schema: GraphQLSchema;
  rootValue: Record<string, unknown>;
} {
  normalizeTokenEnvironments(state);
  const schema = buildSchema(readFileSync(SDL_PATH, "utf8"));

  const rootValue: Record<string, (args: Args, ctx: ApiContext) => unknown> = {
    projectToken: (_args, ctx) => {
      const auth = requireAuth(ctx);
      if (auth.kind !== "project") throw notAuthorized();
      const project = state.project(auth.project) as ProjectRecord;
      const env = state.environment(auth.environment) as EnvironmentRecord;
      return {
        id: `token-${auth.name ?? "project"}`,
        name: auth.name ?? "project token",
        projectId: project.id,
        environmentId: env.id,
        project: projectView(state, project),
        environment: environmentView(state, env),
      };
    },
    projects: (args, ctx) => {
      const auth = requireAuth(ctx);
      if (auth.kind !== "account") throw notAuthorized();
      const visible = [...state.projects.values()].filter((p) => canAccess(auth, p.id));
      return connection(
        visible.map((p) => projectView(state, p)),
        args.first as number | undefined,
      );
    },
    project: (args, ctx) => {
      requireAuth(ctx);
      const project = state.project(String(args.id));
      if (!project) throw notFound("Project");
      requireAccess(ctx, project.id);
      return projectView(state, project);
    },
    environments: (args, ctx) => {
      const project = state.project(String(args.projectId));
      requireAuth(ctx);
      if (!project) throw notFound("Project");
      requireAccess(ctx, project.id);
      const envs = project.environments.filter(
        (e) =>
          args.isEphemeral === undefined || args.isEphemeral === null || e.isEphemeral === args.isEphemeral,
      );
      return connection(
        envs.map((e) => environmentView(state, e)),
        args.first as number | undefined,
      );
    },
    serviceInstance: (args, ctx) =>
      instanceView(state, instanceFor(ctx, String(args.environmentId), String(args.serviceId))),
    variables: (args, ctx) => {
      const projectId = String(args.projectId);
      const environmentId = String(args.environmentId);
      requireAccess(ctx, projectId, environmentId);
      const serviceId = (args.serviceId as string | null | undefined) ?? null;
      if (serviceId) serviceIn(ctx, projectId, serviceId);
      return state.variables(projectId, environmentId, serviceId, args.unrendered === true);
    },
    variablesForServiceDeployment: (args, ctx) => {
      const projectId = String(args.projectId);
      const environmentId = String(args.environmentId);
      requireAccess(ctx, projectId, environmentId);
      serviceIn(ctx, projectId, String(args.serviceId));
      return state.variablesForDeployment(projectId, environmentId, String(args.serviceId));
    },
    deploymentTriggers: (args, ctx) => {
      requireAccess(ctx, String(args.projectId), String(args.environmentId));
      const triggers = state.triggers.filter(
        (t) =>
          t.projectId === args.projectId &&
          t.environmentId === args.environmentId &&
          t.serviceId === args.serviceId,
      );
      return connection(
        triggers.map((t) => ({ ...t, provider: "github" })),
        args.first as number | undefined,
      );
    },
    deployment: (args, ctx) => deploymentView(state, deploymentFor(ctx, String(args.id))),
    deployments: (args, ctx) => {
      const auth = requireAuth(ctx);
      const input = (args.input ?? {}) as {
        projectId?: string | null;
        environmentId?: string | null;
        serviceId?: string | null;
        status?: { in?: string[] | null; notIn?: string[] | null } | null;
      };
      const list = [...state.deployments.values()]
        .reverse()
        .filter(
          (d) =>
            canAccess(auth, d.projectId, d.environmentId) &&
            !(d.hiddenUntil !== undefined && Date.now() < d.hiddenUntil) &&
            (!input.projectId || d.projectId === input.projectId) &&
            (!input.environmentId || d.environmentId === input.environmentId) &&
            (!input.serviceId || d.serviceId === input.serviceId) &&
            (!input.status?.in || input.status.in.includes(d.status)) &&
            !input.status?.notIn?.includes(d.status),
        );
      return connection(
        list.map((d) => deploymentView(state, d)),
        (args.first as number | undefined) ?? 100,
      );
    },
    deploymentInstanceExecutions: (args, ctx) => {
      const input = args.input as { environmentId: string; serviceId: string };
      const instance = instanceFor(ctx, input.environmentId, input.serviceId);
      // Newest first, across the service's deployments, as Railway lists them.
      const executions = state
        .deploymentsOf(instance.serviceId, instance.environmentId)
        .flatMap((d) => d.executions.map((e) => executionView(d, e)))
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      return connection(executions, (args.first as number | undefined) ?? 100);
    },
    deploymentEvents: (args, ctx) => {
      const d = deploymentFor(ctx, String(args.id));
      return connection(
        d.events.map((e) => ({ ...e })),
        args.first as number | undefined,
      );
    },
    buildLogs: (args, ctx) => {
      const d = deploymentFor(ctx, String(args.deploymentId));
      return selectLogs(d.buildLogs, args.filter as string | null, args.limit as number | null).map((l) =>
        logView(d, l),
      );
    },
    deploymentLogs: (args, ctx) => {
      const d = deploymentFor(ctx, String(args.deploymentId));
      return selectLogs(d.deployLogs, args.filter as string | null, args.limit as number | null).map((l) =>
        logView(d, l),
      );
    },
    environment: (args, ctx) => {
      requireAuth(ctx);
      const env = state.environment(String(args.id));
      if (!env || (args.projectId && env.projectId !== args.projectId)) throw notFound("Environment");
      requireAccess(ctx, env.projectId, env.id);
      return environmentView(state, env);
    },
    environmentChangeSetApply: (args, ctx) => {
      const env = environmentFor(ctx, String(args.environmentId));
      const record = state.changeSetApplies.get(String(args.id));
      if (!record || record.environmentId !== env.id) throw notFound("ChangeSet apply");
      return { ...record };
    },
    me: (_args, ctx) => {
      // Only an account token belongs to a user; its workspaces are those of the projects it may see.
      const auth = requireAuth(ctx);
      if (auth.kind !== "account") throw notAuthorized();
      const workspaces = new Map<string, { id: string; name: string }>();
      for (const p of state.projects.values())
        if (canAccess(auth, p.id)) workspaces.set(p.workspace.id, p.workspace);
      return {
        id: `user-${auth.name ?? "account"}`,
        workspaces: [...workspaces.values()].map((w) => workspaceView(state, w)),
      };
    },
    // Workspaces a user reaches only through a project invitation: none here (tokens see whole workspaces).
    externalWorkspaces: (_args, ctx) => {
      requireAuth(ctx);
      return [];
    },
    environmentStagedChanges: (args, ctx) => {
      const env = environmentFor(ctx, String(args.environmentId));
      return patchView(state.patches.staged(env.id));
    },
    regions: (args, ctx) => {
      requireAuth(ctx);
      const project = args.projectId ? state.project(String(args.projectId)) : undefined;
      if (args.projectId) {
        if (!project) throw notFound("Project");
        requireAccess(ctx, project.id);
      }
      return REGIONS.map((r) => ({
        ...r,
        region: r.name,
        workspaceId: null,
        deploymentConstraints: { deprecationInfo: { isDeprecated: false, replacementRegion: r.name } },
      }));
    },
    domains: (args, ctx) => {
      const instance = instanceFor(ctx, String(args.environmentId), String(args.serviceId));
      serviceIn(ctx, String(args.projectId), String(args.serviceId));
      return domainsView(state, instance);
    },

    // Mutations
    serviceInstanceUpdate: (args, ctx) => {
      const serviceId = String(args.serviceId);
      const input = (args.input ?? {}) as Record<string, unknown>;
      const service = state.service(serviceId);
      requireAuth(ctx);
      if (!service) throw notFound("Service");
      const project = state.project(service.projectId) as ProjectRecord;
      // Without environmentId Railway changes every environment that is not a fork.
      const targets = args.environmentId
        ? [String(args.environmentId)]
        : project.environments.filter((e) => !e.isEphemeral).map((e) => e.id);
      for (const environmentId of targets) {
        const instance = instanceFor(ctx, environmentId, serviceId, true);
        const next: Record<string, unknown> = { ...instance.settings };
        for (const key of SETTING_KEYS) if (key in input) next[key] = input[key];
        // Through this mutation a Dockerfile path selects the Dockerfile build (0042).
        if (typeof input.dockerfilePath === "string" && input.dockerfilePath !== "" && !("builder" in input))
          delete next.builder;
        instance.settings = normalizeSettings(next as InstanceSettings);
      }
      return true;
    },
    environmentPreviewChangeSet: (args, ctx) => {
      const env = environmentFor(ctx, String(args.environmentId));
      return previewWithResources(state, env.id, args.input);
    },
    environmentApplyChangeSet: async (args, ctx) => {
      const env = environmentFor(ctx, String(args.environmentId), true);
      const options = {
        baseConfigEtag: args.baseConfigEtag as string | null | undefined,
        commitMessage: args.commitMessage as string | null | undefined,
        waitForCompletion: args.waitForCompletion as boolean | null | undefined,
      };
      // Resource creation and deletion need real provisioning (emulator/src/provision/).
      const record = ctx.provision
        ? await applyWithResources(ctx.provision, env.id, args.input, options, state.changeSetApplies)
        : applyChangeSet(state, env.id, args.input, options, state.changeSetApplies);
      return { ...record };
    },
    environmentPatchCommit: (args, ctx) =>
      guard(() => {
        const env = environmentFor(ctx, String(args.environmentId), true);
        return state.patches.commit(
          state,
          ctx.deployer,
          env.id,
          args.patch ?? {},
          (args.commitMessage as string | null | undefined) ?? null,
          false,
        );
      }),
    environmentPatchCommitStaged: (args, ctx) =>
      guard(() => {
        const env = environmentFor(ctx, String(args.environmentId), true);
        return state.patches.commitStaged(
          state,
          ctx.deployer,
          env.id,
          (args.commitMessage as string | null | undefined) ?? null,
          args.skipDeploys === true,
        );
      }),
    environmentStageChanges: (args, ctx) => {
      const env = environmentFor(ctx, String(args.environmentId), true);
      return patchView(state.patches.stage(state, env.id, args.input, args.merge === true));
    },
    variableDelete: (args, ctx) => {
      const input = args.input as {
        projectId: string;
        environmentId: string;
        name: string;
        serviceId?: string | null;
      };
      requireAccess(ctx, input.projectId, input.environmentId, true);
      if (input.serviceId) serviceIn(ctx, input.projectId, input.serviceId);
      if (!state.environment(input.environmentId)) throw notFound("Environment");
      // Deleting a variable that is not there is not an error (as deleting twice is not).
      state.deleteVariable(input.projectId, input.environmentId, input.serviceId ?? null, input.name);
      return true;
    },
    serviceInstanceDeploy: (args, ctx) =>
      guard(async () => {
        const environmentId = String(args.environmentId);
        const serviceId = String(args.serviceId);
        instanceFor(ctx, environmentId, serviceId, true);
        const latest = state.deploymentsOf(serviceId, environmentId)[0];
        if (typeof args.commitSha === "string" && args.commitSha !== "") {
          await ctx.deployer.deployCommit(environmentId, serviceId, args.commitSha);
        } else if (args.latestCommit === true) {
          // The newest commit of the branch the service deploys from (its trigger), else HEAD.
          const branch = state.triggers.find(
            (t) => t.serviceId === serviceId && t.environmentId === environmentId,
          )?.branch;
          const head = branch ? await ctx.deployer.resolveCommit(branch).catch(() => null) : null;
          await ctx.deployer.deployCommit(environmentId, serviceId, head?.sha ?? null);
        } else if (latest && !latest.commitSha) {
          ctx.deployer.redeploy(latest);
        } else {
          await ctx.deployer.deployCommit(environmentId, serviceId, latest?.commitSha ?? null);
        }
        return true;
      }),
    serviceDomainCreate: (args, ctx) => {
      const input = args.input as { environmentId: string; serviceId: string; targetPort?: number | null };
      const instance = instanceFor(ctx, input.environmentId, input.serviceId, true);
      const service = state.service(input.serviceId) as ServiceRecord;
      return serviceDomainView(
        state,
        instance,
        createServiceDomain(state, service, instance, input.targetPort),
      );
    },
    serviceDomainUpdate: (args, ctx) => {
      const input = args.input as {
        domain: string;
        environmentId: string;
        serviceDomainId: string;
        serviceId: string;
        targetPort?: number | null;
      };
      const instance = instanceFor(ctx, input.environmentId, input.serviceId, true);
      const found = findDomain(state, input.serviceDomainId);
      if (!found || found.instance !== instance || found.kind === "custom") throw notFound("Service domain");
      updateServiceDomain(state, found, input);
      return true;
    },
    serviceDomainDelete: (args, ctx) => {
      requireAuth(ctx);
      const found = findDomain(state, String(args.id));
      if (!found || found.kind === "custom") throw notFound("Service domain");
      instanceFor(ctx, found.instance.environmentId, found.instance.serviceId, true);
      deleteDomain(found);
      return true;
    },
    customDomainCreate: (args, ctx) => {
      const input = args.input as {
        domain: string;
        environmentId: string;
        projectId: string;
        serviceId: string;
        targetPort?: number | null;
      };
      serviceIn(ctx, input.projectId, input.serviceId);
      const instance = instanceFor(ctx, input.environmentId, input.serviceId, true);
      return customDomainView(
        state,
        instance,
        createCustomDomain(state, instance, input.domain, input.targetPort),
      );
    },
    customDomainUpdate: (args, ctx) => {
      const found = customDomainFor(ctx, String(args.id));
      if (found.instance.environmentId !== args.environmentId) throw notFound("Custom domain");
      updateCustomDomain(found.record, args.targetPort);
      return true;
    },
    customDomainDelete: (args, ctx) => {
      deleteDomain(customDomainFor(ctx, String(args.id)));
      return true;
    },
    customDomainIssueCertificate: (args, ctx) => {
      issueCertificate(customDomainFor(ctx, String(args.id)).record);
      return true;
    },
    variableCollectionUpsert: (args, ctx) => {
      const input = args.input as {
        projectId: string;
        environmentId: string;
        serviceId?: string | null;
        variables: unknown;
        replace?: boolean | null;
      };
      requireAccess(ctx, input.projectId, input.environmentId, true);
      if (input.serviceId) serviceIn(ctx, input.projectId, input.serviceId);
      if (typeof input.variables !== "object" || input.variables === null || Array.isArray(input.variables)) {
        throw new GraphQLError("variables must be an object of name → value");
      }
      const vars: Record<string, string> = {};
      for (const [k, v] of Object.entries(input.variables as Record<string, unknown>)) {
        if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k)) throw new GraphQLError(`Invalid variable name "${k}"`);
        vars[k] = v === null || v === undefined ? "" : String(v);
      }
      state.upsertVariables(
        input.projectId,
        input.environmentId,
        input.serviceId ?? null,
        vars,
        input.replace === true,
      );
      return true;
    },
    serviceInstanceDeployV2: (args, ctx) =>
      guard(async () => {
        instanceFor(ctx, String(args.environmentId), String(args.serviceId), true);
        const record = await ctx.deployer.deployCommit(
          String(args.environmentId),
          String(args.serviceId),
          (args.commitSha as string | null | undefined) ?? null,
        );
        return record.id;
      }),
    serviceInstanceRedeploy: (args, ctx) =>
      guard(() => {
        instanceFor(ctx, String(args.environmentId), String(args.serviceId), true);
        const latest = state.deploymentsOf(String(args.serviceId), String(args.environmentId))[0];
        if (!latest) throw new DeployError("No deployment to redeploy: deploy the service first");
        ctx.deployer.redeploy(latest);
        return true;
      }),
    deploymentRedeploy: (args, ctx) =>
      guard(() => deploymentView(state, ctx.deployer.redeploy(deploymentFor(ctx, String(args.id), true)))),
    deploymentRollback: (args, ctx) =>
      guard(() => {
        ctx.deployer.rollback(deploymentFor(ctx, String(args.id), true));
        return true;
      }),
    deploymentCancel: (args, ctx) =>
      guard(async () => {
        await ctx.deployer.cancel(deploymentFor(ctx, String(args.id), true));
        return true;
      }),
  };

  // Subscriptions: each field subscribes to state changes; the payload is the field's value.
  const subscriptionFields = schema.getSubscriptionType()?.getFields() ?? {};
  const subscribe = (
    name: string,
    start: (args: Args, ctx: ApiContext) => { initial: unknown[]; select: (e: ChangeEvent) => unknown },
  ) => {
    const field = subscriptionFields[name];
    if (!field) throw new Error(`Subscription.${name} is missing from ${SDL_PATH}`);
    field.subscribe = (_root, args, ctx: ApiContext) => {
      const { initial, select } = start(args, ctx);
      return changeStream(state, select, initial);
    };
    field.resolve = (payload) => payload;
  };
  subscribe("deployment", (args, ctx) => {
    const d = deploymentFor(ctx, String(args.id));
    return {
      initial: [deploymentView(state, d)],
      select: (e) =>
        e.kind === "deployment" && e.deployment.id === d.id
          ? deploymentView(state, { ...e.deployment })
          : undefined,
    };
  });
  subscribe("deploymentInstanceExecutions", (args, ctx) => {
    const d = deploymentFor(ctx, String((args.input as { deploymentId: string }).deploymentId));
    return {
      initial: d.executions.map((e) => executionView(d, e)),
      select: (e) =>
        e.kind === "execution" && e.deploymentId === d.id ? executionView(d, e.execution) : undefined,
    };
  });
  subscribe("deploymentEvents", (args, ctx) => {
    const d = deploymentFor(ctx, String(args.id));
    return {
      initial: d.events.map((e) => ({ ...e })),
      select: (e) => (e.kind === "event" && e.deploymentId === d.id ? { ...e.event } : undefined),
    };
  });
  for (const [name, kind, key] of [
    ["buildLogs", "buildLog", "buildLogs"],
    ["deploymentLogs", "deployLog", "deployLogs"],
  ] as const) {
    subscribe(name, (args, ctx) => {
      const d = deploymentFor(ctx, String(args.deploymentId));
      const filter = (args.filter as string | null | undefined) ?? null;
      const existing = selectLogs(d[key], filter, args.limit as number | null);
      return {
        initial: existing.length ? [existing.map((l) => logView(d, l))] : [],
        select: (e) =>
          e.kind === kind && e.deploymentId === d.id && (!filter || e.log.message.includes(filter))
            ? [logView(d, e.log)]
            : undefined,
      };
    });
  }
  return { schema, rootValue };
}

/** An async iterator over selected state changes, starting with `initial`; return() unsubscribes. */
function changeStream(
  state: EmulatorState,
  select: (e: ChangeEvent) => unknown,
  initial: unknown[],
): AsyncIterableIterator<unknown> {
  const queue = [...initial];
  let wake: (() => void) | null = null;
  let done = false;
  const listener = (event: ChangeEvent) => {
    const value = select(event);
    if (value === undefined) return;
    queue.push(value);
    wake?.();
  };
  state.changes.on("change", listener);
  const finish = async () => {
    done = true;
    state.changes.off("change", listener);
    wake?.();
    return { value: undefined, done: true as const };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      while (!done) {
        if (queue.length > 0) return { value: queue.shift(), done: false };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
      return { value: undefined, done: true };
    },
    return: finish,
    throw: async (error: unknown) => {
      await finish();
      throw error;
    },
  };
}
