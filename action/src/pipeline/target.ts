// Stage 2: which project, environment and Railway services this run acts on.
import type { ServiceConfig } from "../config/types.ts";
import { RailwayAuthError } from "../railway/errors.ts";
import type { RailwayApi, RailwayEnvironment, RailwayService } from "../railway/types.ts";
import { PipelineError } from "./types.ts";

export interface Target {
  projectId: string;
  projectName: string;
  environment: RailwayEnvironment;
  environments: RailwayEnvironment[];
  /** Config services matched to Railway services by name. */
  services: { config: ServiceConfig; railway: RailwayService }[];
  notes: string[];
}

/** Finds more config services once the project is known (plain files linked by Railway's settings). */
export type LinkHook = (project: {
  projectId: string;
  services: RailwayService[];
  environment: RailwayEnvironment;
}) => Promise<ServiceConfig[]>;

export async function resolveTarget(
  api: RailwayApi,
  declared: ServiceConfig[],
  options: { projectId?: string; environment: string },
  link?: LinkHook,
  /** Other names the files declare (databases): not "unmanaged". */
  alsoDeclared: string[] = [],
): Promise<Target> {
  const scope = await api.tokenScope();
  let projectId = options.projectId;
  if (scope.kind === "project") {
    if (projectId && scope.projectId && projectId !== scope.projectId) {
      throw new RailwayAuthError(
        "wrong-project",
        `the Railway token belongs to project ${scope.projectId}, not to project-id ${projectId}: use a token of that project`,
      );
    }
    projectId = projectId ?? scope.projectId;
  }
  if (!projectId) {
    throw new PipelineError(
      "no Railway project: set project-id (an account token does not name one project)",
    );
  }
  const project = await api.project(projectId);
  const environment = project.environments.find((env) => env.name === options.environment);
  if (!environment) {
    const names = project.environments.map((env) => env.name).join(", ") || "none";
    throw new PipelineError(
      `environment "${options.environment}" does not exist in Railway project ${project.name} (environments: ${names})`,
    );
  }
  if (scope.kind === "project" && scope.environmentId && scope.environmentId !== environment.id) {
    const scoped =
      project.environments.find((env) => env.id === scope.environmentId)?.name ?? scope.environmentId;
    throw new RailwayAuthError(
      "wrong-environment",
      `the Railway project token is scoped to environment "${scoped}", not "${environment.name}": use a token for "${environment.name}"`,
    );
  }

  const configServices = link ? await link({ projectId, services: project.services, environment }) : declared;
  const byName = new Map(project.services.map((service) => [service.name, service]));
  const missing = configServices.filter((service) => !byName.has(service.name));
  if (missing.length > 0) {
    const list = missing.map((s) => `"${s.name}" (${s.file}:${s.location.line})`).join(", ");
    throw new PipelineError(
      `config names service${missing.length > 1 ? "s" : ""} ${list} that Railway project ${project.name} does not have: create ${missing.length > 1 ? "them" : "it"} in Railway or fix the name`,
    );
  }
  const managed = new Set([...configServices.map((service) => service.name), ...alsoDeclared]);
  const notes: string[] = [];
  const unmanaged = project.services.filter((service) => !managed.has(service.name));
  if (unmanaged.length > 0) {
    notes.push(
      `Railway services not managed by any railway.toml (left alone): ${unmanaged.map((s) => s.name).join(", ")}`,
    );
  }
  return {
    projectId,
    projectName: project.name,
    environment,
    environments: project.environments,
    services: configServices.map((config) => ({
      config,
      railway: byName.get(config.name) as RailwayService,
    })),
    notes,
  };
}

/**
 * Services ordered so that every service comes after the ones it depends on. Iterative: a
 * 6,000-long dependsOn chain must not exhaust the call stack.
 */
export function dependencyOrder(services: ServiceConfig[]): string[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  for (const service of services) {
    if (state.has(service.name)) continue;
    // Each frame: a service and the index of the next dependency to look at; the stack is the path.
    const stack: { name: string; next: number }[] = [{ name: service.name, next: 0 }];
    state.set(service.name, "visiting");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { name: string; next: number };
      const deps = (byName.get(frame.name)?.dependsOn ?? []).filter((dep) => byName.has(dep));
      const dep = deps[frame.next++];
      if (dep === undefined) {
        state.set(frame.name, "done");
        order.push(frame.name);
        stack.pop();
        continue;
      }
      const seen = state.get(dep);
      if (seen === "visiting") {
        const path = stack.map((f) => f.name);
        throw new PipelineError(
          `dependsOn forms a cycle: ${[...path.slice(path.indexOf(dep)), dep].join(" → ")}`,
        );
      }
      if (seen === undefined) {
        state.set(dep, "visiting");
        stack.push({ name: dep, next: 0 });
      }
    }
  }
  return order;
}
