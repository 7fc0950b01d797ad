// Stage 4: required variables exist and render non-empty. Values are compared, never kept
// or printed: the result holds names only.
import type { ServiceConfig } from "../config/types.ts";
import type { RailwayApi } from "../railway/types.ts";
import { PipelineError, type VariableCheck, type VariableProblem } from "./types.ts";

export function checkVariables(config: ServiceConfig, rendered: Record<string, string>): VariableCheck {
  const problems: VariableProblem[] = [];
  const seen = new Set<string>();
  for (const required of config.requiredVariables) {
    if (seen.has(required.name)) continue;
    seen.add(required.name);
    // A fixed variable from config is set by the pipeline itself before deploying.
    if (config.fixedVariables[required.name] !== undefined) continue;
    if (!(required.name in rendered)) {
      problems.push({ name: required.name, problem: "missing", location: required.location });
    } else if ((rendered[required.name] ?? "").trim() === "") {
      problems.push({ name: required.name, problem: "empty", location: required.location });
    }
  }
  const fixedToSet = Object.entries(config.fixedVariables)
    .filter(([name, value]) => rendered[name] !== value)
    .map(([name]) => name);
  return { service: config.name, ok: problems.length === 0, problems, fixedToSet };
}

export function describeProblem(service: string, problem: VariableProblem): string {
  const where = `${problem.location.file}:${problem.location.line}`;
  return problem.problem === "missing"
    ? `${service}: required variable ${problem.name} is not set in Railway (required at ${where})`
    : `${service}: required variable ${problem.name} renders empty in Railway: it is blank or references a variable that does not exist (required at ${where})`;
}

/**
 * Stage: the required variables of the services to deploy, checked. The check needs the
 * rendered values (one request for every 100 services where the client batches, else one per
 * service); the client masks every one of them.
 */
export async function checkRequiredVariables(
  api: RailwayApi,
  projectId: string,
  environmentId: string,
  services: { config: ServiceConfig; serviceId: string }[],
): Promise<VariableCheck[]> {
  if (services.length > 0 && api.variablesForDeployments) {
    const rendered = await api.variablesForDeployments(
      projectId,
      environmentId,
      services.map((service) => service.serviceId),
    );
    return services.map(({ config, serviceId }) => checkVariables(config, rendered.get(serviceId) ?? {}));
  }
  return Promise.all(
    services.map(async ({ config, serviceId }) =>
      checkVariables(config, await api.variablesForDeployment(projectId, environmentId, serviceId)),
    ),
  );
}

/** Throws the one clear reason when a required variable is missing or empty. */
export function requireVariables(checks: VariableCheck[]): void {
  const problems = checks.flatMap((check) => check.problems.map((p) => describeProblem(check.service, p)));
  if (problems.length > 0) {
    throw new PipelineError(
      problems.length === 1
        ? `${problems[0]}; nothing was deployed`
        : `${problems.length} required variables are missing or empty (first: ${problems[0]}); nothing was deployed`,
    );
  }
}
