// What `resource.create` / `resource.delete` of a change set (environmentApplyChangeSet) do in
// the emulator. Resource bodies follow the graph nodes of Railway's IaC (railwayapp/cli,
// src/iac): a service (GitHub repo or image source, variables), a database (engine postgres or
// redis, provisioned for real by the Provisioner) or a volume (mounted on a service).
// The emulator's own types: nothing here imports the action.

import { randomUUID } from "node:crypto";
import type { EmulatorState, ServiceRecord } from "../state.ts";
import { type Provisioner, randomSecret } from "./provisioner.ts";

export type VariableNode =
  | string
  | { type?: "literal"; value: string }
  | { type: "raw"; value: { value?: string; generator?: string } }
  | { generator: string };

export interface ResourceNode {
  address?: string;
  type: "service" | "database" | "volume";
  name: string;
  /** database: "postgres" | "redis". */
  engine?: string;
  image?: string;
  source?: {
    type?: "github" | "image";
    repo?: string;
    branch?: string;
    image?: string;
    rootDirectory?: string;
  };
  variables?: Record<string, VariableNode>;
  defaultMountPath?: string;
  /** volume: where it is mounted and on which service (by name). */
  config?: { mountPath?: string; service?: string };
}

export interface ProvisionContext {
  state: EmulatorState;
  provisioner: Provisioner;
  /** Allocates the loopback address a new service instance is reached at. */
  allocateDomain(serviceId: string, environmentId: string): Promise<string>;
}

export interface ResourceOutcome {
  address: string;
  serviceId?: string;
  volumeId?: string;
}

export class ResourceError extends Error {
  override name = "ResourceError";
}

const DEFAULT_MOUNT: Record<string, string> = { postgres: "/var/lib/postgresql/data", redis: "/data" };
const DEFAULT_IMAGE: Record<string, string> = {
  postgres: "ghcr.io/railwayapp-templates/postgres-ssl:18",
  redis: "redis:8",
};

export function addressOf(resource: ResourceNode): string {
  return resource.address ?? `${resource.type}.${resource.name}`;
}

/**
 * `secret(32)` or `secret(32, "abc…")` (Railway's template function): a new random value.
 * Anything else is refused rather than stored as text that looks like a secret.
 */
export function generate(generator: string): string {
  const match = /^\s*secret\(\s*(\d+)\s*(?:,\s*"([^"]+)"\s*)?\)\s*$/.exec(generator);
  const length = Number(match?.[1]);
  if (!match || length < 1 || length > 256) {
    throw new ResourceError(
      `unsupported generator ${JSON.stringify(generator)}: use secret(N) or secret(N, "alphabet")`,
    );
  }
  return randomSecret(length, match[2]);
}

/** A variable's value as stored: a literal (references stay unrendered), or a generated secret. */
export function variableValue(node: VariableNode): string {
  if (typeof node === "string") return node;
  if ("generator" in node) return generate(node.generator);
  if (node.type === "raw") {
    if (node.value.generator) return generate(node.value.generator);
    return node.value.value ?? "";
  }
  return node.value;
}

export async function createResource(
  ctx: ProvisionContext,
  projectId: string,
  environmentId: string,
  resource: ResourceNode,
): Promise<ResourceOutcome> {
  const address = addressOf(resource);
  const project = ctx.state.project(projectId);
  if (!project) throw new ResourceError("Project not found");
  if (resource.type === "volume") {
    const serviceName = resource.config?.service;
    const service = project.services.find((s) => s.name === serviceName);
    if (!service) throw new ResourceError(`${address}: no service "${serviceName ?? ""}" to mount it on`);
    const volumeId = addVolume(
      ctx.state,
      projectId,
      environmentId,
      service,
      resource.name,
      resource.config?.mountPath,
    );
    return { address, serviceId: service.id, volumeId };
  }
  if (project.services.some((s) => s.name === resource.name)) {
    throw new ResourceError(`${address}: a service named "${resource.name}" already exists`);
  }
  if (resource.type === "database") return createDatabase(ctx, projectId, environmentId, resource, address);
  if (resource.type !== "service") throw new ResourceError(`${address}: unknown resource type`);

  const source = resource.source;
  const service = ctx.state.addService(projectId, {
    name: resource.name,
    source: source?.image
      ? { image: source.image }
      : source?.repo
        ? { repo: source.repo, ...(source.branch ? { branch: source.branch } : {}) }
        : null,
    external: false,
  });
  const variables: Record<string, string> = {};
  for (const [name, node] of Object.entries(resource.variables ?? {})) variables[name] = variableValue(node);
  const instance = ctx.state.instance(service.id, environmentId);
  if (instance) {
    instance.variables = variables;
    if (source?.rootDirectory) instance.settings.rootDirectory = source.rootDirectory;
  }
  await allocate(ctx, service);
  return { address, serviceId: service.id };
}

async function createDatabase(
  ctx: ProvisionContext,
  projectId: string,
  environmentId: string,
  resource: ResourceNode,
  address: string,
): Promise<ResourceOutcome> {
  const engine = resource.engine;
  if (engine !== "postgres" && engine !== "redis") {
    throw new ResourceError(
      `${address}: database engine ${JSON.stringify(engine ?? "")} is not one the emulator provisions (postgres, redis)`,
    );
  }
  const image = resource.image ?? resource.source?.image ?? DEFAULT_IMAGE[engine];
  let variables: Record<string, string>;
  let service: ServiceRecord;
  if (engine === "postgres") {
    const db = await ctx.provisioner.postgres(resource.name);
    service = ctx.state.addService(projectId, {
      name: resource.name,
      source: { image },
      external: true,
      database: { engine, database: db.database },
    });
    // Railway's PostgreSQL template: POSTGRES_* are the values, the rest reference them.
    variables = {
      POSTGRES_USER: db.user,
      POSTGRES_PASSWORD: db.password,
      POSTGRES_DB: db.database,
      PGHOST: db.host,
      PGPORT: String(db.port),
      PGUSER: "${{POSTGRES_USER}}",
      PGPASSWORD: "${{POSTGRES_PASSWORD}}",
      PGDATABASE: "${{POSTGRES_DB}}",
      PGDATA: "/var/lib/postgresql/data/pgdata",
      DATABASE_URL: "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{PGHOST}}:${{PGPORT}}/${{PGDATABASE}}",
      // On loopback the public address is the private one.
      DATABASE_PUBLIC_URL:
        "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{PGHOST}}:${{PGPORT}}/${{PGDATABASE}}",
    };
  } else {
    const redis = await ctx.provisioner.redis(resource.name);
    service = ctx.state.addService(projectId, {
      name: resource.name,
      source: { image },
      external: true,
      database: { engine, port: redis.port },
    });
    variables = {
      REDISHOST: redis.host,
      REDISPORT: String(redis.port),
      REDISUSER: redis.user,
      REDIS_PASSWORD: redis.password,
      REDISPASSWORD: "${{REDIS_PASSWORD}}",
      REDIS_URL: "redis://${{REDISUSER}}:${{REDIS_PASSWORD}}@${{REDISHOST}}:${{REDISPORT}}",
      REDIS_PUBLIC_URL: "redis://${{REDISUSER}}:${{REDIS_PASSWORD}}@${{REDISHOST}}:${{REDISPORT}}",
    };
  }
  for (const [name, node] of Object.entries(resource.variables ?? {})) variables[name] = variableValue(node);
  const instance = ctx.state.instance(service.id, environmentId);
  if (instance) instance.variables = variables;
  const mountPath = resource.defaultMountPath ?? DEFAULT_MOUNT[engine];
  const volumeId = addVolume(
    ctx.state,
    projectId,
    environmentId,
    service,
    `${resource.name}-volume`,
    mountPath,
  );
  return { address, serviceId: service.id, volumeId };
}

function addVolume(
  state: EmulatorState,
  projectId: string,
  environmentId: string,
  service: ServiceRecord,
  name: string,
  mountPath: string | undefined,
): string {
  const project = state.project(projectId);
  if (!project) throw new ResourceError("Project not found");
  if (!mountPath?.startsWith("/"))
    throw new ResourceError(`volume ${name}: mountPath must be an absolute path`);
  const existing = project.volumes.find((v) => v.name === name);
  if (existing) throw new ResourceError(`a volume named "${name}" already exists`);
  const id = randomUUID();
  project.volumes.push({ id, name, projectId, environmentId, serviceId: service.id, mountPath });
  return id;
}

async function allocate(ctx: ProvisionContext, service: ServiceRecord): Promise<void> {
  const project = ctx.state.project(service.projectId);
  for (const env of project?.environments ?? []) {
    const instance = ctx.state.instance(service.id, env.id);
    if (instance) instance.serviceDomain = await ctx.allocateDomain(service.id, env.id);
  }
}

/** Deletes a service or database (stopping its Redis or dropping its database) or a volume. */
export async function deleteResource(
  ctx: ProvisionContext,
  projectId: string,
  address: string,
): Promise<ResourceOutcome> {
  const project = ctx.state.project(projectId);
  if (!project) throw new ResourceError("Project not found");
  const dot = address.indexOf(".");
  const type = address.slice(0, dot);
  const name = address.slice(dot + 1);
  if (type === "volume") {
    const volume = project.volumes.find((v) => v.name === name);
    if (!volume) throw new ResourceError(`${address} not found`);
    project.volumes = project.volumes.filter((v) => v !== volume);
    return { address, volumeId: volume.id };
  }
  const service = project.services.find((s) => s.name === name);
  if (!service) throw new ResourceError(`${address} not found`);
  // A deleted service stops serving: its deployments end and their processes go.
  for (const deployment of ctx.state.deployments.values()) {
    if (deployment.serviceId !== service.id) continue;
    deployment.abort.abort();
    await deployment.running?.stop({ drainingSeconds: 0 }).catch(() => undefined);
    ctx.state.setStatus(deployment, "REMOVED");
  }
  if (service.database?.engine === "postgres") await ctx.provisioner.dropPostgres(service.database.database);
  if (service.database?.engine === "redis") await ctx.provisioner.stopRedis(service.database.port);
  ctx.state.removeService(service.id);
  return { address, serviceId: service.id };
}
