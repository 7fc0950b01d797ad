// The emulator's in-memory Railway: projects, environments, services and their instances
// (settings per environment), variables with ${{ ... }} references, tokens, domains and
// deployment records. Changes are announced on `changes` for subscriptions.

import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { type ChangeSetApplyRecord, effectiveBuilder } from "./environment-config.ts";
import { EnvironmentPatches } from "./environment-patch.ts";
import type { DeploymentInstanceStatus, DeploymentStatus, InstanceSettings } from "./railway-types.ts";
import type { RunningDeployment } from "./runner/types.ts";
import type { EmulatorStateFile, TokenFile } from "./state-file.ts";

export interface EnvironmentRecord {
  id: string;
  name: string;
  projectId: string;
  isEphemeral: boolean;
}

export interface ServiceRecord {
  id: string;
  name: string;
  projectId: string;
  source: { repo?: string; image?: string; branch?: string } | null;
  external: boolean;
  /** A database the emulator provisioned for real (emulator/src/provision/). */
  database?: ProvisionedDatabase;
}

export type ProvisionedDatabase =
  | { engine: "postgres"; database: string }
  | { engine: "redis"; port: number };

/** A volume, mounted by one service in the environment it was created in. */
export interface VolumeRecord {
  id: string;
  name: string;
  projectId: string;
  environmentId: string;
  serviceId: string;
  mountPath: string;
  /** Size limit (default 5,000 MB, Railway's Hobby volume). */
  sizeMB?: number;
  createdAt?: string;
}

export interface CustomDomainRecord {
  id: string;
  domain: string;
  verified: boolean;
  certificateStatus: string;
  /** The port traffic for this domain goes to (null: the service's own). */
  targetPort?: number | null;
  createdAt?: string;
  updatedAt?: string;
}

/** A Railway-provided domain created through the API (the runner's own domain is `serviceDomain`). */
export interface ServiceDomainRecord {
  id: string;
  domain: string;
  targetPort: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface BucketRecord {
  id: string;
  name: string;
  projectId: string;
  createdAt: string;
  updatedAt: string;
}

export interface TriggerRecord {
  id: string;
  branch: string;
  repository: string;
  checkSuites: boolean;
  environmentId: string;
  projectId: string;
  serviceId: string;
}

export interface ServiceInstanceRecord {
  id: string;
  serviceId: string;
  environmentId: string;
  settings: InstanceSettings;
  variables: Record<string, string>;
  customDomains: CustomDomainRecord[];
  /** "127.0.0.1:PORT" (or a simulated name), allocated by the runner at start-up. */
  serviceDomain?: string;
  /**
   * Whether the service domain is public (a Railway-generated domain exists). Absent means
   * public (services of a state file); a service created through the API gets one only when
   * a domain is created for it.
   */
  publicDomain?: boolean;
  /** Further Railway-provided domains created with serviceDomainCreate. */
  createdServiceDomains: ServiceDomainRecord[];
}

export interface ProjectRecord {
  id: string;
  name: string;
  createdAt: string;
  workspace: { id: string; name: string };
  buckets: BucketRecord[];
  environments: EnvironmentRecord[];
  services: ServiceRecord[];
  /** Shared variables per environment id. */
  shared: Map<string, Record<string, string>>;
  volumes: VolumeRecord[];
}

export interface LogRecord {
  message: string;
  severity: string;
  timestamp: string;
}

export interface EventRecord {
  id: string;
  step: string;
  createdAt: string;
  completedAt: string | null;
  payload: {
    error?: string;
    detail?: string;
    reason?: string;
    skipped?: boolean;
    durationMs?: number;
  } | null;
}

export interface DeploymentMeta {
  reason: "deploy" | "redeploy" | "rollback" | "upload";
  commitHash?: string;
  commitMessage?: string;
  branch?: string;
  rootDirectory?: string | null;
  /** For rollback and redeploy: the deployment repeated. */
  sourceDeploymentId?: string;
}

export interface DeploymentRecord {
  id: string;
  projectId: string;
  environmentId: string;
  serviceId: string;
  status: DeploymentStatus;
  createdAt: string;
  updatedAt: string;
  statusUpdatedAt: string;
  meta: DeploymentMeta;
  commitSha: string | null;
  uploadDir?: string;
  /** Set once the deployment reached SUCCESS: it can be rolled back to. */
  everSucceeded: boolean;
  buildLogs: LogRecord[];
  deployLogs: LogRecord[];
  events: EventRecord[];
  running?: RunningDeployment;
  abort: AbortController;
  /** Epoch ms before which reads answer "Deployment not found" (the not-found-while-fresh fault). */
  hiddenUntil?: number;
  /** Each run of the deployment's instance, oldest first (deploymentInstanceExecutions). */
  executions: ExecutionRecord[];
}

/** One run of a deployment's instance: a start, and how it ended. */
export interface ExecutionRecord {
  id: string;
  deploymentId: string;
  status: DeploymentInstanceStatus;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export const TERMINAL: ReadonlySet<DeploymentStatus> = new Set([
  "SUCCESS",
  "FAILED",
  "CRASHED",
  "REMOVED",
  "SKIPPED",
]);

export type ChangeEvent =
  | { kind: "deployment"; deployment: DeploymentRecord }
  | { kind: "buildLog" | "deployLog"; deploymentId: string; log: LogRecord }
  | { kind: "event"; deploymentId: string; event: EventRecord }
  | { kind: "execution"; deploymentId: string; execution: ExecutionRecord };

export class EmulatorState {
  readonly projects = new Map<string, ProjectRecord>();
  readonly tokens: TokenFile[];
  readonly rateLimitPerHour: number;
  readonly instances = new Map<string, ServiceInstanceRecord>();
  readonly triggers: TriggerRecord[] = [];
  readonly deployments = new Map<string, DeploymentRecord>();
  /** Staged and committed environment patches (environment-patch.ts). */
  readonly patches = new EnvironmentPatches();
  /** Change-set applies by id (environmentChangeSetApply). */
  readonly changeSetApplies = new Map<string, ChangeSetApplyRecord>();
  /** Emits "change" with a ChangeEvent. */
  readonly changes = new EventEmitter();

  constructor(file: EmulatorStateFile) {
    this.changes.setMaxListeners(0);
    this.tokens = file.tokens;
    this.rateLimitPerHour = file.rateLimitPerHour ?? 10_000;
    const created = new Date().toISOString();
    for (const p of file.projects) {
      const project: ProjectRecord = {
        id: p.id,
        name: p.name,
        createdAt: created,
        workspace: p.workspace ?? { id: `workspace-${p.id}`, name: `${p.name}'s workspace` },
        buckets: (p.buckets ?? []).map((b) => ({
          id: b.id,
          name: b.name,
          projectId: p.id,
          createdAt: created,
          updatedAt: created,
        })),
        environments: p.environments.map((e) => ({
          id: e.id,
          name: e.name,
          projectId: p.id,
          isEphemeral: e.isEphemeral ?? false,
        })),
        services: [],
        shared: new Map(),
        volumes: [],
      };
      this.projects.set(p.id, project);
      const envId = (key: string) => {
        const env = project.environments.find((e) => e.id === key || e.name === key);
        if (!env) throw new Error(`no environment ${key} in project ${p.id}`);
        return env.id;
      };
      for (const env of project.environments) project.shared.set(env.id, {});
      for (const [env, vars] of Object.entries(p.sharedVariables ?? {}))
        project.shared.set(envId(env), { ...vars });
      for (const s of p.services) {
        project.services.push({
          id: s.id,
          name: s.name,
          projectId: p.id,
          source: s.source ?? null,
          external: s.external ?? false,
        });
        for (const env of project.environments) {
          const perEnv = Object.entries(s.instances ?? {}).find(([k]) => envId(k) === env.id)?.[1] ?? {};
          const settings = normalizeSettings({ ...(s.settings ?? {}), ...perEnv });
          const vars = Object.entries(s.variables ?? {}).find(([k]) => envId(k) === env.id)?.[1] ?? {};
          this.instances.set(instanceKey(s.id, env.id), {
            id: randomUUID(),
            serviceId: s.id,
            environmentId: env.id,
            settings,
            variables: { ...vars },
            customDomains: (s.customDomains ?? [])
              .filter((d) => envId(d.environment) === env.id)
              .map((d) => ({
                id: randomUUID(),
                domain: d.domain,
                verified: d.verified ?? false,
                certificateStatus:
                  d.certificateStatus ??
                  (d.verified
                    ? "CERTIFICATE_STATUS_TYPE_VALID"
                    : "CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP"),
                targetPort: null,
                createdAt: created,
                updatedAt: created,
              })),
            createdServiceDomains: [],
          });
        }
        for (const v of s.volumes ?? []) {
          project.volumes.push({
            id: v.id ?? randomUUID(),
            name: v.name,
            projectId: p.id,
            environmentId: envId(v.environment ?? (project.environments[0]?.id as string)),
            serviceId: s.id,
            mountPath: v.mountPath,
            sizeMB: v.sizeMB ?? 5_000,
            createdAt: created,
          });
        }
        for (const t of s.triggers ?? []) {
          this.triggers.push({
            id: randomUUID(),
            branch: t.branch,
            repository: t.repository ?? s.source?.repo ?? "",
            checkSuites: t.checkSuites ?? false,
            environmentId: envId(t.environment),
            projectId: p.id,
            serviceId: s.id,
          });
        }
      }
    }
  }

  project(id: string): ProjectRecord | undefined {
    return this.projects.get(id);
  }

  environment(id: string): EnvironmentRecord | undefined {
    for (const p of this.projects.values()) {
      const env = p.environments.find((e) => e.id === id);
      if (env) return env;
    }
    return undefined;
  }

  service(id: string): ServiceRecord | undefined {
    for (const p of this.projects.values()) {
      const service = p.services.find((s) => s.id === id);
      if (service) return service;
    }
    return undefined;
  }

  instance(serviceId: string, environmentId: string): ServiceInstanceRecord | undefined {
    return this.instances.get(instanceKey(serviceId, environmentId));
  }

  /** Variables Railway provides to every deployment of a service (RAILWAY_GIT_* are added per deployment). */
  railwayVariables(serviceId: string, environmentId: string): Record<string, string> {
    const service = this.service(serviceId);
    const env = this.environment(environmentId);
    const project = service ? this.project(service.projectId) : undefined;
    const instance = this.instance(serviceId, environmentId);
    if (!service || !env || !project || !instance) return {};
    const out: Record<string, string> = {
      RAILWAY_PROJECT_ID: project.id,
      RAILWAY_PROJECT_NAME: project.name,
      RAILWAY_ENVIRONMENT_ID: env.id,
      RAILWAY_ENVIRONMENT_NAME: env.name,
      RAILWAY_ENVIRONMENT: env.name,
      RAILWAY_SERVICE_ID: service.id,
      RAILWAY_SERVICE_NAME: service.name,
      // On loopback the service domain is the only address that reaches a service, private or not.
      RAILWAY_PRIVATE_DOMAIN: instance.serviceDomain ?? `${slug(service.name)}.railway.internal`,
    };
    // PORT is left to the runner: it picks the port the process listens on behind the domain.
    if (instance.serviceDomain && instance.publicDomain !== false) {
      out.RAILWAY_PUBLIC_DOMAIN = instance.serviceDomain;
      out.RAILWAY_STATIC_URL = instance.serviceDomain;
    }
    return out;
  }

  /** Service variables (or shared ones without serviceId), rendered unless `unrendered`. */
  variables(
    projectId: string,
    environmentId: string,
    serviceId: string | null,
    unrendered: boolean,
  ): Record<string, string> {
    const raw = serviceId
      ? (this.instance(serviceId, environmentId)?.variables ?? {})
      : (this.project(projectId)?.shared.get(environmentId) ?? {});
    if (unrendered) return { ...raw };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) out[k] = this.render(v, projectId, environmentId, serviceId, 0);
    return out;
  }

  /** What a deployment of the service receives: Railway's variables, then the service's own, rendered. */
  variablesForDeployment(
    projectId: string,
    environmentId: string,
    serviceId: string,
  ): Record<string, string> {
    return {
      ...this.railwayVariables(serviceId, environmentId),
      ...this.variables(projectId, environmentId, serviceId, false),
    };
  }

  /** Renders ${{ Service.VAR }}, ${{ shared.VAR }} and ${{ VAR }} (same service); a reference to nothing is empty. */
  render(
    value: string,
    projectId: string,
    environmentId: string,
    serviceId: string | null,
    depth: number,
  ): string {
    if (depth > 8) return "";
    // The emulator serves service domains over plain HTTP on loopback: an `https://` written in
    // front of a domain reference (right for Railway) renders as `http://` when the domain is local.
    const local = value.replace(
      /https:\/\/(\$\{\{\s*[^}]*?RAILWAY_PUBLIC_DOMAIN\s*\}\})/g,
      (whole, ref: string) => {
        const domain = this.render(ref, projectId, environmentId, serviceId, depth + 1);
        return /^(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(domain) ? `http://${domain}` : whole;
      },
    );
    return local.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_m, ref: string) => {
      const dot = ref.lastIndexOf(".");
      const owner = dot === -1 ? null : ref.slice(0, dot).trim();
      const name = dot === -1 ? ref.trim() : ref.slice(dot + 1).trim();
      if (owner === "shared") {
        const shared = this.project(projectId)?.shared.get(environmentId) ?? {};
        const v = shared[name];
        return v === undefined ? "" : this.render(v, projectId, environmentId, null, depth + 1);
      }
      let target = serviceId;
      if (owner !== null) {
        target = this.project(projectId)?.services.find((s) => s.name === owner)?.id ?? null;
        if (target === null) return "";
      }
      if (target === null) return "";
      const own = this.instance(target, environmentId)?.variables[name];
      if (own !== undefined) return this.render(own, projectId, environmentId, target, depth + 1);
      return this.railwayVariables(target, environmentId)[name] ?? "";
    });
  }

  /** A new service with an instance in every environment of its project (Railway's serviceCreate). */
  addService(
    projectId: string,
    fields: Pick<ServiceRecord, "name" | "source" | "external" | "database">,
  ): ServiceRecord {
    const project = this.project(projectId);
    if (!project) throw new Error("Project not found");
    if (project.services.some((s) => s.name === fields.name))
      throw new Error(`A service named "${fields.name}" already exists in this project`);
    const service: ServiceRecord = { id: randomUUID(), projectId, ...fields };
    project.services.push(service);
    for (const env of project.environments) {
      this.instances.set(instanceKey(service.id, env.id), {
        id: randomUUID(),
        serviceId: service.id,
        environmentId: env.id,
        settings: {},
        variables: {},
        customDomains: [],
        createdServiceDomains: [],
        publicDomain: false,
      });
    }
    return service;
  }

  /** Removes a service, its instances, triggers and volumes (Railway's serviceDelete). */
  removeService(serviceId: string): void {
    const service = this.service(serviceId);
    const project = service ? this.project(service.projectId) : undefined;
    if (!service || !project) return;
    project.services = project.services.filter((s) => s.id !== serviceId);
    project.volumes = project.volumes.filter((v) => v.serviceId !== serviceId);
    for (const env of project.environments) this.instances.delete(instanceKey(serviceId, env.id));
    for (let i = this.triggers.length - 1; i >= 0; i--)
      if (this.triggers[i]?.serviceId === serviceId) this.triggers.splice(i, 1);
  }

  upsertVariables(
    projectId: string,
    environmentId: string,
    serviceId: string | null,
    variables: Record<string, string>,
    replace: boolean,
  ): void {
    let target: Record<string, string>;
    if (serviceId) {
      const instance = this.instance(serviceId, environmentId);
      if (!instance) throw new Error("service instance not found");
      if (replace) instance.variables = {};
      target = instance.variables;
    } else {
      const project = this.project(projectId);
      if (!project) throw new Error("project not found");
      if (replace || !project.shared.has(environmentId)) project.shared.set(environmentId, {});
      target = project.shared.get(environmentId) as Record<string, string>;
    }
    for (const [k, v] of Object.entries(variables)) target[k] = String(v);
  }

  /** Removes a service variable (or a shared one without serviceId); absent names are ignored. */
  deleteVariable(projectId: string, environmentId: string, serviceId: string | null, name: string): void {
    if (serviceId) {
      const instance = this.instance(serviceId, environmentId);
      if (instance) delete instance.variables[name];
      return;
    }
    const shared = this.project(projectId)?.shared.get(environmentId);
    if (shared) delete shared[name];
  }

  createDeployment(fields: {
    projectId: string;
    environmentId: string;
    serviceId: string;
    meta: DeploymentMeta;
    commitSha: string | null;
    uploadDir?: string;
  }): DeploymentRecord {
    const now = new Date().toISOString();
    const record: DeploymentRecord = {
      id: randomUUID(),
      ...fields,
      status: "QUEUED",
      createdAt: now,
      updatedAt: now,
      statusUpdatedAt: now,
      everSucceeded: false,
      buildLogs: [],
      deployLogs: [],
      events: [],
      executions: [],
      abort: new AbortController(),
    };
    this.deployments.set(record.id, record);
    this.emit({ kind: "deployment", deployment: record });
    return record;
  }

  setStatus(record: DeploymentRecord, status: DeploymentStatus): void {
    if (record.status === status) return;
    const now = new Date().toISOString();
    record.status = status;
    record.updatedAt = now;
    record.statusUpdatedAt = now;
    if (status === "SUCCESS") record.everSucceeded = true;
    this.emit({ kind: "deployment", deployment: record });
    const open = record.executions.at(-1);
    if ((status === "REMOVING" || status === "REMOVED") && open && !open.completedAt) {
      this.setInstanceStatus(record, status);
    }
  }

  /**
   * Records an instance status. A start (CREATED, INITIALIZING, RESTARTING) after a finished run
   * opens a new execution; an end (CRASHED, EXITED, STOPPED, REMOVED, SKIPPED) closes the open one.
   */
  setInstanceStatus(record: DeploymentRecord, status: DeploymentInstanceStatus): void {
    const now = new Date().toISOString();
    const ends = ["CRASHED", "EXITED", "STOPPED", "REMOVED", "SKIPPED"].includes(status);
    let open = record.executions.at(-1);
    if (open?.completedAt) open = undefined;
    if (!open) {
      if (ends && record.executions.length > 0) return; // nothing running to end
      open = {
        id: randomUUID(),
        deploymentId: record.id,
        status,
        createdAt: now,
        updatedAt: now,
        completedAt: null,
      };
      record.executions.push(open);
    } else {
      if (open.status === status) return;
      open.status = status;
      open.updatedAt = now;
    }
    if (ends) open.completedAt = now;
    this.emit({ kind: "execution", deploymentId: record.id, execution: open });
  }

  /** Deployments of a service instance, newest first. */
  deploymentsOf(serviceId: string, environmentId: string): DeploymentRecord[] {
    return [...this.deployments.values()]
      .filter((d) => d.serviceId === serviceId && d.environmentId === environmentId)
      .reverse();
  }

  emit(event: ChangeEvent): void {
    this.changes.emit("change", event);
  }
}

export function instanceKey(serviceId: string, environmentId: string): string {
  return `${serviceId}\u0000${environmentId}`;
}

/**
 * A DOCKERFILE builder always has a Dockerfile path (default `Dockerfile`). The builder stays
 * explicit: the environment config can say DOCKERFILE (and switch away from it), even though
 * ServiceInstanceUpdateInput's Builder enum cannot.
 */
export function normalizeSettings(settings: InstanceSettings): InstanceSettings {
  const out = { ...settings };
  if (out.builder === "DOCKERFILE") out.dockerfilePath ??= "Dockerfile";
  return out;
}

/** The builder a runner uses: the explicit one, else DOCKERFILE when a Dockerfile path is set. */
export function effectiveSettings(settings: InstanceSettings): InstanceSettings {
  return {
    ...settings,
    builder: effectiveBuilder(settings as Record<string, unknown>) as InstanceSettings["builder"],
  };
}

function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
